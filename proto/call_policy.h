// The one call policy of every villagesync caller — the device client and a
// server's peer worker — for reaching a server over a bad link: channel
// arguments (reconnects, connect timeout, keepalive), which failures are
// retried, and how long to wait before the next attempt.
//
// What it gives, measured by tests/server/call_policy_test.cc:
//   - a server back after a restart is reached within about a second of its
//     return (reconnect backoff at most kMaxReconnectBackoff, and a retry
//     waits for the connection instead of sleeping past it);
//   - a connection that goes silent (a dead link that sends no reset) is
//     noticed within kKeepaliveInterval + kKeepaliveTimeout and dropped, and
//     the retry opens a new one;
//   - a connect attempt into a dead link gives up after kConnectTimeout and
//     tries again, so a link that comes back is used at once instead of
//     after TCP's own SYN backoff.
#ifndef VILLAGESYNC_PROTO_CALL_POLICY_H_
#define VILLAGESYNC_PROTO_CALL_POLICY_H_

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/status.h"

namespace villagesync {

inline constexpr absl::Duration kMaxReconnectBackoff = absl::Seconds(1);
inline constexpr absl::Duration kConnectTimeout = absl::Seconds(5);
// Pings are sent only while calls are open (an idle device sends nothing).
// The timeout leaves room for a ping queued behind a slow 2G upload.
inline constexpr absl::Duration kKeepaliveInterval = absl::Seconds(10);
inline constexpr absl::Duration kKeepaliveTimeout = absl::Seconds(20);

// Channel arguments of a caller: gzip, replies up to `max_receive_bytes`,
// the reconnect, connect and keepalive behaviour above, and no retries of
// gRPC's own (a caller retries with Retryable and WaitToRetry).
grpc::ChannelArguments CallerChannelArguments(int max_receive_bytes);

// Lets a server accept its callers' keepalive pings (gRPC's default would
// answer them with GOAWAY "too many pings") and drop callers gone silent.
void AcceptCallerKeepalive(grpc::ServerBuilder* builder);

// True if an attempt that failed with `status` may succeed when repeated:
// no server or link (UNAVAILABLE), the deadline passed, the call was
// aborted, or every handler thread of the server was busy (gRPC's
// synchronous server says RESOURCE_EXHAUSTED "Server Threadpool Exhausted";
// other RESOURCE_EXHAUSTED errors, such as an oversize request or a full
// disk, are final for this attempt's caller).
bool Retryable(const grpc::Status& status);

// Waits before the next attempt after one that failed with `failed`: up to
// `pause`, but if the server could not be reached, only until `channel` is
// connected again.
void WaitToRetry(grpc::Channel& channel, const grpc::Status& failed,
                 absl::Duration pause);

}  // namespace villagesync

#endif  // VILLAGESYNC_PROTO_CALL_POLICY_H_
