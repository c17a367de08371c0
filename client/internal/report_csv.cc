#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "client/internal/report_common.h"
#include "client/internal/report_output.h"
#include "client/internal/value_text.h"

namespace villagesync {
namespace cli {
namespace {

// Spreadsheets read a CSV file without it in the local code page (GBK on
// Chinese Windows), garbling every Chinese header and value.
constexpr char kUtf8ByteOrderMark[] = "\xEF\xBB\xBF";

int64_t CountOf(const Counts& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

const v1::MeetingCompliance* FindMeeting(const v1::ReportRow& row,
                                         const std::string& type) {
  for (const v1::MeetingCompliance& m : row.meetings()) {
    if (m.meeting_type() == type) return &m;
  }
  return nullptr;
}

// The columns of the values a schema allows: every members status, meeting
// type and development stage, in schema order, whatever the data holds,
// so that every report of a schema has the same header. Values the schema
// does not know (written under an older one) are summed in "other".
struct CsvColumns {
  std::vector<std::string> statuses, types, stages;
};

std::vector<std::string> EnumValues(const SchemaRegistry& schemas,
                                    absl::string_view collection,
                                    absl::string_view field) {
  const v1::FieldSpec* spec = schemas.FindField(collection, field);
  if (spec == nullptr) return {};
  return {spec->enum_values().begin(), spec->enum_values().end()};
}

CsvColumns ColumnsOf(const SchemaRegistry& schemas) {
  return {EnumValues(schemas, "members", "status"),
          EnumValues(schemas, "meetings", "type"),
          EnumValues(schemas, "development", "stage")};
}

// The sum of `counts` over keys not in `known`.
int64_t OtherThan(const Counts& counts, const std::vector<std::string>& known) {
  int64_t other = 0;
  for (const auto& [key, count] : counts) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      other += count;
    }
  }
  return other;
}

// A spreadsheet reads 440101001001 as the number 4.40101E+11; ="…" makes
// Excel and LibreOffice keep the code as the text it is.
std::string CodeAsText(const std::string& code) {
  return absl::StrCat("=\"", code, "\"");
}

// Free text a user typed (a village's organization name) must never run as
// a formula in the county office's spreadsheet: one that would start with
// = + - @ or a tab or CR is written with a leading apostrophe.
std::string TextCell(const std::string& text) {
  if (!text.empty() &&
      absl::string_view("=+-@\t\r").find(text[0]) != absl::string_view::npos) {
    return absl::StrCat("'", text);
  }
  return text;
}

std::string CsvCell(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string CsvLine(const std::vector<std::string>& cells) {
  return absl::StrCat(
      absl::StrJoin(cells, ",",
                    [](std::string* out, const std::string& cell) {
                      out->append(CsvCell(cell));
                    }),
      "\r\n");
}

std::vector<std::string> CsvHeader(const CsvColumns& columns) {
  std::vector<std::string> header = {"village", "village_name",
                                     "members_total"};
  for (const std::string& s : columns.statuses) {
    header.push_back(absl::StrCat("members_", s));
  }
  header.push_back("members_other");
  for (const std::string& t : columns.types) {
    header.push_back(absl::StrCat("meetings_", t, "_held"));
    header.push_back(absl::StrCat("meetings_", t, "_required"));
    header.push_back(absl::StrCat("meetings_", t, "_complies"));
  }
  header.push_back("meetings_other_held");
  header.insert(header.end(), {"complies", "attendance_present",
                               "attendance_due", "attendance_rate", "visits",
                               "requests_opened", "requests_closed"});
  for (const std::string& s : columns.stages) {
    header.push_back(absl::StrCat("development_", s));
  }
  header.push_back("development_other");
  header.insert(header.end(),
                {"last_sync", "days_stale", "open_conflicts", "devices"});
  return header;
}

std::string YesNo(bool judged, bool complies) {
  if (!judged) return "";
  return complies ? "yes" : "no";
}

void AppendMeetingCells(const v1::ReportRow& row, const std::string& type,
                        std::vector<std::string>* cells) {
  const v1::MeetingCompliance* m = FindMeeting(row, type);
  if (m == nullptr) {
    cells->insert(cells->end(), {"0", "0", ""});
    return;
  }
  cells->insert(cells->end(),
                {absl::StrCat(m->held()), absl::StrCat(m->required()),
                 YesNo(m->judged(), m->complies())});
}

std::vector<std::string> CsvRow(const v1::ReportRow& row,
                                const std::string& village,
                                const CsvColumns& columns,
                                absl::TimeZone zone) {
  std::vector<std::string> cells = {
      village, TextCell(row.village_name()),
      absl::StrCat(Total(row.members_by_status()))};
  for (const std::string& s : columns.statuses) {
    cells.push_back(absl::StrCat(CountOf(row.members_by_status(), s)));
  }
  cells.push_back(
      absl::StrCat(OtherThan(row.members_by_status(), columns.statuses)));
  int64_t other_meetings = 0;
  for (const v1::MeetingCompliance& m : row.meetings()) {
    if (std::find(columns.types.begin(), columns.types.end(),
                  m.meeting_type()) == columns.types.end()) {
      other_meetings += m.held();
    }
  }
  for (const std::string& t : columns.types) AppendMeetingCells(row, t, &cells);
  cells.push_back(absl::StrCat(other_meetings));
  cells.insert(cells.end(),
               {YesNo(Judged(row), row.complies()),
                absl::StrCat(row.attendance_present()),
                absl::StrCat(row.attendance_due()),
                RateDecimal(row.attendance_present(), row.attendance_due()),
                absl::StrCat(row.visits()), absl::StrCat(row.requests_opened()),
                absl::StrCat(row.requests_closed())});
  for (const std::string& s : columns.stages) {
    cells.push_back(absl::StrCat(CountOf(row.development_by_stage(), s)));
  }
  cells.push_back(
      absl::StrCat(OtherThan(row.development_by_stage(), columns.stages)));
  bool never = NeverSynced(row.last_sync_micros(), row.days_stale());
  cells.insert(
      cells.end(),
      {never ? "" : TimestampToText(row.last_sync_micros(), zone),
       never ? "" : absl::StrCat(row.days_stale()),
       absl::StrCat(row.open_conflicts()), absl::StrCat(row.devices_size())});
  return cells;
}

}  // namespace

std::string ReportToCsv(const v1::ReportResponse& report,
                        const SchemaRegistry& schemas) {
  CsvColumns columns = ColumnsOf(schemas);
  absl::TimeZone zone = ReportZone(report);
  std::string csv =
      absl::StrCat(kUtf8ByteOrderMark, CsvLine(CsvHeader(columns)));
  for (const v1::ReportRow& row : report.villages()) {
    absl::StrAppend(
        &csv, CsvLine(CsvRow(row, CodeAsText(row.village()), columns, zone)));
  }
  absl::StrAppend(
      &csv, CsvLine(CsvRow(report.summary(), TotalLabel(report.region_prefix()),
                           columns, zone)));
  return csv;
}

}  // namespace cli
}  // namespace villagesync
