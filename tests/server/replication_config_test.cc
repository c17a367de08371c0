// Tests for server/replication_config.h: the documented example parses, and
// bad configs name the field (or the line) at fault.
#include "server/replication_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/durable_file.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

TEST(ReplicationConfigTest, TheDocumentedExampleParses) {
  auto config = LoadReplicationConfig(VILLAGESYNC_SOURCE_DIR
                                      "/docs/peers.example.textproto");
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->peers_size(), 2);
  EXPECT_EQ(config->peers(0).name(), "city");
  EXPECT_FALSE(config->peers(0).has_strip_pii());
  EXPECT_TRUE(config->peers(1).has_strip_pii());
}

TEST(ReplicationConfigTest, ABadPeerNamesTheFieldAndASyntaxErrorTheLine) {
  testing::TempDir dir;
  std::string path = dir.Sub("peers.textproto");
  ASSERT_THAT(WriteFileDurably(path,
                               "peers { name: \"x\" token: \"t\" "
                               "direction: DIRECTION_PUSH }"),
              IsOk());
  EXPECT_THAT(LoadReplicationConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("peers[0].address")));
  ASSERT_THAT(WriteFileDurably(path, "peers {\n  name: \"x\"\n  colour: 1\n}"),
              IsOk());
  EXPECT_THAT(
      LoadReplicationConfig(path),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3")));
  EXPECT_THAT(LoadReplicationConfig(dir.Sub("missing")),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace villagesync
