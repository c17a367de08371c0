// gmock matchers for absl::Status and absl::StatusOr (Debian's Abseil ships
// none): EXPECT_THAT(s, IsOk()); EXPECT_THAT(s, StatusIs(code, HasSubstr(..))).
#ifndef VILLAGESYNC_TESTS_TESTING_STATUS_MATCHERS_H_
#define VILLAGESYNC_TESTS_TESTING_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace villagesync::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

}  // namespace villagesync::testing

// Asserts `rexpr` is OK and moves its value into `lhs`.
#define VS_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  VS_ASSERT_OK_AND_ASSIGN_IMPL_(VS_TEST_CONCAT_(vs_or_, __LINE__), lhs, rexpr)
#define VS_TEST_CONCAT_INNER_(a, b) a##b
#define VS_TEST_CONCAT_(a, b) VS_TEST_CONCAT_INNER_(a, b)
#define VS_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  ASSERT_TRUE(tmp.ok()) << tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // VILLAGESYNC_TESTS_TESTING_STATUS_MATCHERS_H_
