#include "client/internal/conflict_output.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "client/internal/audit_output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"

namespace villagesync {
namespace cli {
namespace {

using ::testing::HasSubstr;
using ::villagesync::testing::Cleared;
using ::villagesync::testing::Key;
using ::villagesync::testing::Str;

// 2024-05-10T00:00:00Z, and some minutes of that day.
constexpr int64_t kMay10Micros = int64_t{1715299200} * 1000000;
constexpr int64_t kMinute = int64_t{60} * 1000000;

// The HLC of a write at `micros` with logical counter `logical`.
uint64_t Hlc(int64_t micros, uint64_t logical = 0) {
  return (static_cast<uint64_t>(micros / 1000) << 16) | logical;
}

v1::Sibling Sib(v1::Value value, uint64_t replica, uint64_t counter,
                int64_t micros, const std::string& author) {
  v1::Sibling sibling;
  *sibling.mutable_value() = std::move(value);
  sibling.mutable_dot()->set_replica(replica);
  sibling.mutable_dot()->set_counter(counter);
  sibling.set_hlc(Hlc(micros, 2));
  sibling.set_author(author);
  return sibling;
}

// 王秀兰's phone number, changed on two devices while offline: 李建国 wrote
// 13900000000 at 09:00, 王秀兰 13700000000 at 10:00; it was 13800000000.
v1::ConflictInfo PhoneConflict() {
  v1::ConflictInfo info;
  info.set_id("members/370102001001/wxl/phone");
  v1::Conflict& c = *info.mutable_conflict();
  *c.mutable_key() = Key("370102001001", "members", "wxl");
  c.set_field("phone");
  *c.add_siblings() =
      Sib(Str("13900000000"), 0xa1, 3, kMay10Micros + 540 * kMinute, "李建国");
  *c.add_siblings() = Sib(Str("13700000000"), 0xb2c3d4e5f6071829, 7,
                          kMay10Micros + 600 * kMinute, "王秀兰");
  *c.mutable_ancestor() = Sib(Str("13800000000"), 0xa1, 1, kMay10Micros, "");
  c.add_received_micros(kMay10Micros + 680 * kMinute);
  c.add_received_micros(kMay10Micros + 700 * kMinute);
  c.set_status(v1::CONFLICT_STATUS_OPEN);
  c.set_opened_micros(kMay10Micros + 700 * kMinute);
  c.set_updated_micros(kMay10Micros + 700 * kMinute);
  return info;
}

// The record deleted on one device (a cleared sibling) while its phone was
// edited on another; the server knows when it received only the delete.
v1::ConflictInfo DeleteConflict() {
  v1::ConflictInfo info;
  info.set_id("members/370102001001/wxl/_record");
  v1::Conflict& c = *info.mutable_conflict();
  *c.mutable_key() = Key("370102001001", "members", "wxl");
  *c.add_siblings() =
      Sib(Cleared(), 0xa1, 5, kMay10Micros + 540 * kMinute, "李建国");
  *c.add_siblings() = Sib(Str("13900000000"), 0xb2c3d4e5f6071829, 8,
                          kMay10Micros + 600 * kMinute, "王秀兰");
  c.add_received_micros(kMay10Micros + 680 * kMinute);
  c.set_status(v1::CONFLICT_STATUS_OPEN);
  c.set_opened_micros(kMay10Micros + 700 * kMinute);
  return info;
}

TEST(ConflictOutputTest, ShowJsonOfAFieldConflictHasAncestorAndEverySibling) {
  EXPECT_EQ(
      ConflictToJson(PhoneConflict()),
      R"({"id":"members/370102001001/wxl/phone","collection":"members",)"
      R"("village":"370102001001","record":"wxl","field":"phone",)"
      R"("status":"open","ancestor":"13800000000","siblings":[)"
      R"({"n":1,"value":"13900000000","author":"李建国",)"
      R"("replica":"00000000000000a1","hlc_time":"2024-05-10T09:00:00+00:00",)"
      R"("received":"2024-05-10T11:20:00+00:00"},)"
      R"({"n":2,"value":"13700000000","author":"王秀兰",)"
      R"("replica":"b2c3d4e5f6071829","hlc_time":"2024-05-10T10:00:00+00:00",)"
      R"("received":"2024-05-10T11:40:00+00:00"}],)"
      R"("opened":"2024-05-10T11:40:00+00:00",)"
      R"("updated":"2024-05-10T11:40:00+00:00",)"
      R"("resolved_by":null,"reason":null})");
}

TEST(ConflictOutputTest, ShowJsonOfADeleteConflictNamesTheRecordField) {
  EXPECT_EQ(
      ConflictToJson(DeleteConflict()),
      R"({"id":"members/370102001001/wxl/_record","collection":"members",)"
      R"("village":"370102001001","record":"wxl","field":"_record",)"
      R"("status":"open","ancestor":null,"siblings":[)"
      R"({"n":1,"value":null,"author":"李建国",)"
      R"("replica":"00000000000000a1","hlc_time":"2024-05-10T09:00:00+00:00",)"
      R"("received":"2024-05-10T11:20:00+00:00"},)"
      R"({"n":2,"value":"13900000000","author":"王秀兰",)"
      R"("replica":"b2c3d4e5f6071829","hlc_time":"2024-05-10T10:00:00+00:00",)"
      R"("received":null}],)"
      R"("opened":"2024-05-10T11:40:00+00:00","updated":null,)"
      R"("resolved_by":null,"reason":null})");
}

TEST(ConflictOutputTest, ShowTextIsAThreeWayView) {
  EXPECT_EQ(ConflictToText(PhoneConflict()),
            "conflict members/370102001001/wxl/phone\n"
            "status: open\n"
            "opened: 2024-05-10T11:40:00+00:00\n"
            "ancestor: 13800000000\n"
            "[1] 13900000000  — by 李建国 on device 00000000000000a1 at "
            "2024-05-10T09:00:00+00:00 received 2024-05-10T11:20:00+00:00\n"
            "[2] 13700000000  — by 王秀兰 on device b2c3d4e5f6071829 at "
            "2024-05-10T10:00:00+00:00 received 2024-05-10T11:40:00+00:00\n");
}

TEST(ConflictOutputTest, ADeletedSiblingShowsAsDeletedAndTheAncestorUnknown) {
  EXPECT_EQ(ConflictToText(DeleteConflict()),
            "conflict members/370102001001/wxl/_record\n"
            "status: open\n"
            "opened: 2024-05-10T11:40:00+00:00\n"
            "kind: deleted on one device while edited on another (resolve "
            "with --keep or --delete)\n"
            "ancestor: unknown\n"
            "[1] (deleted)  — by 李建国 on device 00000000000000a1 at "
            "2024-05-10T09:00:00+00:00 received 2024-05-10T11:20:00+00:00\n"
            "[2] 13900000000  — by 王秀兰 on device b2c3d4e5f6071829 at "
            "2024-05-10T10:00:00+00:00\n");
}

TEST(ConflictOutputTest, AResolvedConflictShowsWhoResolvedItAndWhy) {
  v1::ConflictInfo info = PhoneConflict();
  info.mutable_conflict()->set_status(v1::CONFLICT_STATUS_RESOLVED);
  info.mutable_conflict()->set_resolved_by("county_admin");
  info.mutable_conflict()->set_reason("电话核实：新号码");
  EXPECT_THAT(ConflictToText(info), HasSubstr("status: resolved\n"));
  EXPECT_THAT(
      ConflictToText(info),
      HasSubstr("\nresolved by: county_admin\nreason: 电话核实：新号码\n"));
  EXPECT_THAT(
      ConflictToJson(info),
      HasSubstr(
          R"("resolved_by":"county_admin","reason":"电话核实：新号码"})"));
}

TEST(ConflictOutputTest, ListLinesShowStatusSiblingsAndAge) {
  v1::ConflictInfo info = PhoneConflict();
  int64_t opened = info.conflict().opened_micros();
  EXPECT_EQ(ConflictToLine(info, opened + 3 * 1440 * kMinute + 5),
            "members/370102001001/wxl/phone  open  2 siblings  3d");
  EXPECT_EQ(ConflictToLine(info, opened + 300 * kMinute),
            "members/370102001001/wxl/phone  open  2 siblings  5h");
  info.mutable_conflict()->set_status(v1::CONFLICT_STATUS_AUTO_RESOLVED);
  EXPECT_EQ(ConflictToLine(info, opened + 45 * kMinute),
            "members/370102001001/wxl/phone  auto  2 siblings  45m");
  info.mutable_conflict()->set_opened_micros(0);
  EXPECT_EQ(ConflictToLine(info, opened),
            "members/370102001001/wxl/phone  auto  2 siblings  -");
}

TEST(ConflictOutputTest, ListJsonIsAnArrayOfSummariesOnePerLine) {
  std::vector<v1::ConflictInfo> conflicts = {PhoneConflict(), DeleteConflict()};
  std::string json = ConflictListToJson(conflicts);
  EXPECT_EQ(json, "[\n" + ConflictSummaryToJson(conflicts[0]) + ",\n" +
                      ConflictSummaryToJson(conflicts[1]) + "\n]");
  EXPECT_EQ(ConflictListToJson({}), "[]");
  EXPECT_EQ(
      ConflictSummaryToJson(DeleteConflict()),
      R"({"id":"members/370102001001/wxl/_record","collection":"members",)"
      R"("village":"370102001001","record":"wxl","field":"_record",)"
      R"("status":"open","siblings":[)"
      R"({"n":1,"value":null,"author":"李建国",)"
      R"("replica":"00000000000000a1","hlc_time":"2024-05-10T09:00:00+00:00",)"
      R"("received":"2024-05-10T11:20:00+00:00"},)"
      R"({"n":2,"value":"13900000000","author":"王秀兰",)"
      R"("replica":"b2c3d4e5f6071829","hlc_time":"2024-05-10T10:00:00+00:00",)"
      R"("received":null}],)"
      R"("opened":"2024-05-10T11:40:00+00:00","updated":null})");
}

TEST(ConflictOutputTest, TheResolutionSaysWhatWasChosen) {
  v1::ResolveConflictRequest request;
  request.set_pick(2);
  EXPECT_EQ(ResolutionToText(request, PhoneConflict().conflict()),
            "sibling 2: 13700000000");
  request.set_pick(1);
  EXPECT_EQ(ResolutionToText(request, DeleteConflict().conflict()),
            "sibling 1: (deleted)");
  *request.mutable_value() = Str("13600000000");
  EXPECT_EQ(ResolutionToText(request, PhoneConflict().conflict()),
            "new value: 13600000000");
  request.set_keep(true);
  EXPECT_EQ(ResolutionToText(request, DeleteConflict().conflict()),
            "record kept");
  request.set_delete_(true);
  EXPECT_EQ(ResolutionToText(request, DeleteConflict().conflict()),
            "record deleted");
}

TEST(AuditOutputTest, EntriesAreOneLineEachOrAJsonArray) {
  v1::ListAuditResponse audit;
  v1::AuditEntry* resolve = audit.add_entries();
  resolve->set_micros(kMay10Micros + 720 * kMinute);
  resolve->set_actor("county_admin");
  resolve->set_action("conflict.resolve");
  resolve->set_target("members/370102001001/wxl/phone");
  resolve->set_detail("picked 2: 电话核实");
  v1::AuditEntry* revoke = audit.add_entries();
  revoke->set_micros(kMay10Micros + 721 * kMinute);
  revoke->set_actor("county_admin");
  revoke->set_action("user.revoke");
  revoke->set_target("zhang");

  EXPECT_EQ(AuditEntryToLine(*resolve),
            "2024-05-10T12:00:00+00:00  county_admin  conflict.resolve  "
            "members/370102001001/wxl/phone  picked 2: 电话核实");
  EXPECT_EQ(AuditEntryToLine(*revoke),
            "2024-05-10T12:01:00+00:00  county_admin  user.revoke  zhang");
  EXPECT_EQ(AuditToJson(audit.entries()),
            "[\n"
            R"({"time":"2024-05-10T12:00:00+00:00","actor":"county_admin",)"
            R"("action":"conflict.resolve",)"
            R"("target":"members/370102001001/wxl/phone",)"
            R"("detail":"picked 2: 电话核实"},)"
            "\n"
            R"({"time":"2024-05-10T12:01:00+00:00","actor":"county_admin",)"
            R"("action":"user.revoke","target":"zhang","detail":""})"
            "\n]");
  EXPECT_EQ(AuditToJson(v1::ListAuditResponse().entries()), "[]");
}

}  // namespace
}  // namespace cli
}  // namespace villagesync
