// County reports (SPEC §9) through a real server: a fixture of two villages
// with known members, meetings, visits, requests and development records
// gives exactly the expected figures and compliance for a month, a quarter
// and a year; a rule changed from a month on changes only later periods;
// edits, deletes and conflict resolutions update the report; county users
// see only their county.
#include "server/report.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/conflict_inbox.h"
#include "server/report_aggregator.h"
#include "tests/testing/county.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using testing::Date;
using testing::Edit;
using testing::Enum;
using ::testing::HasSubstr;
using testing::Int;
using testing::IsOk;
using testing::Key;
using testing::NewMember;
using testing::QuickSync;
using ::testing::SizeIs;
using testing::StatusIs;
using testing::Str;
using testing::TestCounty;

constexpr char kV1[] = "440101001001";
constexpr char kV2[] = "440101001002";

const v1::ReportRow* RowOf(const v1::ReportResponse& report,
                           const std::string& v) {
  for (const v1::ReportRow& row : report.villages()) {
    if (row.village() == v) return &row;
  }
  return nullptr;
}

const v1::MeetingCompliance* MeetingOf(const v1::ReportRow& row,
                                       const std::string& type) {
  for (const v1::MeetingCompliance& m : row.meetings()) {
    if (m.meeting_type() == type) return &m;
  }
  return nullptr;
}

// "held/required ok|NO|-" for compact assertions.
std::string Compliance(const v1::ReportRow& row, const std::string& type) {
  const v1::MeetingCompliance* m = MeetingOf(row, type);
  if (m == nullptr) return "<none>";
  return absl::StrCat(m->held(), "/", m->required(), " ",
                      !m->judged()    ? "-"
                      : m->complies() ? "ok"
                                      : "NO");
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(county_.status(), IsOk());
    secretary_ =
        Device("sec", county_.AddUser("zhou", "first_secretary", "440101001"));
    office_ = Device("office", county_.AddUser("office", "county", "440101"));
    SeedFixture();
    ASSERT_THAT(secretary_->Sync(QuickSync()), IsOk());
  }

  std::unique_ptr<SyncClient> Device(const std::string& name,
                                     const std::string& token) {
    auto device = county_.Device(name, token);
    EXPECT_THAT(device, IsOk());
    return device.ok() ? std::move(device).value() : nullptr;
  }

  void Put(LocalEdit edit) {
    ASSERT_THAT(secretary_->store().Put(edit), IsOk());
  }

  void Meeting(const char* village, const std::string& id, const char* type,
               int month, int due, int present) {
    Put(Edit(Key(village, "meetings", id), {{"type", Enum(type)},
                                            {"date", Date(2024, month, 10)},
                                            {"topic", Str("学习")},
                                            {"due", Int(due)},
                                            {"present", Int(present)}}));
  }

  void SeedFixture() {
    for (int i = 0; i < 3; ++i)
      Put(NewMember(kV1, "m" + std::to_string(i), "党员"));
    LocalEdit probationary = NewMember(kV1, "p0", "预备");
    probationary.fields[2].second = Enum("预备党员");
    Put(probationary);
    Put(NewMember(kV2, "m0", "党员"));
    Put(NewMember(kV2, "m1", "党员"));
    // Village 1 meets every month; village 2 only held 主题党日 in May.
    const char* monthly[] = {"主题党日", "支委会", "党小组会"};
    for (int month = 4; month <= 6; ++month) {
      for (int t = 0; t < 3; ++t) {
        Meeting(kV1, absl::StrCat("mt", t, "-", month), monthly[t], month, 20,
                18);
      }
    }
    Meeting(kV1, "dk", "党课", 5, 20, 15);
    Meeting(kV1, "dy", "支部党员大会", 6, 20, 19);
    Meeting(kV2, "zt", "主题党日", 5, 10, 9);
    Put(Edit(Key(kV1, "visits", "v1"),
             {{"date", Date(2024, 5, 14)}, {"household", Str("孙玉山")}}));
    Put(Edit(Key(kV1, "visits", "v2"),
             {{"date", Date(2024, 5, 20)}, {"household", Str("王秀兰")}}));
    Put(Edit(Key(kV1, "requests", "r1"), {{"date", Date(2024, 5, 14)},
                                          {"text", Str("饮水管破裂")},
                                          {"status", Enum("已办结")},
                                          {"closed_date", Date(2024, 5, 20)}}));
    Put(Edit(Key(kV1, "requests", "r2"), {{"date", Date(2024, 6, 1)},
                                          {"text", Str("修路")},
                                          {"status", Enum("受理")}}));
    for (const char* id : {"d1", "d2"}) {
      Put(Edit(Key(kV1, "development", id),
               {{"person", Str("陈磊")}, {"stage", Enum("入党积极分子")}}));
    }
  }

  v1::ReportResponse Report(const std::string& period,
                            const std::string& region = "440101001") {
    v1::ReportRequest request;
    request.set_region_prefix(region);
    request.set_period(period);
    auto report = office_->Report(request);
    EXPECT_THAT(report, IsOk());
    return report.ok() ? *report : v1::ReportResponse();
  }

  TestCounty county_;
  std::unique_ptr<SyncClient> secretary_;
  std::unique_ptr<SyncClient> office_;
};

