// Writes the seed corpus of every fuzz target under DIR (corpus/<target>/):
// requests a real device sends (made by a real device store), valid stored
// records, values of every built-in field type, and peers configs. Run
// after changing a message the targets read:
//   build/tests/fuzz/fuzz_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/sync.pb.h"
#include "storage/builtin_schemas.h"
#include "storage/record_store.h"
#include "tests/fuzz/rpc_methods.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"

namespace villagesync::fuzz {
namespace {

class SeedWriter {
 public:
  SeedWriter(const std::string& root, const std::string& target)
      : dir_(root + "/" + target) {
    std::filesystem::create_directories(dir_);
  }
  void Write(const std::string& bytes) {
    std::ofstream(absl::StrCat(dir_, "/seed-", count_++), std::ios::binary)
        << bytes;
  }

 private:
  const std::string dir_;
  int count_ = 0;
};

std::string Prefixed(size_t method, int flags, const std::string& body) {
  return std::string(1, static_cast<char>(method)) +
         std::string(1, static_cast<char>(flags)) + body;
}

// Members put on a real device store, their dots moved to the first fuzzed
// device's replica id.
std::vector<v1::Change> DeviceChanges() {
  testing::TempDir dir;
  auto store = RecordStore::Open(dir.Sub("device"));
  std::vector<v1::Change> changes;
  if (!store.ok()) return changes;
  for (int i = 0; i < 3; ++i) {
    LocalEdit edit =
        testing::NewMember("440101001001", absl::StrCat("m", i), "党员");
    absl::StatusOr<v1::Change> change = (*store)->Put(edit);
    if (change.ok()) changes.push_back(*change);
  }
  uint64_t own = (*store)->replica_id();
  for (v1::Change& change : changes) {
    for (v1::FieldState& field : *change.mutable_fields()) {
      for (v1::Sibling& sibling : *field.mutable_siblings()) {
        if (sibling.dot().replica() == own) {
          sibling.mutable_dot()->set_replica(kDeviceBase);
        }
      }
      for (v1::Dot& dot : *field.mutable_context()) {
        if (dot.replica() == own) dot.set_replica(kDeviceBase);
      }
    }
  }
  return changes;
}

void RpcSeeds(const std::string& root, const std::vector<v1::Change>& changes) {
  SeedWriter seeds(root, "rpc_request_fuzz");
  std::vector<std::string> methods = RpcMethods();
  for (size_t m = 0; m < methods.size(); ++m) {
    seeds.Write(Prefixed(m, 0, ""));
    seeds.Write(Prefixed(m, 1, ""));
    if (absl::EndsWith(methods[m], "/Push")) {
      v1::PushRequest push;
      push.set_replica_id(kDeviceBase);
      for (const v1::Change& change : changes) *push.add_changes() = change;
      seeds.Write(Prefixed(m, 2, push.SerializeAsString()));
      seeds.Write(Prefixed(m, 3, push.SerializeAsString()));
    } else if (absl::EndsWith(methods[m], "/Pull")) {
      v1::PullRequest pull;
      pull.set_max_changes(10);
      pull.set_village_prefix("440101001");
      pull.set_replica_id(kDeviceBase);
      seeds.Write(Prefixed(m, 0, pull.SerializeAsString()));
    } else if (absl::EndsWith(methods[m], "/Hello")) {
      v1::HelloRequest hello;
      hello.set_replica_id(kDeviceBase + 1);
      hello.set_client_version("villagesync/seed");
      seeds.Write(Prefixed(m, 0, hello.SerializeAsString()));
    }
  }
}

void StoredRecordSeeds(const std::string& root,
                       const std::vector<v1::Change>& changes) {
  SeedWriter seeds(root, "stored_record_fuzz");
  for (const v1::Change& change : changes) {
    storage::StoredRecord record;
    for (const v1::FieldState& field : change.fields()) {
      *record.add_fields()->mutable_state() = field;
    }
    record.set_seq(1);
    // Byte 0 picks the collection: "members" among the built-in ones.
    v1::SchemaSet schemas = BuiltinSchemas();
    char collection = 0;
    for (int i = 0; i < schemas.collections_size(); ++i) {
      if (schemas.collections(i).name() == "members") collection = i;
    }
    seeds.Write(std::string(1, collection) + record.SerializeAsString());
  }
}

void CliValueSeeds(const std::string& root) {
  SeedWriter seeds(root, "cli_value_fuzz");
  v1::SchemaSet schemas = BuiltinSchemas();
  const std::vector<std::string> texts = {"张三",
                                          "1995-07-01",
                                          "2026-12-01T08:30:00Z",
                                          "8.2万",
                                          "82000.50元",
                                          "12",
                                          "true",
                                          "440101001001/members/m1",
                                          "甲,乙、丙",
                                          ""};
  for (int c = 0; c < schemas.collections_size(); ++c) {
    for (int f = 0; f < schemas.collections(c).fields_size(); ++f) {
      const v1::FieldSpec& spec = schemas.collections(c).fields(f);
      std::string text = texts[(c + f) % texts.size()];
      if (spec.enum_values_size() > 0) text = spec.enum_values(0);
      seeds.Write(std::string(1, static_cast<char>(c)) +
                  std::string(1, static_cast<char>(f)) + text);
    }
  }
}

void PeersSeeds(const std::string& root) {
  SeedWriter seeds(root, "peers_config_fuzz");
  seeds.Write(
      "peers {\n  name: \"standby\"\n  address: \"standby.example:7443\"\n"
      "  token: \"vs_0123\"\n  direction: DIRECTION_BOTH\n}\n");
  seeds.Write(
      "peers {\n  name: \"city\"\n  address: \"city.example:7443\"\n"
      "  token: \"vs_4567\"\n  direction: DIRECTION_PUSH\n"
      "  region_prefix: \"440101\"\n  collections: \"members\"\n"
      "  ca_file: \"/etc/villagesync/ca.pem\"\n}\n");
  seeds.Write("");
}

}  // namespace
}  // namespace villagesync::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  using namespace villagesync::fuzz;
  std::vector<villagesync::v1::Change> changes = DeviceChanges();
  RpcSeeds(argv[1], changes);
  StoredRecordSeeds(argv[1], changes);
  CliValueSeeds(argv[1]);
  PeersSeeds(argv[1]);
  return changes.empty() ? 1 : 0;
}
