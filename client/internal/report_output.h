// How the villagesync command line shows the county report (SPEC §9) and
// the rule table behind its meeting compliance: `report` as a text view for
// people, CSV for spreadsheets and JSON for scripts (docs/REPORT_JSON.md);
// `admin rules list` as lines or JSON. Pure functions of the messages.
// Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_REPORT_OUTPUT_H_
#define VILLAGESYNC_CLIENT_INTERNAL_REPORT_OUTPUT_H_

#include <cstdint>
#include <string>

#include "proto/admin.pb.h"
#include "storage/schema_registry.h"

namespace villagesync {
namespace cli {

// A village or device whose last sync is at least this many days old (or
// that never synced) is flagged STALE in the text view.
inline constexpr int64_t kStaleDays = 14;

// The text view, several lines: a header with the period, its dates, the
// region and when the report was made; one block per village (members by
// status, meetings per type "held/required ✓|✗" or just "held" when no rule
// judged them, overall compliance, attendance "present/due = NN%" or "-",
// visits, requests, development by stage, last sync with days stale and
// STALE, one line per device, open conflicts); then one summary line
// starting "TOTAL": how many villages comply, fail and are stale, the
// region's sums and its latest sync date. Dates and times are in the
// report's time zone (ReportResponse.time_zone; UTC if none).
std::string ReportToText(const v1::ReportResponse& report);

// The report as CSV for a spreadsheet: a UTF-8 byte order mark, a header
// row, one row per village, then the summary row (village "TOTAL PREFIX");
// RFC 4180 (CRLF line ends, cells with , " CR or LF quoted, " doubled).
// Columns: village (the code as ="440101001001", which spreadsheets keep as
// text), village_name, members_total, members_STATUS..., for each meeting type
// meetings_TYPE_held, meetings_TYPE_required, meetings_TYPE_complies
// (yes/no/blank if not judged), complies (yes/no), attendance_present,
// attendance_due, attendance_rate (0-1 with 3 decimals, blank if due is 0),
// visits, requests_opened, requests_closed, development_STAGE...,
// last_sync (RFC 3339 in the report's time zone, blank if never),
// days_stale (blank if never), open_conflicts, devices (their number). STATUS,
// TYPE and STAGE are the values `schemas` allows (members.status,
// meetings.type, development.stage), in schema order, zeros included: every
// report of a schema has the same columns. members_other, meetings_other_held
// and development_other (after each group) sum values the schema does not know.
std::string ReportToCsv(const v1::ReportResponse& report,
                        const SchemaRegistry& schemas);

// The report as one JSON object, documented key by key in
// docs/REPORT_JSON.md; the villages one per line, no final newline.
std::string ReportToJson(const v1::ReportResponse& report);

// "monthly", "quarterly" or "yearly" ("unspecified" otherwise).
std::string CadenceName(v1::Cadence cadence);

// "TYPE  CADENCE  ≥N  from YYYY-MM".
std::string RuleToLine(const v1::Rule& rule);

// {"type":...,"cadence":"monthly"|"quarterly"|"yearly","min":N,
//  "from":"YYYY-MM"}
std::string RuleToJson(const v1::Rule& rule);

// A JSON array of RuleToJson objects, one per line ("[]" if empty), without
// a final newline.
std::string RulesToJson(
    const google::protobuf::RepeatedPtrField<v1::Rule>& rules);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_REPORT_OUTPUT_H_
