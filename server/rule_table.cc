#include "server/rule_table.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/status_macros.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

constexpr absl::string_view kPrefix = "rules/";

std::string MetaKey(const v1::Rule& rule) {
  // Rules for everywhere keep the key they had before rules had regions.
  std::string key =
      absl::StrCat(kPrefix, rule.meeting_type(), "/", rule.effective_from());
  if (!rule.region().empty()) absl::StrAppend(&key, "/", rule.region());
  return key;
}

// True if the `meetings` schema declares `type` as a meeting type.
bool IsMeetingType(const SchemaRegistry& schemas, const std::string& type) {
  const v1::FieldSpec* spec = schemas.FindField("meetings", "type");
  if (spec == nullptr) return false;
  return std::find(spec->enum_values().begin(), spec->enum_values().end(),
                   type) != spec->enum_values().end();
}

v1::Rule MakeRule(const char* type, v1::Cadence cadence) {
  v1::Rule rule;
  rule.set_meeting_type(type);
  rule.set_cadence(cadence);
  rule.set_min_count(1);
  rule.set_effective_from("2000-01");
  return rule;
}

absl::Status Validate(const SchemaRegistry& schemas, const v1::Rule& rule) {
  absl::CivilMonth month;
  if (!IsMeetingType(schemas, rule.meeting_type())) {
    return absl::InvalidArgumentError(
        absl::StrCat("meeting_type: ", Quoted(rule.meeting_type()),
                     " is not a meeting type the meetings schema declares"));
  }
  if (rule.cadence() == v1::CADENCE_UNSPECIFIED ||
      !v1::Cadence_IsValid(rule.cadence())) {
    return absl::InvalidArgumentError(
        "cadence: one of monthly, quarterly, yearly");
  }
  if (!IsVillagePrefix(rule.region())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "region: ", Quoted(rule.region()), " is not a prefix of 0-12 digits"));
  }
  if (!ParseMonth(rule.effective_from(), &month)) {
    return absl::InvalidArgumentError("effective_from: expected YYYY-MM");
  }
  return absl::OkStatus();
}

}  // namespace

bool ParseMonth(absl::string_view text, absl::CivilMonth* month) {
  int year = 0, mon = 0;
  if (text.size() != 7 || text[4] != '-' ||
      !absl::SimpleAtoi(text.substr(0, 4), &year) ||
      !absl::SimpleAtoi(text.substr(5, 2), &mon) || mon < 1 || mon > 12) {
    return false;
  }
  *month = absl::CivilMonth(year, mon);
  return true;
}

RuleTable::RuleTable(RecordStore* store) : store_(store) {}

absl::Status RuleTable::InstallDefaults() {
  VS_ASSIGN_OR_RETURN(std::vector<v1::Rule> existing, List());
  if (!existing.empty()) return absl::OkStatus();
  // DOMAIN.md, "Rule table defaults".
  const v1::Rule defaults[] = {MakeRule("主题党日", v1::CADENCE_MONTHLY),
                               MakeRule("支委会", v1::CADENCE_MONTHLY),
                               MakeRule("党小组会", v1::CADENCE_MONTHLY),
                               MakeRule("支部党员大会", v1::CADENCE_QUARTERLY),
                               MakeRule("党课", v1::CADENCE_QUARTERLY),
                               MakeRule("组织生活会", v1::CADENCE_YEARLY),
                               MakeRule("民主评议党员", v1::CADENCE_YEARLY)};
  for (const v1::Rule& rule : defaults) {
    VS_RETURN_IF_ERROR(Set(rule, "defaults"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Rule>> RuleTable::List() const {
  VS_ASSIGN_OR_RETURN(auto rows, store_->ScanMeta(kPrefix));
  std::vector<v1::Rule> rules;
  for (const auto& row : rows) {
    if (!rules.emplace_back().ParseFromString(row.second)) {
      return absl::DataLossError(absl::StrCat("corrupt rule ", row.first));
    }
  }
  return rules;
}

absl::Status RuleTable::Set(const v1::Rule& rule, absl::string_view actor) {
  VS_RETURN_IF_ERROR(Validate(store_->schemas(), rule));
  v1::AuditEntry audit;
  audit.set_micros(absl::ToUnixMicros(absl::Now()));
  audit.set_actor(std::string(actor));
  audit.set_action("rule.set");
  audit.set_target(rule.meeting_type());
  audit.set_region(rule.region());
  audit.set_detail(absl::StrFormat(
      "%s at least %d from %s in %s", v1::Cadence_Name(rule.cadence()),
      rule.min_count(), rule.effective_from(),
      rule.region().empty() ? "all regions" : rule.region()));
  return store_->PutMeta(MetaKey(rule), rule.SerializeAsString(), &audit);
}

const v1::Rule* RuleInForce(const std::vector<v1::Rule>& rules,
                            absl::string_view meeting_type,
                            absl::string_view village, absl::CivilMonth month) {
  const v1::Rule* found = nullptr;
  for (const v1::Rule& rule : rules) {
    absl::CivilMonth from;
    if (rule.meeting_type() != meeting_type ||
        !absl::StartsWith(village, rule.region()) ||
        !ParseMonth(rule.effective_from(), &from) || from > month) {
      continue;
    }
    // The most specific region first; within it, the latest month.
    if (found == nullptr || rule.region().size() > found->region().size() ||
        (rule.region().size() == found->region().size() &&
         rule.effective_from() > found->effective_from())) {
      found = &rule;
    }
  }
  return found;
}

bool AppliesWithin(const v1::Rule& rule, absl::string_view region) {
  return absl::StartsWith(region, rule.region()) ||
         absl::StartsWith(rule.region(), region);
}

}  // namespace villagesync
