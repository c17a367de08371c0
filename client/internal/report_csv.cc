#include <set>
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

// The columns that depend on the data: every status, meeting type and
// stage seen in any row, sorted.
struct CsvColumns {
  std::vector<std::string> statuses, types, stages;
};

CsvColumns ColumnsOf(const v1::ReportResponse& report) {
  std::set<std::string> statuses, types, stages;
  auto add = [&](const v1::ReportRow& row) {
    for (const auto& entry : row.members_by_status()) {
      statuses.insert(entry.first);
    }
    for (const auto& m : row.meetings()) types.insert(m.meeting_type());
    for (const auto& entry : row.development_by_stage()) {
      stages.insert(entry.first);
    }
  };
  for (const v1::ReportRow& row : report.villages()) add(row);
  add(report.summary());
  return {{statuses.begin(), statuses.end()},
          {types.begin(), types.end()},
          {stages.begin(), stages.end()}};
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
  std::vector<std::string> header = {"village", "members_total"};
  for (const std::string& s : columns.statuses) {
    header.push_back(absl::StrCat("members_", s));
  }
  for (const std::string& t : columns.types) {
    header.push_back(absl::StrCat("meetings_", t, "_held"));
    header.push_back(absl::StrCat("meetings_", t, "_required"));
    header.push_back(absl::StrCat("meetings_", t, "_complies"));
  }
  header.insert(header.end(), {"complies", "attendance_present",
                               "attendance_due", "attendance_rate", "visits",
                               "requests_opened", "requests_closed"});
  for (const std::string& s : columns.stages) {
    header.push_back(absl::StrCat("development_", s));
  }
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
                                const CsvColumns& columns) {
  std::vector<std::string> cells = {
      village, absl::StrCat(Total(row.members_by_status()))};
  for (const std::string& s : columns.statuses) {
    cells.push_back(absl::StrCat(CountOf(row.members_by_status(), s)));
  }
  for (const std::string& t : columns.types) AppendMeetingCells(row, t, &cells);
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
  bool never = NeverSynced(row.last_sync_micros(), row.days_stale());
  cells.insert(
      cells.end(),
      {never ? "" : TimestampToText(row.last_sync_micros()),
       never ? "" : absl::StrCat(row.days_stale()),
       absl::StrCat(row.open_conflicts()), absl::StrCat(row.devices_size())});
  return cells;
}

}  // namespace

std::string ReportToCsv(const v1::ReportResponse& report) {
  CsvColumns columns = ColumnsOf(report);
  std::string csv =
      absl::StrCat(kUtf8ByteOrderMark, CsvLine(CsvHeader(columns)));
  for (const v1::ReportRow& row : report.villages()) {
    absl::StrAppend(&csv, CsvLine(CsvRow(row, row.village(), columns)));
  }
  absl::StrAppend(
      &csv, CsvLine(CsvRow(report.summary(), TotalLabel(report.region_prefix()),
                           columns)));
  return csv;
}

}  // namespace cli
}  // namespace villagesync
