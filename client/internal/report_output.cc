#include "client/internal/report_output.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/internal/json.h"
#include "client/internal/report_common.h"
#include "client/internal/value_text.h"

namespace villagesync {
namespace cli {
namespace {

using Meetings = google::protobuf::RepeatedPtrField<v1::MeetingCompliance>;

// Protobuf maps iterate in no fixed order; output is sorted by key.
std::vector<std::string> SortedKeys(const Counts& counts) {
  std::vector<std::string> keys;
  keys.reserve(counts.size());
  for (const auto& entry : counts) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Flagged in the text view: no sync for kStaleDays or more, or none ever.
bool Stale(int64_t last_sync_micros, int64_t days_stale) {
  return NeverSynced(last_sync_micros, days_stale) || days_stale >= kStaleDays;
}

std::string DateOf(int64_t micros, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(micros), zone);
}

// ---- Text ----

// "正式党员 23, 预备党员 2", or "none".
std::string CountsText(const Counts& counts) {
  std::vector<std::string> parts;
  for (const std::string& key : SortedKeys(counts)) {
    parts.push_back(absl::StrCat(key, " ", counts.at(key)));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

// "25 (正式党员 23, 预备党员 2)", or "0".
std::string MembersText(const Counts& members) {
  if (members.empty()) return "0";
  return absl::StrCat(Total(members), " (", CountsText(members), ")");
}

// "主题党日 3/3 ✓", "支委会 2/3 ✗", or "党课 2" when no rule judged it.
std::string MeetingText(const v1::MeetingCompliance& m) {
  if (!m.judged()) return absl::StrCat(m.meeting_type(), " ", m.held());
  return absl::StrCat(m.meeting_type(), " ", m.held(), "/", m.required(),
                      m.complies() ? " ✓" : " ✗");
}

std::string MeetingsText(const Meetings& meetings) {
  std::vector<std::string> parts;
  for (const v1::MeetingCompliance& m : meetings) {
    parts.push_back(MeetingText(m));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

std::string CompliesText(const v1::ReportRow& row) {
  if (!Judged(row)) return "not judged (no rule applies)";
  return row.complies() ? "yes" : "NO";
}

// "54/69 = 78%", or "-" when nothing was due.
std::string AttendanceText(int64_t present, int64_t due) {
  if (due == 0) return "-";
  return absl::StrCat(present, "/", due, " = ",
                      std::llround(100.0 * static_cast<double>(present) /
                                   static_cast<double>(due)),
                      "%");
}

// "2024-06-28 (3 days ago)", "2024-05-01 (60 days ago) STALE", "never STALE".
std::string SyncText(int64_t micros, int64_t days_stale, absl::TimeZone zone) {
  if (NeverSynced(micros, days_stale)) return "never STALE";
  std::string text = absl::StrCat(DateOf(micros, zone), " (", days_stale,
                                  days_stale == 1 ? " day ago)" : " days ago)");
  if (Stale(micros, days_stale)) absl::StrAppend(&text, " STALE");
  return text;
}

std::string DeviceText(const v1::DeviceSync& device, absl::TimeZone zone) {
  return absl::StrCat(
      absl::Hex(device.replica_id(), absl::kZeroPad16), " ",
      device.user().empty() ? "(unknown user)" : device.user(), ": ",
      SyncText(device.last_sync_micros(), device.days_stale(), zone));
}

// "1 village", "2 villages".
std::string VillagesText(int n) {
  return absl::StrCat(n, n == 1 ? " village" : " villages");
}

std::string HeaderLine(const v1::ReportResponse& report, absl::TimeZone zone) {
  return absl::StrCat("report ", report.period(), " (", report.period_start(),
                      " to ", report.period_end(), "), region ",
                      report.region_prefix().empty() ? "(your whole scope)"
                                                     : report.region_prefix(),
                      ", ", VillagesText(report.villages_size()),
                      ", generated ",
                      report.generated_micros() == 0
                          ? "-"
                          : TimestampToText(report.generated_micros(), zone),
                      "\n");
}

std::string VillageBlock(const v1::ReportRow& row, absl::TimeZone zone) {
  std::string text = absl::StrCat(
      "\nvillage ", row.village(),
      row.village_name().empty() ? "" : absl::StrCat(" ", row.village_name()),
      "\n", "  members:     ", MembersText(row.members_by_status()), "\n",
      "  meetings:    ", MeetingsText(row.meetings()), "\n",
      "  complies:    ", CompliesText(row), "\n", "  attendance:  ",
      AttendanceText(row.attendance_present(), row.attendance_due()), "\n",
      "  visits:      ", row.visits(), "\n", "  requests:    opened ",
      row.requests_opened(), ", closed ", row.requests_closed(), "\n",
      "  development: ", CountsText(row.development_by_stage()), "\n",
      "  last sync:   ",
      SyncText(row.last_sync_micros(), row.days_stale(), zone), "\n");
  for (const v1::DeviceSync& device : row.devices()) {
    absl::StrAppend(&text, "    device ", DeviceText(device, zone), "\n");
  }
  absl::StrAppend(&text, "  conflicts:   ", row.open_conflicts(), " open\n");
  return text;
}

// "2 villages (1 complying, 1 not complying, 1 stale)": counted over the
// village rows, so it holds whatever the summary row sums.
std::string VillageCounts(const v1::ReportResponse& report) {
  int complying = 0, failing = 0, stale = 0;
  for (const v1::ReportRow& row : report.villages()) {
    if (Judged(row)) ++(row.complies() ? complying : failing);
    if (Stale(row.last_sync_micros(), row.days_stale())) ++stale;
  }
  return absl::StrCat(VillagesText(report.villages_size()), " (", complying,
                      " complying, ", failing, " not complying, ", stale,
                      " stale)");
}

// Staleness is per village (counted in VillageCounts): the line shows only
// the region's latest sync, whose date says when anything last arrived.
std::string SummaryLine(const v1::ReportResponse& report, absl::TimeZone zone) {
  const v1::ReportRow& s = report.summary();
  return absl::StrCat(
      "\n", TotalLabel(report.region_prefix()), ": ", VillageCounts(report),
      "; members ", MembersText(s.members_by_status()), "; meetings ",
      MeetingsText(s.meetings()), "; attendance ",
      AttendanceText(s.attendance_present(), s.attendance_due()), "; visits ",
      s.visits(), "; requests opened ", s.requests_opened(), ", closed ",
      s.requests_closed(), "; development ",
      CountsText(s.development_by_stage()), "; last sync ",
      s.last_sync_micros() == 0 ? "never" : DateOf(s.last_sync_micros(), zone),
      "; open conflicts ", s.open_conflicts(), "\n");
}

// ---- JSON ----

template <typename T, typename ToJson>
std::string ArrayJson(const google::protobuf::RepeatedPtrField<T>& items,
                      ToJson to_json) {
  std::vector<std::string> elements;
  for (const T& item : items) elements.push_back(to_json(item));
  return absl::StrCat("[", absl::StrJoin(elements, ","), "]");
}

std::string CountsJson(const Counts& counts) {
  JsonObject json;
  for (const std::string& key : SortedKeys(counts)) {
    json.AddRaw(key, absl::StrCat(counts.at(key)));
  }
  return json.Build();
}

std::string JudgedJson(bool judged, bool complies) {
  if (!judged) return "null";
  return complies ? "true" : "false";
}

std::string MeetingJson(const v1::MeetingCompliance& m) {
  JsonObject json;
  json.AddString("type", m.meeting_type())
      .AddRaw("held", absl::StrCat(m.held()))
      .AddRaw("required", absl::StrCat(m.required()))
      .AddRaw("complies", JudgedJson(m.judged(), m.complies()));
  return json.Build();
}

// Adds "last_sync" and "days_stale", both null if never synced.
void AddSyncJson(int64_t micros, int64_t days_stale, absl::TimeZone zone,
                 JsonObject* json) {
  bool never = NeverSynced(micros, days_stale);
  json->AddRaw("last_sync",
               never ? "null" : JsonQuote(TimestampToText(micros, zone)))
      .AddRaw("days_stale", never ? "null" : absl::StrCat(days_stale));
}

std::string DeviceJson(const v1::DeviceSync& device, absl::TimeZone zone) {
  JsonObject json;
  json.AddString("replica",
                 absl::StrCat(absl::Hex(device.replica_id(), absl::kZeroPad16)))
      .AddString("user", device.user());
  AddSyncJson(device.last_sync_micros(), device.days_stale(), zone, &json);
  return json.Build();
}

std::string AttendanceJson(const v1::ReportRow& row) {
  std::string rate =
      RateDecimal(row.attendance_present(), row.attendance_due());
  JsonObject json;
  json.AddRaw("present", absl::StrCat(row.attendance_present()))
      .AddRaw("due", absl::StrCat(row.attendance_due()))
      .AddRaw("rate", rate.empty() ? "null" : rate);
  return json.Build();
}

std::string RowJson(const v1::ReportRow& row, absl::TimeZone zone) {
  JsonObject requests;
  requests.AddRaw("opened", absl::StrCat(row.requests_opened()))
      .AddRaw("closed", absl::StrCat(row.requests_closed()));
  JsonObject json;
  json.AddString("village", row.village())
      .AddString("village_name", row.village_name())
      .AddRaw("members_by_status", CountsJson(row.members_by_status()))
      .AddRaw("members_total", absl::StrCat(Total(row.members_by_status())))
      .AddRaw("meetings", ArrayJson(row.meetings(), MeetingJson))
      .AddRaw("complies", JudgedJson(Judged(row), row.complies()))
      .AddRaw("attendance", AttendanceJson(row))
      .AddRaw("visits", absl::StrCat(row.visits()))
      .AddRaw("requests", requests.Build())
      .AddRaw("development_by_stage", CountsJson(row.development_by_stage()));
  AddSyncJson(row.last_sync_micros(), row.days_stale(), zone, &json);
  json.AddRaw("open_conflicts", absl::StrCat(row.open_conflicts()))
      .AddRaw("devices",
              ArrayJson(row.devices(), [zone](const v1::DeviceSync& device) {
                return DeviceJson(device, zone);
              }));
  return json.Build();
}

}  // namespace

std::string ReportToText(const v1::ReportResponse& report) {
  absl::TimeZone zone = ReportZone(report);
  std::string text = HeaderLine(report, zone);
  for (const v1::ReportRow& row : report.villages()) {
    absl::StrAppend(&text, VillageBlock(row, zone));
  }
  absl::StrAppend(&text, SummaryLine(report, zone));
  return text;
}

std::string ReportToJson(const v1::ReportResponse& report) {
  absl::TimeZone zone = ReportZone(report);
  std::vector<std::string> villages;
  for (const v1::ReportRow& row : report.villages()) {
    villages.push_back(RowJson(row, zone));
  }
  JsonObject json;
  json.AddString("region", report.region_prefix())
      .AddString("period", report.period())
      .AddString("period_start", report.period_start())
      .AddString("period_end", report.period_end())
      .AddRaw("generated",
              report.generated_micros() == 0
                  ? "null"
                  : JsonQuote(TimestampToText(report.generated_micros(), zone)))
      .AddString("time_zone", zone.name())
      .AddRaw("villages", JsonArrayLines(villages))
      .AddRaw("summary", RowJson(report.summary(), zone));
  return json.Build();
}

std::string CadenceName(v1::Cadence cadence) {
  switch (cadence) {
    case v1::CADENCE_MONTHLY:
      return "monthly";
    case v1::CADENCE_QUARTERLY:
      return "quarterly";
    case v1::CADENCE_YEARLY:
      return "yearly";
    default:
      return "unspecified";
  }
}

std::string RuleToLine(const v1::Rule& rule) {
  return absl::StrCat(rule.meeting_type(), "  ", CadenceName(rule.cadence()),
                      "  ≥", rule.min_count(), "  from ", rule.effective_from(),
                      rule.region().empty() ? "" : "  in ", rule.region());
}

std::string RuleToJson(const v1::Rule& rule) {
  JsonObject json;
  json.AddString("type", rule.meeting_type())
      .AddString("cadence", CadenceName(rule.cadence()))
      .AddRaw("min", absl::StrCat(rule.min_count()))
      .AddString("from", rule.effective_from())
      .AddString("region", rule.region());
  return json.Build();
}

std::string RulesToJson(
    const google::protobuf::RepeatedPtrField<v1::Rule>& rules) {
  std::vector<std::string> objects;
  for (const v1::Rule& rule : rules) objects.push_back(RuleToJson(rule));
  return JsonArrayLines(objects);
}

}  // namespace cli
}  // namespace villagesync
