// The conflict inbox (SPEC §7) through a real server and devices: a
// resolution reaches the devices that made the conflict; three concurrent
// edits make one conflict resolved once; an offline edit concurrent with a
// resolution opens a new conflict; concurrent resolutions on two replicas
// merge identically; only admins in scope resolve; the audit log holds each
// resolution; delete-versus-edit settles with keep or delete.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/conflict_inbox.h"
#include "storage/resolution.h"
#include "tests/testing/county.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using testing::ConflictFields;
using testing::Edit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::IsOk;
using testing::Key;
using testing::NewMember;
using testing::QuickSync;
using ::testing::SizeIs;
using testing::StatusIs;
using testing::Str;
using testing::TestCounty;
using testing::Visible;

constexpr char kVillage[] = "440101001001";

class ConflictReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(county_.status(), IsOk());
    token_ = county_.AddUser("zhou", "first_secretary", "440101");
    admin_ = Device("admin", county_.admin_token());
  }

  std::unique_ptr<SyncClient> Device(const std::string& name,
                                     const std::string& token) {
    auto device = county_.Device(name, token);
    EXPECT_THAT(device, IsOk());
    return device.ok() ? std::move(device).value() : nullptr;
  }

  // Devices that each set `field` of m1 to their own value, offline, then
  // sync: one conflict with a sibling per device.
  std::vector<std::unique_ptr<SyncClient>> ConcurrentEdits(
      const std::string& field, const std::vector<std::string>& values) {
    std::vector<std::unique_ptr<SyncClient>> devices;
    for (size_t i = 0; i < values.size(); ++i) {
      devices.push_back(Device("d" + std::to_string(i), token_));
    }
    EXPECT_THAT(devices[0]->store().Put(NewMember(kVillage, "m1", "李建国")),
                IsOk());
    for (auto& d : devices) EXPECT_THAT(d->Sync(QuickSync()), IsOk());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_THAT(devices[i]->store().Put(Edit(m1_, {{field, Str(values[i])}})),
                  IsOk());
    }
    for (auto& d : devices) EXPECT_THAT(d->Sync(QuickSync()), IsOk());
    for (auto& d : devices) EXPECT_THAT(d->Sync(QuickSync()), IsOk());
    return devices;
  }

  v1::ResolveConflictRequest Pick(const std::string& id, int n) {
    v1::ResolveConflictRequest request;
    request.set_id(id);
    request.set_pick(n);
    request.set_reason("checked the register with the secretary");
    return request;
  }

  TestCounty county_;
  std::string token_;
  std::unique_ptr<SyncClient> admin_;
  v1::RecordKey m1_ = Key(kVillage, "members", "m1");
  std::string phone_id_ = ConflictId(m1_, "phone");
};

TEST_F(ConflictReviewTest,
       AResolutionAtTheServerReachesBothDevicesAndClearsTheConflict) {
  auto devices = ConcurrentEdits("phone", {"13800000001", "13900000002"});
  auto shown = admin_->ShowConflict(phone_id_);
  ASSERT_THAT(shown, IsOk());
  ASSERT_THAT(shown->conflict().siblings(), SizeIs(2));
  EXPECT_THAT(shown->conflict().received_micros(), SizeIs(2));
  std::string chosen = shown->conflict().siblings(1).value().string_value();
  ASSERT_THAT(admin_->ResolveConflict(Pick(phone_id_, 2)), IsOk());
  for (auto& d : devices) {
    ASSERT_THAT(d->Sync(QuickSync()), IsOk());
    EXPECT_THAT(ConflictFields(d->store(), m1_), IsEmpty());
    EXPECT_EQ(Visible(d->store(), m1_, "phone"), chosen);
  }
  auto after = admin_->ShowConflict(phone_id_);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->conflict().status(), v1::CONFLICT_STATUS_RESOLVED);
  EXPECT_EQ(after->conflict().resolved_by(), "admin");
  EXPECT_THAT(after->conflict().reason(), HasSubstr("register"));
}

