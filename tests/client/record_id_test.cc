#include "client/internal/record_id.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace villagesync::cli {
namespace {

using ::testing::MatchesRegex;

TEST(RecordIdTest, IdsAreTwentySixCrockfordBase32Characters) {
  EXPECT_THAT(NewRecordId(), MatchesRegex("[0-9A-HJKMNP-TV-Z]{26}"));
}

TEST(RecordIdTest, LaterIdsSortAfterEarlierOnes) {
  absl::Time t = absl::FromUnixMillis(1715301000000);
  EXPECT_LT(NewRecordId(t), NewRecordId(t + absl::Milliseconds(1)));
  EXPECT_EQ(NewRecordId(t).substr(0, 10), NewRecordId(t).substr(0, 10));
}

TEST(RecordIdTest, IdsMadeInTheSameMillisecondDiffer) {
  absl::Time t = absl::FromUnixMillis(1715301000000);
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewRecordId(t));
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace villagesync::cli
