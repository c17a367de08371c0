#include "server/report.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "proto/status_macros.h"
#include "server/rule_table.h"
#include "storage/record_view.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

constexpr const char* kFieldRoles[] = {"field_worker", "first_secretary",
                                       "village_secretary"};

// The counters of one village, split by kind.
struct VillageCounters {
  std::map<std::string, int64_t> snapshot;  // "members/<status>", ...
  // month -> name ("meeting/<type>", "due", ...) -> amount
  std::map<absl::CivilMonth, std::map<std::string, int64_t>> months;
};

// Report sums saturate rather than wrap: a figure stuck at the int64 limit is
// wrong but visibly so, never negative.
int64_t Plus(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max()
               : std::numeric_limits<int64_t>::min();
}

void Accumulate(int64_t* total, int64_t amount) {
  *total = Plus(*total, amount);
}

std::string DayText(absl::CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

bool InPeriod(const Period& period, absl::CivilMonth m) {
  return m >= period.first && m < period.first + period.months;
}

// Splits counters "<village>/s/<name>" and "<village>/m/<YYYY-MM>/<name>".
std::map<std::string, VillageCounters> SplitCounters(
    const std::vector<std::pair<std::string, int64_t>>& counters,
    const Period& period) {
  std::map<std::string, VillageCounters> villages;
  for (const auto& [key, amount] : counters) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(key, absl::MaxSplits('/', 3));
    if (parts.size() < 3) continue;
    VillageCounters& v = villages[std::string(parts[0])];
    if (parts[1] == "s") {
      Accumulate(&v.snapshot[absl::StrCat(parts[2], parts.size() > 3 ? "/" : "",
                                          parts.size() > 3 ? parts[3] : "")],
                 amount);
      continue;
    }
    absl::CivilMonth month;
    if (parts.size() < 4 || !ParseMonth(parts[2], &month) ||
        !InPeriod(period, month)) {
      continue;
    }
    Accumulate(&v.months[month][std::string(parts[3])], amount);
  }
  return villages;
}

int64_t HeldIn(const VillageCounters& v, const std::string& type,
               absl::CivilMonth first, int months) {
  int64_t held = 0;
  for (int i = 0; i < months; ++i) {
    auto month = v.months.find(first + i);
    if (month == v.months.end()) continue;
    auto it = month->second.find("meeting/" + type);
    if (it != month->second.end()) Accumulate(&held, it->second);
  }
  return held;
}

// Judges `type` unit by unit: every month, full quarter or full year of the
// period against the rule in force at the unit's start.
v1::MeetingCompliance Judge(const std::string& village,
                            const VillageCounters& v, const std::string& type,
                            const std::vector<v1::Rule>& rules,
                            const Period& period) {
  v1::MeetingCompliance m;
  m.set_meeting_type(type);
  m.set_held(HeldIn(v, type, period.first, period.months));
  m.set_complies(true);
  const std::pair<v1::Cadence, int> units[] = {{v1::CADENCE_MONTHLY, 1},
                                               {v1::CADENCE_QUARTERLY, 3},
                                               {v1::CADENCE_YEARLY, 12}};
  for (const auto& [cadence, length] : units) {
    for (absl::CivilMonth start = period.first;
         start + length <= period.first + period.months; start += length) {
      if ((start.month() - 1) % length != 0)
        continue;  // calendar-aligned units
      const v1::Rule* rule = RuleInForce(rules, type, village, start);
      if (rule == nullptr || rule->cadence() != cadence ||
          rule->min_count() == 0) {
        continue;
      }
      m.set_judged(true);
      m.set_required(m.required() + rule->min_count());
      if (HeldIn(v, type, start, length) < rule->min_count())
        m.set_complies(false);
    }
  }
  if (!m.judged()) m.set_complies(false);
  return m;
}

int64_t Sum(const VillageCounters& v, const std::string& name) {
  int64_t total = 0;
  for (const auto& [month, counters] : v.months) {
    auto it = counters.find(name);
    if (it != counters.end()) Accumulate(&total, it->second);
  }
  return total;
}

std::set<std::string> MeetingTypes(const std::string& village,
                                   const VillageCounters& v,
                                   const std::vector<v1::Rule>& rules) {
  std::set<std::string> types;
  for (const v1::Rule& rule : rules) {
    if (absl::StartsWith(village, rule.region())) {
      types.insert(rule.meeting_type());
    }
  }
  for (const auto& [month, counters] : v.months) {
    for (const auto& [name, amount] : counters) {
      if (absl::StartsWith(name, "meeting/")) types.insert(name.substr(8));
    }
  }
  return types;
}

void FillSnapshot(const VillageCounters& v, v1::ReportRow* row) {
  for (const auto& [name, amount] : v.snapshot) {
    if (amount == 0) continue;
    if (absl::StartsWith(name, "members/")) {
      Accumulate(&(*row->mutable_members_by_status())[name.substr(8)], amount);
    } else if (absl::StartsWith(name, "development/")) {
      Accumulate(&(*row->mutable_development_by_stage())[name.substr(12)],
                 amount);
    }
  }
}

