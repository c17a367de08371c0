#include "client/internal/report_output.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/builtin_schemas.h"
#include "storage/schema_registry.h"

namespace villagesync {
namespace cli {
namespace {

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kDay = 86400 * kSecond;
// 2024-07-01T00:00:00+00:00, when the report is made.
constexpr int64_t kJuly1 = int64_t{1719792000} * kSecond;

v1::MeetingCompliance Meeting(const std::string& type, int64_t held,
                              int64_t required, bool judged, bool complies) {
  v1::MeetingCompliance m;
  m.set_meeting_type(type);
  m.set_held(held);
  m.set_required(required);
  m.set_judged(judged);
  m.set_complies(complies);
  return m;
}

v1::DeviceSync Device(uint64_t replica, const std::string& user,
                      int64_t days_ago) {
  v1::DeviceSync device;
  device.set_replica_id(replica);
  device.set_user(user);
  // Two in the morning (UTC) of the day `days_ago` days before July 1.
  device.set_last_sync_micros(kJuly1 - days_ago * kDay + 7200 * kSecond);
  device.set_days_stale(days_ago);
  return device;
}

// 杨家坪村 (…001): 25 members, two judged meeting types of which 支委会
// fell short, one unjudged, two devices (王秀兰's idle for 30 days).
v1::ReportRow YangjiapingRow() {
  v1::ReportRow row;
  row.set_village("370102001001");
  row.set_village_name("杨家坪村党支部");
  (*row.mutable_members_by_status())["正式党员"] = 23;
  (*row.mutable_members_by_status())["预备党员"] = 2;
  *row.add_meetings() = Meeting("两委联席会", 2, 0, false, false);
  *row.add_meetings() = Meeting("主题党日", 3, 3, true, true);
  *row.add_meetings() = Meeting("支委会", 2, 3, true, false);
  row.set_complies(false);
  row.set_attendance_present(54);
  row.set_attendance_due(69);
  row.set_visits(12);
  row.set_requests_opened(5);
  row.set_requests_closed(4);
  (*row.mutable_development_by_stage())["入党积极分子"] = 2;
  (*row.mutable_development_by_stage())["发展对象"] = 1;
  *row.add_devices() = Device(0xa1, "李建国", 3);
  *row.add_devices() = Device(0xb2c3d4e5f6071829, "王秀兰", 30);
  row.set_last_sync_micros(row.devices(0).last_sync_micros());
  row.set_days_stale(3);
  row.set_open_conflicts(1);
  return row;
}

// A village that complies, had no attendance due and never synced.
v1::ReportRow NeverSyncedRow() {
  v1::ReportRow row;
  row.set_village("370102001002");
  (*row.mutable_members_by_status())["正式党员"] = 18;
  (*row.mutable_members_by_status())["停止党籍"] = 1;
  *row.add_meetings() = Meeting("主题党日", 3, 3, true, true);
  row.set_complies(true);
  row.set_days_stale(-1);
  return row;
}

v1::ReportResponse Report() {
  v1::ReportResponse report;
  report.set_region_prefix("370102");
  report.set_period("2024-Q2");
  report.set_period_start("2024-04-01");
  report.set_period_end("2024-06-30");
  report.set_generated_micros(kJuly1);
  *report.add_villages() = YangjiapingRow();
  *report.add_villages() = NeverSyncedRow();
  v1::ReportRow& total = *report.mutable_summary();
  total = YangjiapingRow();
  total.set_village("370102");
  total.clear_village_name();
  (*total.mutable_members_by_status())["正式党员"] = 41;
  (*total.mutable_members_by_status())["停止党籍"] = 1;
  total.mutable_meetings(1)->set_held(6);
  total.mutable_meetings(1)->set_required(6);
  return report;
}

// Blank meeting cells of one type: held 0, required 0, not judged.
constexpr char kNoMeetings[] = "0,0,";

TEST(ReportOutputTest, CsvHasABomAHeaderARowPerVillageAndTheTotal) {
  const SchemaRegistry schemas(BuiltinSchemas());
  std::string header =
      "village,village_name,members_total,members_预备党员,members_正式党员,"
      "members_停止党籍,members_出党,members_死亡,members_other,";
  for (const char* type :
       {"支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会",
        "民主评议党员", "两委联席会", "村民代表会议"}) {
    absl::StrAppend(&header, "meetings_", type, "_held,meetings_", type,
                    "_required,meetings_", type, "_complies,");
  }
  absl::StrAppend(
      &header,
      "meetings_other_held,complies,attendance_present,attendance_due,"
      "attendance_rate,visits,requests_opened,requests_closed,"
      "development_入党申请人,development_入党积极分子,development_发展对象,"
      "development_预备党员,development_正式党员,development_other,"
      "last_sync,days_stale,open_conflicts,devices\r\n");
  const std::string none = kNoMeetings;
  std::string yangjiaping = absl::StrCat(
      "\"=\"\"370102001001\"\"\",杨家坪村党支部,25,2,23,0,0,0,0,", none,
      ",2,3,no,", none, ",", none, ",3,3,yes,", none, ",", none, ",2,0,,", none,
      ",0,no,54,69,0.783,12,5,4,0,2,1,0,0,0,"
      "2024-06-28T02:00:00+00:00,3,1,2\r\n");
  std::string never = absl::StrCat(
      "\"=\"\"370102001002\"\"\",,19,0,18,1,0,0,0,", none, ",", none, ",", none,
      ",", none, ",3,3,yes,", none, ",", none, ",", none, ",", none,
      ",0,yes,0,0,,0,0,0,0,0,0,0,0,0,,,0,0\r\n");
  std::string total =
      absl::StrCat("TOTAL 370102,,44,2,41,1,0,0,0,", none, ",2,3,no,", none,
                   ",", none, ",6,6,yes,", none, ",", none, ",2,0,,", none,
                   ",0,no,54,69,0.783,12,5,4,0,2,1,0,0,0,"
                   "2024-06-28T02:00:00+00:00,3,1,2\r\n");
  EXPECT_EQ(ReportToCsv(Report(), schemas),
            absl::StrCat("\xEF\xBB\xBF", header, yangjiaping, never, total));
}

// An organization name is typed by field users: in a spreadsheet it must
// stay text, never run as a formula.
TEST(ReportOutputTest, CsvNeverWritesAUserTypedFormula) {
  v1::ReportResponse report = Report();
  report.mutable_villages(0)->set_village_name("=HYPERLINK(\"http://x\")");
  EXPECT_THAT(ReportToCsv(report, SchemaRegistry(BuiltinSchemas())),
              HasSubstr(",\"'=HYPERLINK(\"\"http://x\"\")\",25,"));
}

// Spreadsheet templates break when columns move: a month with no 出党 or
// 党课 at all has the same header as one with them.
TEST(ReportOutputTest, CsvColumnsAreTheSchemasWhateverTheDataHolds) {
  const SchemaRegistry schemas(BuiltinSchemas());
  v1::ReportResponse empty;
  empty.mutable_summary()->set_days_stale(-1);
  std::string full = ReportToCsv(Report(), schemas);
  std::string bare = ReportToCsv(empty, schemas);
  EXPECT_EQ(full.substr(0, full.find("\r\n")),
            bare.substr(0, bare.find("\r\n")));
  // A status the schema does not know is counted, under members_other.
  v1::ReportResponse odd = Report();
  (*odd.mutable_villages(0)->mutable_members_by_status())["待定"] = 4;
  EXPECT_THAT(ReportToCsv(odd, schemas),
              HasSubstr("杨家坪村党支部,29,2,23,0,0,0,4,"));
}

TEST(ReportOutputTest, CsvQuotesCellsWithCommasAndQuotesAsRfc4180Says) {
  v1::SchemaSet set;
  v1::CollectionSchema& members = *set.add_collections();
  members.set_name("members");
  v1::FieldSpec& status = *members.add_fields();
  status.set_name("status");
  status.set_type(v1::FIELD_TYPE_ENUM);
  status.add_enum_values("其他,\"待定\"");
  const SchemaRegistry schemas(set);
  v1::ReportResponse report;
  v1::ReportRow& row = *report.add_villages();
  row.set_village("370102001001");
  (*row.mutable_members_by_status())["其他,\"待定\""] = 1;
  row.set_days_stale(-1);
  report.mutable_summary()->set_days_stale(-1);

  std::string csv = ReportToCsv(report, schemas);
  EXPECT_THAT(csv, StartsWith("\xEF\xBB\xBFvillage,village_name,members_total,"
                              "\"members_其他,\"\"待定\"\"\",members_other,"
                              "meetings_other_held,complies,"));
  EXPECT_THAT(csv, HasSubstr("\r\n\"=\"\"370102001001\"\"\",,1,1,0,0,,0,0,"));
  // No region: the total row is just "TOTAL".
  EXPECT_THAT(csv, HasSubstr("\r\nTOTAL,,0,0,0,0,,0,0,"));
}

// County offices read local time: the server names its zone, and every
// time and date of the report is shown in it.
TEST(ReportOutputTest, TimesAreShownInTheServersTimeZone) {
  v1::ReportResponse report = Report();
  report.set_time_zone("Asia/Shanghai");
  // 20:00 UTC on June 28 is 04:00 on June 29 in Beijing.
  v1::ReportRow& row = *report.mutable_villages(0);
  row.set_last_sync_micros(kJuly1 - 3 * kDay + 20 * 3600 * kSecond);
  std::string text = ReportToText(report);
  EXPECT_THAT(text, HasSubstr("generated 2024-07-01T08:00:00+08:00"));
  EXPECT_THAT(text, HasSubstr("last sync:   2024-06-29 (3 days ago)"));
  EXPECT_THAT(ReportToJson(report),
              AllOf(HasSubstr(R"("time_zone":"Asia/Shanghai")"),
                    HasSubstr(R"("last_sync":"2024-06-29T04:00:00+08:00")")));
  EXPECT_THAT(ReportToCsv(report, SchemaRegistry(BuiltinSchemas())),
              HasSubstr(",2024-06-29T04:00:00+08:00,3,1,2\r\n"));
  // A zone this machine cannot load, or a path posing as one: UTC, said so.
  for (const char* zone : {"Mars/Olympus_Mons", "/etc/passwd", "../../tmp/x"}) {
    report.set_time_zone(zone);
    EXPECT_THAT(ReportToJson(report), HasSubstr(R"("time_zone":"UTC")"));
  }
}

TEST(ReportOutputTest, JsonHasThePeriodEveryVillageAndTheSummary) {
  std::string json = ReportToJson(Report());
  EXPECT_THAT(json, StartsWith(R"({"region":"370102","period":"2024-Q2",)"
                               R"("period_start":"2024-04-01",)"
                               R"("period_end":"2024-06-30",)"
                               R"("generated":"2024-07-01T00:00:00+00:00",)"
                               R"("time_zone":"UTC","villages":[)"
                               "\n"));
  std::vector<std::string> lines = absl::StrSplit(json, '\n');
  ASSERT_THAT(lines, SizeIs(4));
  EXPECT_THAT(
      lines[1],
      AllOf(StartsWith(R"({"village":"370102001001",)"
                       R"("village_name":"杨家坪村党支部",)"
                       R"("members_by_status":{"正式党员":23,"预备党员":2},)"
                       R"("members_total":25,"meetings":[)"
                       R"({"type":"两委联席会","held":2,"required":0,)"
                       R"("complies":null},)"
                       R"({"type":"主题党日","held":3,"required":3,)"
                       R"("complies":true},)"
                       R"({"type":"支委会","held":2,"required":3,)"
                       R"("complies":false}],"complies":false,)"
                       R"("attendance":{"present":54,"due":69,"rate":0.783},)"
                       R"("visits":12,"requests":{"opened":5,"closed":4},)"
                       R"("development_by_stage":{"入党积极分子":2,)"
                       R"("发展对象":1},)"
                       R"("last_sync":"2024-06-28T02:00:00+00:00",)"
                       R"("days_stale":3,"open_conflicts":1,"devices":[)"),
            HasSubstr(R"({"replica":"b2c3d4e5f6071829","user":"王秀兰",)"
                      R"("last_sync":"2024-06-01T02:00:00+00:00",)"
                      R"("days_stale":30})"),
            EndsWith("}]},")));
  EXPECT_EQ(lines[2],
            R"({"village":"370102001002","village_name":"",)"
            R"("members_by_status":{"停止党籍":1,"正式党员":18},)"
            R"("members_total":19,"meetings":[{"type":"主题党日","held":3,)"
            R"("required":3,"complies":true}],"complies":true,)"
            R"("attendance":{"present":0,"due":0,"rate":null},"visits":0,)"
            R"("requests":{"opened":0,"closed":0},"development_by_stage":{},)"
            R"("last_sync":null,"days_stale":null,"open_conflicts":0,)"
            R"("devices":[]})");
  EXPECT_THAT(lines[3],
              AllOf(StartsWith(R"(],"summary":{"village":"370102",)"),
                    HasSubstr(R"("members_total":44,)"), EndsWith("]}}")));
}

TEST(ReportOutputTest, TableShowsABlockPerVillageAndATotalLine) {
  std::string text = ReportToText(Report());
  EXPECT_THAT(text, StartsWith("report 2024-Q2 (2024-04-01 to 2024-06-30), "
                               "region 370102, 2 villages, generated "
                               "2024-07-01T00:00:00+00:00\n"));
  for (const char* fragment : {
           "\nvillage 370102001001 杨家坪村党支部\n",
           "members:     25 (正式党员 23, 预备党员 2)\n",
           "meetings:    两委联席会 2, 主题党日 3/3 ✓, 支委会 2/3 ✗\n",
           "complies:    NO\n",
           "attendance:  54/69 = 78%\n",
           "visits:      12\n",
           "requests:    opened 5, closed 4\n",
           "development: 入党积极分子 2, 发展对象 1\n",
           "last sync:   2024-06-28 (3 days ago)\n",
           "device 00000000000000a1 李建国: 2024-06-28 (3 days ago)\n",
           "device b2c3d4e5f6071829 王秀兰: 2024-06-01 (30 days ago) STALE\n",
           "conflicts:   1 open\n",
           "\nvillage 370102001002\n",
           "members:     19 (停止党籍 1, 正式党员 18)\n",
           "complies:    yes\n",
           "attendance:  -\n",
           "development: none\n",
           "last sync:   never STALE\n",
       }) {
    EXPECT_THAT(text, HasSubstr(fragment));
  }
  EXPECT_THAT(text, Not(HasSubstr("(3 days ago) STALE")));
  EXPECT_THAT(text,
              EndsWith("\nTOTAL 370102: 2 villages (1 complying, 1 not "
                       "complying, 1 stale); members 44 (停止党籍 1, 正式党员 "
                       "41, 预备党员 2); meetings 两委联席会 2, 主题党日 6/6 "
                       "✓, 支委会 2/3 ✗; attendance 54/69 = 78%; visits 12; "
                       "requests opened 5, closed 4; development 入党积极分子 "
                       "2, 发展对象 1; last sync 2024-06-28; "
                       "open conflicts 1\n"));
}

TEST(ReportOutputTest, AVillageWithNoRuleApplyingIsNotJudged) {
  v1::ReportResponse report;
  v1::ReportRow& row = *report.add_villages();
  row.set_village("370102001003");
  *row.add_meetings() = Meeting("党课", 1, 0, false, false);
  row.set_complies(true);  // vacuously: nothing was judged

  EXPECT_THAT(ReportToText(report),
              AllOf(HasSubstr("meetings:    党课 1\n"),
                    HasSubstr("complies:    not judged (no rule applies)\n"),
                    HasSubstr("region (your whole scope)"),
                    HasSubstr("(0 complying, 0 not complying, 1 stale)")));
  EXPECT_THAT(ReportToJson(report),
              HasSubstr(R"("complies":null}],"complies":null,)"));
}

v1::Rule Rule(const std::string& type, v1::Cadence cadence, uint32_t min,
              const std::string& from) {
  v1::Rule rule;
  rule.set_meeting_type(type);
  rule.set_cadence(cadence);
  rule.set_min_count(min);
  rule.set_effective_from(from);
  return rule;
}

TEST(ReportOutputTest, RulesShowAsLinesAndAsAJsonArray) {
  google::protobuf::RepeatedPtrField<v1::Rule> rules;
  *rules.Add() = Rule("主题党日", v1::CADENCE_MONTHLY, 1, "2000-01");
  *rules.Add() = Rule("党课", v1::CADENCE_QUARTERLY, 2, "2024-07");
  EXPECT_EQ(RuleToLine(rules[0]), "主题党日  monthly  ≥1  from 2000-01");
  EXPECT_EQ(RuleToLine(Rule("组织生活会", v1::CADENCE_YEARLY, 0, "2025-01")),
            "组织生活会  yearly  ≥0  from 2025-01");
  EXPECT_EQ(
      RulesToJson(rules),
      "[\n"
      R"({"type":"主题党日","cadence":"monthly","min":1,"from":"2000-01","region":""})"
      ",\n"
      R"({"type":"党课","cadence":"quarterly","min":2,"from":"2024-07","region":""})"
      "\n]");
  EXPECT_EQ(RulesToJson({}), "[]");
  EXPECT_EQ(CadenceName(v1::CADENCE_UNSPECIFIED), "unspecified");
}

}  // namespace
}  // namespace cli
}  // namespace villagesync
