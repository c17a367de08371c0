// CountyReports serves the report and rule-table calls of AdminService
// (SPEC §9): county and admin users, inside their scope; rule changes are
// audited.
#ifndef VILLAGESYNC_SERVER_COUNTY_REPORTS_H_
#define VILLAGESYNC_SERVER_COUNTY_REPORTS_H_

#include "absl/status/status.h"
#include "proto/admin.pb.h"
#include "server/device_registry.h"
#include "server/rule_table.h"
#include "storage/record_store.h"

namespace villagesync {

// Thread-safe; `store` and `devices` must outlive it.
class CountyReports {
 public:
  // Reports name `time_zone` (an IANA name) for clients to show times in.
  CountyReports(RecordStore* store, const DeviceRegistry* devices,
                std::string time_zone);

  absl::Status ListRules(const v1::UserInfo& caller,
                         v1::ListRulesResponse* response) const;
  absl::Status SetRule(const v1::UserInfo& caller,
                       const v1::SetRuleRequest& request,
                       v1::SetRuleResponse* response);
  absl::Status Report(const v1::UserInfo& caller,
                      const v1::ReportRequest& request,
                      v1::ReportResponse* response) const;

 private:
  RecordStore* const store_;
  const DeviceRegistry* const devices_;
  const std::string time_zone_;
  RuleTable rules_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_COUNTY_REPORTS_H_
