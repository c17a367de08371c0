// Log lines (server/logger.h): RFC 3339 time with the zone's offset, level,
// event and logfmt fields (quoted when needed), or one JSON object per line;
// a limited event is written at most once per period and says how many were
// suppressed.
#include "server/logger.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace villagesync {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(LoggerTest, ATextLineHasTimeWithOffsetLevelEventAndQuotedFields) {
  std::vector<std::string> lines;
  Logger logger([&](absl::string_view line) { lines.emplace_back(line); });
  logger.Warn("replication",
              {{"peer", "city"}, {"error", "peer said \"no\" = refused"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0],
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:"
                           "[0-9]{2} WARN replication peer=city error=.*"));
  EXPECT_THAT(lines[0], HasSubstr("error=\"peer said \\\"no\\\" = refused\""));
}

TEST(LoggerTest, AJsonLineIsOneObjectWithTheSameFields) {
  std::vector<std::string> lines;
  Logger logger([&](absl::string_view line) { lines.emplace_back(line); },
                LogFormat::kJson);
  logger.Info("sync", {{"user", "周"}, {"in", "3"}});
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json json = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(json["level"], "INFO");
  EXPECT_EQ(json["event"], "sync");
  EXPECT_EQ(json["user"], "周");
  EXPECT_EQ(json["in"], "3");
  EXPECT_TRUE(json.contains("time"));
}

TEST(LoggerTest, ALimitedEventSaysHowManyWereSuppressed) {
  std::vector<std::string> lines;
  Logger logger([&](absl::string_view line) { lines.emplace_back(line); });
  for (int i = 0; i < 5; ++i) {
    logger.Limited(LogLevel::kWarning, "auth_refused", absl::Milliseconds(200),
                   {});
  }
  absl::SleepFor(absl::Milliseconds(250));
  logger.Limited(LogLevel::kWarning, "auth_refused", absl::Milliseconds(200),
                 {});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[1], HasSubstr("suppressed=4"));
}

TEST(LoggerTest, LogFormatsParse) {
  LogFormat format;
  EXPECT_TRUE(ParseLogFormat("json", &format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("xml", &format));
}

}  // namespace
}  // namespace villagesync
