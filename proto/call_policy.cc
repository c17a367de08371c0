#include "proto/call_policy.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"

namespace villagesync {
namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(d / absl::Milliseconds(1));
}

}  // namespace

grpc::ChannelArguments CallerChannelArguments(int max_receive_bytes) {
  grpc::ChannelArguments args;
  args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  args.SetMaxReceiveMessageSize(max_receive_bytes);
  // Retries are ours (Retryable, WaitToRetry). gRPC's own, which 1.51 makes
  // transparently when a connection dies under a call, resend a gzip
  // request malformed (grpc/grpc#37742): the server then refuses it with
  // INVALID_ARGUMENT and the sync fails for good.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, Millis(kMaxReconnectBackoff));
  // gRPC names the connect timeout "min reconnect backoff" (default 20 s).
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, Millis(kConnectTimeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(kKeepaliveInterval));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(kKeepaliveTimeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  // A call waiting on a slow server sends no data: keep pinging anyway.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

void AcceptCallerKeepalive(grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(kKeepaliveInterval) / 2);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                              Millis(absl::Minutes(1)));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              Millis(kKeepaliveTimeout));
}

bool Retryable(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
      return true;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::StrContains(status.error_message(), "Threadpool Exhausted");
    default:
      return false;
  }
}

void WaitToRetry(grpc::Channel& channel, const grpc::Status& failed,
                 absl::Duration pause) {
  if (pause <= absl::ZeroDuration()) return;
  if (failed.error_code() == grpc::StatusCode::UNAVAILABLE) {
    // Returns as soon as a connection is up; connecting meanwhile follows
    // the reconnect backoff.
    channel.WaitForConnected(absl::ToChronoTime(absl::Now() + pause));
    return;
  }
  absl::SleepFor(pause);
}

}  // namespace villagesync