bool IsFieldRole(const std::string& role) {
  return std::find(std::begin(kFieldRoles), std::end(kFieldRoles), role) !=
         std::end(kFieldRoles);
}

int64_t DaysSince(int64_t micros, absl::Time now) {
  if (micros == 0) return -1;
  return absl::ToInt64Hours(now - absl::FromUnixMicros(micros)) / 24;
}

// The registered field devices as reports show them.
std::vector<v1::DeviceSync> DeviceSyncs(
    const std::vector<v1::Device>& registered) {
  std::vector<v1::DeviceSync> devices;
  for (const v1::Device& d : registered) {
    if (d.server() || !IsFieldRole(d.role())) continue;
    v1::DeviceSync& shown = devices.emplace_back();
    shown.set_replica_id(d.replica_id());
    shown.set_user(d.user());
    shown.set_role(d.role());
    shown.set_scope(d.scope());
    shown.set_last_sync_micros(d.last_sync_micros());
  }
  return devices;
}

void FillDevices(const std::vector<v1::DeviceSync>& devices,
                 const std::string& village, absl::Time now,
                 v1::ReportRow* row) {
  for (const v1::DeviceSync& d : devices) {
    if (!IsFieldRole(d.role()) || !absl::StartsWith(village, d.scope()))
      continue;
    v1::DeviceSync& shown = *row->add_devices();
    shown = d;
    shown.set_days_stale(DaysSince(d.last_sync_micros(), now));
    row->set_last_sync_micros(
        std::max(row->last_sync_micros(), d.last_sync_micros()));
  }
  row->set_days_stale(DaysSince(row->last_sync_micros(), now));
}

v1::ReportRow VillageRow(const std::string& village, const VillageCounters& v,
                         const std::vector<v1::Rule>& rules,
                         const Period& period) {
  v1::ReportRow row;
  row.set_village(village);
  FillSnapshot(v, &row);
  row.set_complies(true);
  for (const std::string& type : MeetingTypes(village, v, rules)) {
    v1::MeetingCompliance m = Judge(village, v, type, rules, period);
    if (m.judged() && !m.complies()) row.set_complies(false);
    *row.add_meetings() = std::move(m);
  }
  row.set_attendance_present(Sum(v, "present"));
  row.set_attendance_due(Sum(v, "due"));
  row.set_visits(Sum(v, "visits"));
  row.set_requests_opened(Sum(v, "requests_opened"));
  row.set_requests_closed(Sum(v, "requests_closed"));
  return row;
}

// Adds a village's figures for one meeting type to the summary's entry for
// that type.
void AddMeeting(const v1::MeetingCompliance& m, v1::ReportRow* summary) {
  v1::MeetingCompliance* total = nullptr;
  for (v1::MeetingCompliance& t : *summary->mutable_meetings()) {
    if (t.meeting_type() == m.meeting_type()) total = &t;
  }
  if (total == nullptr) {
    total = summary->add_meetings();
    total->set_meeting_type(m.meeting_type());
    total->set_complies(true);
  }
  total->set_held(Plus(total->held(), m.held()));
  total->set_required(Plus(total->required(), m.required()));
  total->set_judged(total->judged() || m.judged());
  if (m.judged() && !m.complies()) total->set_complies(false);
}

void AddTo(const v1::ReportRow& row, v1::ReportRow* summary) {
  for (const auto& [k, n] : row.members_by_status())
    Accumulate(&(*summary->mutable_members_by_status())[k], n);
  for (const auto& [k, n] : row.development_by_stage())
    Accumulate(&(*summary->mutable_development_by_stage())[k], n);
  for (const v1::MeetingCompliance& m : row.meetings()) {
    AddMeeting(m, summary);
  }
  summary->set_complies(summary->complies() && row.complies());
  summary->set_attendance_present(
      Plus(summary->attendance_present(), row.attendance_present()));
  summary->set_attendance_due(
      Plus(summary->attendance_due(), row.attendance_due()));
  summary->set_visits(Plus(summary->visits(), row.visits()));
  summary->set_requests_opened(
      Plus(summary->requests_opened(), row.requests_opened()));
  summary->set_requests_closed(
      Plus(summary->requests_closed(), row.requests_closed()));
  summary->set_open_conflicts(
      Plus(summary->open_conflicts(), row.open_conflicts()));
  summary->set_last_sync_micros(
      std::max(summary->last_sync_micros(), row.last_sync_micros()));
  summary->set_days_stale(std::max(summary->days_stale(), row.days_stale()));
}

