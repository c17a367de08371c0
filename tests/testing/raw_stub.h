// Raw gRPC access to a test server, bypassing the client library, for tests
// of what the server does with any request (bad tokens, bad input).
#ifndef VILLAGESYNC_TESTS_TESTING_RAW_STUB_H_
#define VILLAGESYNC_TESTS_TESTING_RAW_STUB_H_

#include <memory>
#include <string>

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/admin.grpc.pb.h"
#include "proto/sync.grpc.pb.h"

namespace villagesync::testing {

// A channel to `address` and stubs for both services.
struct RawStub {
  explicit RawStub(const std::string& address)
      : channel(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        sync(v1::SyncService::NewStub(channel)),
        admin(v1::AdminService::NewStub(channel)) {}

  // A context carrying `token` ("" = no authorization metadata).
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::SyncService::Stub> sync;
  std::unique_ptr<v1::AdminService::Stub> admin;
};

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_RAW_STUB_H_