TEST_F(ReportTest, AMonthGivesExactFiguresAndCompliance) {
  v1::ReportResponse report = Report("2024-05");
  EXPECT_EQ(report.period_start(), "2024-05-01");
  EXPECT_EQ(report.period_end(), "2024-05-31");
  ASSERT_THAT(report.villages(), SizeIs(2));
  const v1::ReportRow& v1 = *RowOf(report, kV1);
  EXPECT_EQ(v1.members_by_status().at("正式党员"), 3);
  EXPECT_EQ(v1.members_by_status().at("预备党员"), 1);
  EXPECT_EQ(Compliance(v1, "主题党日"), "1/1 ok");
  EXPECT_EQ(Compliance(v1, "支委会"), "1/1 ok");
  EXPECT_EQ(Compliance(v1, "党课"),
            "1/0 -");  // quarterly: not judged in a month
  EXPECT_TRUE(v1.complies());
  EXPECT_EQ(v1.attendance_due(), 80);      // three monthly meetings + 党课
  EXPECT_EQ(v1.attendance_present(), 69);  // 18 * 3 + 15
  EXPECT_EQ(v1.visits(), 2);
  EXPECT_EQ(v1.requests_opened(), 1);
  EXPECT_EQ(v1.requests_closed(), 1);
  EXPECT_EQ(v1.development_by_stage().at("入党积极分子"), 2);
  const v1::ReportRow& v2 = *RowOf(report, kV2);
  EXPECT_EQ(Compliance(v2, "主题党日"), "1/1 ok");
  EXPECT_EQ(Compliance(v2, "支委会"), "0/1 NO");
  EXPECT_FALSE(v2.complies());
  EXPECT_EQ(report.summary().members_by_status().at("正式党员"), 5);
  EXPECT_EQ(Compliance(report.summary(), "主题党日"), "2/2 ok");
  EXPECT_FALSE(report.summary().complies());
  // The device that synced is listed with a fresh sync.
  ASSERT_THAT(v1.devices(), SizeIs(1));
  EXPECT_EQ(v1.devices(0).user(), "zhou");
  EXPECT_EQ(v1.days_stale(), 0);
}

TEST_F(ReportTest, AQuarterAndAYearJudgeEachCadenceUnit) {
  v1::ReportResponse quarter = Report("2024-Q2");
  const v1::ReportRow& q1 = *RowOf(quarter, kV1);
  EXPECT_EQ(Compliance(q1, "主题党日"), "3/3 ok");
  EXPECT_EQ(Compliance(q1, "党课"), "1/1 ok");
  EXPECT_EQ(Compliance(q1, "支部党员大会"), "1/1 ok");
  EXPECT_TRUE(q1.complies());
  EXPECT_EQ(q1.requests_opened(), 2);
  EXPECT_EQ(Compliance(*RowOf(quarter, kV2), "主题党日"), "1/3 NO");
  v1::ReportResponse year = Report("2024");
  const v1::ReportRow& y1 = *RowOf(year, kV1);
  EXPECT_EQ(Compliance(y1, "主题党日"), "3/12 NO");
  EXPECT_EQ(Compliance(y1, "组织生活会"), "0/1 NO");
  EXPECT_FALSE(y1.complies());
}

