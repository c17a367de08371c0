#include "client/internal/report_common.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace villagesync {
namespace cli {

int64_t Total(const Counts& counts) {
  int64_t total = 0;
  for (const auto& entry : counts) total += entry.second;
  return total;
}

bool NeverSynced(int64_t last_sync_micros, int64_t days_stale) {
  return last_sync_micros == 0 || days_stale < 0;
}

bool Judged(const v1::ReportRow& row) {
  return std::any_of(row.meetings().begin(), row.meetings().end(),
                     [](const v1::MeetingCompliance& m) { return m.judged(); });
}

std::string RateDecimal(int64_t present, int64_t due) {
  if (due == 0) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f",
                static_cast<double>(present) / static_cast<double>(due));
  return buffer;
}

std::string TotalLabel(const std::string& region_prefix) {
  return region_prefix.empty() ? "TOTAL"
                               : absl::StrCat("TOTAL ", region_prefix);
}

namespace {

// An IANA name ("Asia/Shanghai"): never a path a server could point the
// client at ("/dev/..." or "../").
bool IsZoneName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' ||
      absl::StrContains(name, "..")) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
           c == '_' || c == '+' || c == '-';
  });
}

}  // namespace

absl::TimeZone ReportZone(const v1::ReportResponse& report) {
  absl::TimeZone zone;
  if (!IsZoneName(report.time_zone()) ||
      !absl::LoadTimeZone(report.time_zone(), &zone)) {
    return absl::UTCTimeZone();
  }
  return zone;
}

}  // namespace cli
}  // namespace villagesync
