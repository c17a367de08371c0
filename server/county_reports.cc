#include "server/county_reports.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "server/report.h"
#include "storage/validation.h"

namespace villagesync {
CountyReports::CountyReports(RecordStore* store, const DeviceRegistry* devices,
                             std::string time_zone)
    : store_(store),
      devices_(devices),
      time_zone_(std::move(time_zone)),
      rules_(store) {}

absl::Status CountyReports::ListRules(const v1::UserInfo& caller,
                                      v1::ListRulesResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "read the rule table"));
  VS_ASSIGN_OR_RETURN(std::vector<v1::Rule> rules, rules_.List());
  for (v1::Rule& rule : rules) {
    if (AppliesWithin(rule, caller.scope())) {
      *response->add_rules() = std::move(rule);
    }
  }
  return absl::OkStatus();
}

absl::Status CountyReports::SetRule(const v1::UserInfo& caller,
                                    const v1::SetRuleRequest& request,
                                    v1::SetRuleResponse* response) {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "change the rule table"));
  // A rule applies where its setter may act: a county user's rules to its
  // county (the default), an admin's as widely as its scope.
  v1::Rule rule = request.rule();
  if (rule.region().empty()) rule.set_region(caller.scope());
  if (!InScope(caller, rule.region())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "region: user \"", caller.name(), "\" may set rules only inside ",
        caller.scope().empty() ? "everywhere" : caller.scope()));
  }
  VS_RETURN_IF_ERROR(rules_.Set(rule, caller.name()));
  v1::ListRulesResponse list;
  VS_RETURN_IF_ERROR(ListRules(caller, &list));
  *response->mutable_rules() = std::move(*list.mutable_rules());
  return absl::OkStatus();
}

absl::Status CountyReports::Report(const v1::UserInfo& caller,
                                   const v1::ReportRequest& request,
                                   v1::ReportResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "read reports"));
  VS_ASSIGN_OR_RETURN(std::string region,
                      RegionFor(caller, request.region_prefix()));
  VS_ASSIGN_OR_RETURN(std::vector<v1::Rule> rules, rules_.List());
  VS_ASSIGN_OR_RETURN(std::vector<v1::Device> devices, devices_->List());
  // A retired device is not expected to sync: it is not stale.
  devices.erase(std::remove_if(devices.begin(), devices.end(),
                               [](const v1::Device& d) {
                                 return d.decommissioned_micros() != 0;
                               }),
                devices.end());
  VS_ASSIGN_OR_RETURN(*response, BuildReport(*store_, rules, devices, region,
                                             request.period(), absl::Now()));
  response->set_time_zone(time_zone_);
  return absl::OkStatus();
}

}  // namespace villagesync