TEST_F(ReportTest, ARuleChangedFromAMonthOnChangesOnlyLaterPeriods) {
  v1::Rule retire;
  retire.set_meeting_type("支委会");
  retire.set_cadence(v1::CADENCE_MONTHLY);
  retire.set_min_count(0);
  retire.set_effective_from("2024-06");
  ASSERT_THAT(office_->SetRule(retire), IsOk());
  EXPECT_EQ(Compliance(*RowOf(Report("2024-05"), kV2), "支委会"), "0/1 NO");
  EXPECT_EQ(Compliance(*RowOf(Report("2024-06"), kV2), "支委会"), "0/0 -");
  auto audit = office_->ListAudit(0);
  ASSERT_THAT(audit, IsOk());
  bool audited = false;
  for (const v1::AuditEntry& e : audit->entries()) {
    audited = audited || (e.action() == "rule.set" && e.actor() == "office" &&
                          e.target() == "支委会");
  }
  EXPECT_TRUE(audited);
}

TEST_F(ReportTest, EditsDeletesAndResolutionsUpdateTheReport) {
  v1::RecordKey m0 = Key(kV1, "members", "m0");
  ASSERT_THAT(secretary_->store().Delete(m0, "zhou"), IsOk());
  ASSERT_THAT(secretary_->store().Put(Edit(Key(kV1, "members", "m1"),
                                           {{"status", Enum("预备党员")}})),
              IsOk());
  ASSERT_THAT(secretary_->Sync(QuickSync()), IsOk());
  const v1::ReportRow after = *RowOf(Report("2024-05"), kV1);
  EXPECT_EQ(after.members_by_status().at("正式党员"), 1);
  EXPECT_EQ(after.members_by_status().at("预备党员"), 2);
  // A conflict on a member's status: counted once, by the provisional value.
  auto other =
      Device("other", county_.AddUser("li", "first_secretary", "440101001"));
  ASSERT_THAT(other->Sync(QuickSync()), IsOk());
  v1::RecordKey m2 = Key(kV1, "members", "m2");
  ASSERT_THAT(secretary_->store().Put(Edit(m2, {{"status", Enum("停止党籍")}})),
              IsOk());
  ASSERT_THAT(other->store().Put(Edit(m2, {{"status", Enum("出党")}})), IsOk());
  ASSERT_THAT(secretary_->Sync(QuickSync()), IsOk());
  ASSERT_THAT(other->Sync(QuickSync()), IsOk());
  const v1::ReportRow conflicted = *RowOf(Report("2024-05"), kV1);
  EXPECT_EQ(conflicted.open_conflicts(), 1);
  EXPECT_EQ(conflicted.members_by_status().count("正式党员"), 0u);
  auto admin = Device("admin", county_.admin_token());
  v1::ResolveConflictRequest resolve;
  resolve.set_id(ConflictId(m2, "status"));
  resolve.mutable_value()->set_enum_value("正式党员");
  resolve.set_reason("弄错了");
  ASSERT_THAT(admin->ResolveConflict(resolve), IsOk());
  const v1::ReportRow resolved = *RowOf(Report("2024-05"), kV1);
  EXPECT_EQ(resolved.open_conflicts(), 0);
  EXPECT_EQ(resolved.members_by_status().at("正式党员"), 1);
}

TEST_F(ReportTest, ACountyUserAskingForAnotherCountyIsPermissionDenied) {
  v1::ReportRequest request;
  request.set_region_prefix("440102");
  request.set_period("2024-05");
  EXPECT_THAT(
      office_->Report(request),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("440102")));
  EXPECT_THAT(
      secretary_->Report(request),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("county")));
  request.set_region_prefix("440101");
  request.set_period("2024-13");
  EXPECT_THAT(
      office_->Report(request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("period")));
}

TEST_F(ReportTest, ACountyRuleAppliesInItsCountyAndWinsOverWiderDefaults) {
  auto other = Device("other", county_.AddUser("other", "county", "440102"));
  auto admin = Device("admin", county_.admin_token());
  ASSERT_NE(other, nullptr);
  ASSERT_NE(admin, nullptr);
  // The other county wants 支委会 only quarterly, from 2024-01.
  v1::Rule quarterly;
  quarterly.set_meeting_type("支委会");
  quarterly.set_cadence(v1::CADENCE_QUARTERLY);
  quarterly.set_min_count(1);
  quarterly.set_effective_from("2024-01");
  ASSERT_THAT(other->SetRule(quarterly), IsOk());
  // It may not set rules for this county.
  quarterly.set_region("440101");
  EXPECT_THAT(
      other->SetRule(quarterly),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("region")));
  // Village 2 of this county is still judged monthly...
  EXPECT_EQ(Compliance(*RowOf(Report("2024-05"), kV2), "支委会"), "0/1 NO");
  // ...also after an admin changes the default everywhere, while this
  // county's own rule, once set, wins over the default.
  v1::Rule wider = quarterly;
  wider.set_region("");
  wider.set_min_count(2);
  ASSERT_THAT(admin->SetRule(wider), IsOk());
  EXPECT_EQ(Compliance(*RowOf(Report("2024-Q2"), kV2), "支委会"), "0/2 NO");
  v1::Rule mine = quarterly;
  mine.set_region("");  // defaults to the county's scope
  mine.set_cadence(v1::CADENCE_MONTHLY);
  mine.set_min_count(1);
  ASSERT_THAT(office_->SetRule(mine), IsOk());
  EXPECT_EQ(Compliance(*RowOf(Report("2024-Q2"), kV2), "支委会"), "0/3 NO");
  // Each county lists the rules that apply to it, not the other's.
  auto listed = office_->ListRules();
  ASSERT_THAT(listed, IsOk());
  for (const v1::Rule& r : listed->rules()) {
    EXPECT_NE(r.region(), "440102") << r.ShortDebugString();
  }
}