absl::StatusOr<std::map<std::string, int64_t>> OpenConflicts(
    const RecordStore& store, absl::string_view region) {
  ConflictQuery query;
  query.village_prefix = std::string(region);
  query.status = v1::CONFLICT_STATUS_OPEN;
  query.limit = 1 << 20;
  VS_ASSIGN_OR_RETURN(std::vector<v1::Conflict> conflicts,
                      store.ListConflicts(query));
  std::map<std::string, int64_t> counts;
  for (const v1::Conflict& c : conflicts) ++counts[c.key().village()];
  return counts;
}

}  // namespace

absl::StatusOr<Period> ParsePeriod(absl::string_view text) {
  int year = 0, n = 0;
  Period period;
  if (text.size() == 4 && absl::SimpleAtoi(text, &year)) {
    period.first = absl::CivilMonth(year, 1);
    period.months = 12;
  } else if (text.size() == 7 && text[4] == '-' && text[5] == 'Q' &&
             absl::SimpleAtoi(text.substr(0, 4), &year) &&
             absl::SimpleAtoi(text.substr(6), &n) && n >= 1 && n <= 4) {
    period.first = absl::CivilMonth(year, 3 * (n - 1) + 1);
    period.months = 3;
  } else if (!ParseMonth(text, &period.first)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "period: ", Quoted(text), " is not YYYY-MM, YYYY-Qn or YYYY"));
  }
  return period;
}

// Kinds of org units that stand for a whole village, highest first.
constexpr absl::string_view kVillageKinds[] = {"党委", "党总支", "党支部"};

// Village code -> the name of its party organization (see
// ReportRow.village_name). Org units are a few records per village.
absl::StatusOr<std::map<std::string, std::string>> VillageNames(
    const RecordStore& store, absl::string_view region) {
  std::map<std::string, std::string> names;
  const v1::CollectionSchema* schema =
      store.schemas().FindCollection("org_units");
  if (schema == nullptr) return names;
  std::map<std::string, size_t> rank_of;  // village -> kind rank of its name
  std::string after;
  for (;;) {
    VS_ASSIGN_OR_RETURN(std::vector<Record> page,
                        store.List("org_units", region, 1000, after));
    for (const Record& record : page) {
      RecordView view = ViewRecord(record, *schema);
      std::string kind, name;
      for (const FieldView& f : view.fields) {
        if (f.name == "kind" && f.value) kind = f.value->enum_value();
        if (f.name == "name" && f.value) name = f.value->string_value();
      }
      size_t rank =
          std::find(std::begin(kVillageKinds), std::end(kVillageKinds), kind) -
          std::begin(kVillageKinds);
      const std::string& village = record.key.village();
      auto best = rank_of.find(village);
      if (view.deleted || rank == std::size(kVillageKinds) || name.empty() ||
          (best != rank_of.end() && best->second <= rank)) {
        continue;  // records come by id: an equal kind keeps the lower id
      }
      rank_of[village] = rank;
      names[village] = name;
    }
    if (page.size() < 1000) return names;
    after = absl::StrCat(page.back().key.village(), "/", page.back().key.id());
  }
}

absl::StatusOr<v1::ReportResponse> BuildReport(
    const RecordStore& store, const std::vector<v1::Rule>& rules,
    const std::vector<v1::Device>& registered, absl::string_view region,
    absl::string_view period_text, absl::Time now) {
  VS_ASSIGN_OR_RETURN(Period period, ParsePeriod(period_text));
  VS_ASSIGN_OR_RETURN(auto counters, store.ReadCounters(region));
  std::vector<v1::DeviceSync> devices = DeviceSyncs(registered);
  VS_ASSIGN_OR_RETURN(auto conflicts, OpenConflicts(store, region));
  VS_ASSIGN_OR_RETURN(auto names, VillageNames(store, region));
  std::map<std::string, VillageCounters> villages =
      SplitCounters(counters, period);
  for (const auto& [village, count] : conflicts) villages[village];
  v1::ReportResponse report;
  report.set_region_prefix(std::string(region));
  report.set_period(std::string(period_text));
  report.set_period_start(DayText(absl::CivilDay(period.first)));
  report.set_period_end(
      DayText(absl::CivilDay(period.first + period.months) - 1));
  report.set_generated_micros(absl::ToUnixMicros(now));
  v1::ReportRow* summary = report.mutable_summary();
  summary->set_village(std::string(region));
  summary->set_complies(true);
  summary->set_days_stale(-1);
  for (const auto& [village, v] : villages) {
    v1::ReportRow row = VillageRow(village, v, rules, period);
    auto name = names.find(village);
    if (name != names.end()) row.set_village_name(name->second);
    FillDevices(devices, village, now, &row);
    auto open = conflicts.find(village);
    row.set_open_conflicts(open == conflicts.end() ? 0 : open->second);
    AddTo(row, summary);
    *report.add_villages() = std::move(row);
  }
  return report;
}

}  // namespace villagesync
