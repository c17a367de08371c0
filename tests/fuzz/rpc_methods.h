// The methods rpc_request_fuzz calls, in the order its first input byte
// picks them (shared with fuzz_seeds, which writes seeds for each).
#ifndef VILLAGESYNC_TESTS_FUZZ_RPC_METHODS_H_
#define VILLAGESYNC_TESTS_FUZZ_RPC_METHODS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "proto/admin.pb.h"
#include "proto/sync.pb.h"

namespace villagesync::fuzz {

// The replica ids of the devices a fuzzed push may come from.
inline constexpr uint64_t kDeviceBase = 0x5eed000000000000;

// Full method names ("/villagesync.v1.SyncService/Push") of both services,
// without those that would stop the fuzzing (RevokeUser: a revoked caller)
// or write outside the server's data dir (Backup: a destination).
inline std::vector<std::string> RpcMethods() {
  std::vector<std::string> methods;
  for (const char* name :
       {"villagesync.v1.SyncService", "villagesync.v1.AdminService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string& method = service->method(i)->name();
      if (method == "RevokeUser" || method == "Backup") continue;
      methods.push_back(absl::StrCat("/", name, "/", method));
    }
  }
  return methods;
}

}  // namespace villagesync::fuzz

#endif  // VILLAGESYNC_TESTS_FUZZ_RPC_METHODS_H_