TEST_F(ReportTest, ARuleForAnUnknownMeetingTypeOrCadenceIsRefused) {
  v1::Rule rule;
  rule.set_meeting_type("茶话会");
  rule.set_cadence(v1::CADENCE_MONTHLY);
  rule.set_min_count(1);
  rule.set_effective_from("2024-01");
  EXPECT_THAT(
      office_->SetRule(rule),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("meeting_type")));
  rule.set_meeting_type("支委会");
  rule.set_cadence(static_cast<v1::Cadence>(42));
  EXPECT_THAT(
      office_->SetRule(rule),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cadence")));
}

TEST_F(ReportTest, AuditEntriesAreScopedLikeRecords) {
  auto other = Device("other", county_.AddUser("other", "county", "440102"));
  ASSERT_NE(other, nullptr);
  // A user of this county, a rule of this county and a resolution in it.
  ASSERT_THAT(office_->AddUser("worker", "field_worker", "440101001"), IsOk());
  v1::Rule rule;
  rule.set_meeting_type("党课");
  rule.set_cadence(v1::CADENCE_QUARTERLY);
  rule.set_min_count(2);
  rule.set_effective_from("2024-07");
  ASSERT_THAT(office_->SetRule(rule), IsOk());
  auto mine = office_->ListAudit(0);
  auto theirs = other->ListAudit(0);
  ASSERT_THAT(mine, IsOk());
  ASSERT_THAT(theirs, IsOk());
  auto targets = [](const v1::ListAuditResponse& audit) {
    std::vector<std::string> out;
    for (const v1::AuditEntry& e : audit.entries()) {
      out.push_back(e.action() + " " + e.target());
    }
    return out;
  };
  EXPECT_THAT(targets(*mine), ::testing::Contains("user.add worker"));
  EXPECT_THAT(targets(*mine), ::testing::Contains("rule.set 党课"));
  EXPECT_THAT(targets(*theirs),
              ::testing::Not(::testing::Contains("user.add worker")));
  EXPECT_THAT(targets(*theirs),
              ::testing::Not(::testing::Contains("rule.set 党课")));
  EXPECT_THAT(targets(*theirs),
              ::testing::Not(::testing::Contains("user.add zhou")));
  for (const v1::AuditEntry& e : theirs->entries()) {
    EXPECT_TRUE(absl::StartsWith(e.region(), "440102")) << e.ShortDebugString();
  }
}

TEST(ReportAggregatorTest, ACountOutOfBoundsNeverTurnsSumsNegative) {
  // Two meetings stored before counts had bounds, each claiming 2^63-1
  // members due and present.
  RecordView view;
  view.key = Key(kV1, "meetings", "m1");
  view.fields.push_back({"date", Date(2024, 5, 2), FieldStatus::kClean});
  view.fields.push_back({"due", Int(INT64_MAX), FieldStatus::kClean});
  view.fields.push_back({"present", Int(INT64_MAX), FieldStatus::kClean});
  view.fields.push_back({"type", Enum("支委会"), FieldStatus::kClean});
  Contribution sum;
  ReportAggregator aggregator;
  aggregator.Contribute(view, &sum);
  aggregator.Contribute(view, &sum);
  EXPECT_EQ(sum[absl::StrCat(kV1, "/m/2024-05/due")], 2000000);
  EXPECT_EQ(sum[absl::StrCat(kV1, "/m/2024-05/present")], 2000000);
}

}  // namespace
}  // namespace villagesync