TEST_F(ConflictReviewTest, ThreeConcurrentEditsMakeOneConflictResolvedOnce) {
  auto devices = ConcurrentEdits("occupation", {"农民", "教师", "医生"});
  v1::ListConflictsRequest open;
  open.set_status(v1::CONFLICT_STATUS_OPEN);
  auto listed = admin_->ListConflicts(open);
  ASSERT_THAT(listed, IsOk());
  ASSERT_THAT(listed->conflicts(), SizeIs(1));
  EXPECT_THAT(listed->conflicts(0).conflict().siblings(), SizeIs(3));
  std::string id = listed->conflicts(0).id();
  ASSERT_THAT(admin_->ResolveConflict(Pick(id, 1)), IsOk());
  EXPECT_THAT(
      admin_->ResolveConflict(Pick(id, 2)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("conflict")));
  auto still_open = admin_->ListConflicts(open);
  ASSERT_THAT(still_open, IsOk());
  EXPECT_THAT(still_open->conflicts(), IsEmpty());
}

TEST_F(ConflictReviewTest, TheThreeWayViewShowsTheCommonAncestor) {
  auto first = Device("first", token_);
  LocalEdit member = NewMember(kVillage, "m1", "李建国");
  member.fields.push_back({"phone", Str("13700000000")});
  ASSERT_THAT(first->store().Put(member), IsOk());
  ASSERT_THAT(first->Sync(QuickSync()), IsOk());
  auto second = Device("second", token_);
  ASSERT_THAT(second->Sync(QuickSync()), IsOk());
  ASSERT_THAT(first->store().Put(
                  Edit(m1_, {{"phone", Str("13800000001")}}, first->author())),
              IsOk());
  ASSERT_THAT(second->store().Put(
                  Edit(m1_, {{"phone", Str("13900000002")}}, second->author())),
              IsOk());
  ASSERT_THAT(first->Sync(QuickSync()), IsOk());
  ASSERT_THAT(second->Sync(QuickSync()), IsOk());
  auto shown = admin_->ShowConflict(phone_id_);
  ASSERT_THAT(shown, IsOk());
  EXPECT_EQ(shown->conflict().ancestor().value().string_value(), "13700000000");
  for (const v1::Sibling& s : shown->conflict().siblings()) {
    EXPECT_EQ(s.author(), "zhou");
    EXPECT_NE(s.dot().replica(), 0u);
    EXPECT_NE(s.hlc(), 0u);
  }
}

TEST_F(ConflictReviewTest,
       AnOfflineEditConcurrentWithTheResolutionOpensANewConflict) {
  auto devices = ConcurrentEdits("phone", {"13800000001", "13900000002"});
  // Device 0 edits again before it sees the resolution.
  ASSERT_THAT(
      devices[0]->store().Put(Edit(m1_, {{"phone", Str("13600000003")}})),
      IsOk());
  ASSERT_THAT(admin_->ResolveConflict(Pick(phone_id_, 1)), IsOk());
  ASSERT_THAT(devices[0]->Sync(QuickSync()), IsOk());
  auto shown = admin_->ShowConflict(phone_id_);
  ASSERT_THAT(shown, IsOk());
  EXPECT_EQ(shown->conflict().status(), v1::CONFLICT_STATUS_OPEN);
  bool kept = false;
  for (const v1::Sibling& s : shown->conflict().siblings()) {
    kept = kept || s.value().string_value() == "13600000003";
  }
  EXPECT_TRUE(kept) << "the offline edit was lost";
}

TEST_F(ConflictReviewTest,
       ConcurrentResolutionsOnTwoReplicasMergeIdenticallyOnBoth) {
  // The server and an admin's device both hold the conflict; each resolves
  // it differently without seeing the other's resolution.
  auto devices = ConcurrentEdits("phone", {"13800000001", "13900000002"});
  ASSERT_THAT(admin_->Sync(QuickSync()), IsOk());
  Resolution on_device;
  on_device.key = m1_;
  on_device.field = "phone";
  on_device.choice = Resolution::Choice::kPick;
  on_device.pick = 1;
  on_device.resolver = "admin";
  on_device.reason = "device-side decision";
  ASSERT_THAT(admin_->store().Resolve(on_device), IsOk());
  ASSERT_THAT(admin_->ResolveConflict(Pick(phone_id_, 2)), IsOk());
  ASSERT_THAT(admin_->Sync(QuickSync()), IsOk());
  auto server_record = county_.server().store().Get(m1_);
  auto device_record = admin_->store().Get(m1_);
  ASSERT_THAT(server_record, IsOk());
  ASSERT_THAT(device_record, IsOk());
  EXPECT_EQ(Visible(county_.server().store(), m1_, "phone"),
            Visible(admin_->store(), m1_, "phone"));
  EXPECT_EQ(ConflictFields(county_.server().store(), m1_),
            ConflictFields(admin_->store(), m1_));
  // Different choices are themselves concurrent: a new conflict, on both.
  EXPECT_THAT(ConflictFields(admin_->store(), m1_), ElementsAre("phone"));
}

