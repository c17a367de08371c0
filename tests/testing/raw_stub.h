// Raw gRPC access to a test server, bypassing the client library, for tests
// of what the server does with any request (bad tokens, bad input).
#ifndef VILLAGESYNC_TESTS_TESTING_RAW_STUB_H_
#define VILLAGESYNC_TESTS_TESTING_RAW_STUB_H_

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "proto/admin.grpc.pb.h"
#include "proto/sync.grpc.pb.h"

namespace villagesync::testing {

// A channel to `address` and stubs for both services.
struct RawStub {
  explicit RawStub(const std::string& address)
      : channel(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        sync(v1::SyncService::NewStub(channel)),
        admin(v1::AdminService::NewStub(channel)) {}

  // A context carrying `token` ("" = no authorization metadata).
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty())
      context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  // Calls `method` (e.g. "/villagesync.v1.SyncService/Push") with `request`
  // as the raw message bytes, as a client that does not use protobuf would:
  // any bytes at all, well-formed or not. The reply's bytes go to `reply`.
  grpc::Status CallRaw(const std::string& method, const std::string& token,
                       const std::string& request,
                       std::string* reply = nullptr) {
    grpc::Slice slice(request);
    grpc::ByteBuffer in(&slice, 1), out;
    grpc::Status status =
        grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
            channel.get(),
            grpc::internal::RpcMethod(method.c_str(),
                                      grpc::internal::RpcMethod::NORMAL_RPC),
            Context(token).get(), in, &out);
    if (reply != nullptr && status.ok()) {
      std::vector<grpc::Slice> slices;
      (void)out.Dump(&slices);
      reply->clear();
      for (const grpc::Slice& s : slices) {
        reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return status;
  }

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::SyncService::Stub> sync;
  std::unique_ptr<v1::AdminService::Stub> admin;
};

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_RAW_STUB_H_
