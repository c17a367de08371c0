// Protobuf's own log lines, made fit for a server's and a CLI's stderr.
#ifndef VILLAGESYNC_PROTO_PROTOBUF_LOG_H_
#define VILLAGESYNC_PROTO_PROTOBUF_LOG_H_

namespace villagesync {

// Protobuf logs an ERROR line for every string field with invalid UTF-8 it
// parses or serializes. The server answers such requests INVALID_ARGUMENT
// naming the field (and a hostile client could flood its log with them);
// the CLI says the same in its own message. Installs (process-wide) a
// protobuf log handler that drops those lines and writes the rest to
// stderr. Call once from main, before any thread starts.
void QuietProtobufUtf8Errors();

}  // namespace villagesync

#endif  // VILLAGESYNC_PROTO_PROTOBUF_LOG_H_
