// Fuzzes the replication config (`villagesyncd --peers FILE`, protobuf text
// format): any file is a config or INVALID_ARGUMENT (with the line of a
// syntax error, or naming the field of a bad peer), and a config accepted
// once is accepted again after printing.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "proto/replication.pb.h"
#include "server/replication_config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// The file LoadReplicationConfig reads, holding `text`.
const std::string& ScratchFile(const std::string& text) {
  static const std::string* path = new std::string(
      absl::StrCat("/tmp/villagesync-peers-fuzz-", getpid(), ".textproto"));
  std::ofstream(*path, std::ios::binary | std::ios::trunc) << text;
  return *path;
}

}  // namespace

VILLAGESYNC_FUZZ_NO_INITIALIZE

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace villagesync;
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<v1::ReplicationConfig> config =
      LoadReplicationConfig(ScratchFile(text));
  if (!config.ok()) {
    fuzz::Check(absl::IsInvalidArgument(config.status()),
                config.status().ToString());
    return 0;
  }
  std::string printed;
  google::protobuf::TextFormat::PrintToString(*config, &printed);
  absl::StatusOr<v1::ReplicationConfig> again =
      LoadReplicationConfig(ScratchFile(printed));
  fuzz::Check(again.ok(), absl::StrCat("printed config refused: ",
                                       again.status().ToString()));
  return 0;
}
