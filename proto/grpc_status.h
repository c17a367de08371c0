// Conversion between absl::Status (used inside villagesync) and grpc::Status
// (used only at the RPC edge). Codes map one to one; messages pass through,
// cut to a bound on the way out so no reply carries an unbounded message.
#ifndef VILLAGESYNC_PROTO_GRPC_STATUS_H_
#define VILLAGESYNC_PROTO_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace villagesync {

// The longest status message a server sends, in bytes.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace villagesync

#endif  // VILLAGESYNC_PROTO_GRPC_STATUS_H_