TEST_F(ConflictReviewTest, OnlyAdminsInScopeResolve) {
  auto devices = ConcurrentEdits("phone", {"13800000001", "13900000002"});
  auto secretary = Device("secretary", token_);
  EXPECT_THAT(
      secretary->ResolveConflict(Pick(phone_id_, 1)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("admin")));
  std::string other = county_.AddUser("other-admin", "admin", "440102");
  auto elsewhere = Device("elsewhere", other);
  EXPECT_THAT(
      elsewhere->ResolveConflict(Pick(phone_id_, 1)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(kVillage)));
  auto shown = admin_->ShowConflict(phone_id_);
  ASSERT_THAT(shown, IsOk());
  EXPECT_EQ(shown->conflict().status(), v1::CONFLICT_STATUS_OPEN);
}

TEST_F(ConflictReviewTest, TheAuditLogHoldsEachResolution) {
  auto devices = ConcurrentEdits("phone", {"13800000001", "13900000002"});
  ASSERT_THAT(admin_->ResolveConflict(Pick(phone_id_, 2)), IsOk());
  auto audit = admin_->ListAudit(0);
  ASSERT_THAT(audit, IsOk());
  int resolutions = 0;
  for (const v1::AuditEntry& e : audit->entries()) {
    if (e.action() != "conflict.resolve") continue;
    ++resolutions;
    EXPECT_EQ(e.actor(), "admin");
    EXPECT_EQ(e.target(), phone_id_);
    EXPECT_THAT(e.detail(), HasSubstr("picked [2]"));
    EXPECT_THAT(e.detail(), HasSubstr("register"));
    EXPECT_GT(e.micros(), 0);
  }
  EXPECT_EQ(resolutions, 1);
}

TEST_F(ConflictReviewTest,
       ADeleteVersusEditConflictIsSettledByKeepingTheRecord) {
  auto a = Device("a", token_);
  auto b = Device("b", token_);
  LocalEdit member = NewMember(kVillage, "m1", "李建国");
  member.fields.push_back({"phone", Str("13700000000")});
  ASSERT_THAT(a->store().Put(member), IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  ASSERT_THAT(b->Sync(QuickSync()), IsOk());
  ASSERT_THAT(a->store().Delete(m1_, "甲"), IsOk());
  ASSERT_THAT(b->store().Put(Edit(m1_, {{"occupation", Str("外出务工")}})),
              IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  ASSERT_THAT(b->Sync(QuickSync()), IsOk());
  std::string id = ConflictId(m1_, "");
  v1::ResolveConflictRequest keep;
  keep.set_id(id);
  keep.set_keep(true);
  keep.set_reason("member moved, not gone");
  ASSERT_THAT(admin_->ResolveConflict(keep), IsOk());
  ASSERT_THAT(a->Sync(QuickSync()), IsOk());
  auto record = a->store().Get(m1_);
  ASSERT_THAT(record, IsOk());
  RecordView view =
      ViewRecord(*record, *a->store().schemas().FindCollection("members"));
  EXPECT_FALSE(view.deleted);
  EXPECT_FALSE(view.delete_conflict);
  EXPECT_THAT(view.conflict_fields, IsEmpty());
  EXPECT_EQ(Visible(a->store(), m1_, "occupation"), "外出务工");
  EXPECT_EQ(Visible(a->store(), m1_, "phone"), "13700000000");  // restored
}

TEST_F(ConflictReviewTest, ABadChoiceNamesTheFieldAndChangesNothing) {
  auto devices = ConcurrentEdits("phone", {"13800000001", "13900000002"});
  uint64_t seq = county_.server().store().last_seq();
  EXPECT_THAT(admin_->ResolveConflict(Pick(phone_id_, 7)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pick")));
  v1::ResolveConflictRequest no_reason = Pick(phone_id_, 1);
  no_reason.clear_reason();
  EXPECT_THAT(
      admin_->ResolveConflict(no_reason),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  v1::ResolveConflictRequest keep = Pick(phone_id_, 1);
  keep.set_keep(true);
  EXPECT_THAT(
      admin_->ResolveConflict(keep),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("choice")));
  EXPECT_THAT(admin_->ShowConflict("members/bad"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_EQ(county_.server().store().last_seq(), seq);
}

}  // namespace
}  // namespace villagesync
