// The trust boundary of sync (SPEC §6): a device speaks only for itself.
// Each attack a user with a valid token could make through raw gRPC calls
// (another replica's dots, forged causal contexts, counter jumps, other
// devices' ids and watermarks, a forged author, an undelete without the
// right to delete, holes in validation) is refused with the stated code, the
// server's state stays as it was (a full admin pull compared before and
// after), and the victim's later edits arrive and converge. A change whose
// claims the server cannot check yet is deferred: its claims supersede
// nothing, and its own value is kept meanwhile as a concurrent write.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/conflict_inbox.h"
#include "storage/causal_context.h"
#include "storage/device_writes.h"
#include "storage/resolution.h"
#include "tests/testing/county.h"
#include "tests/testing/raw_stub.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using testing::Edit;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::Key;
using testing::NewMember;
using testing::QuickSync;
using testing::RawStub;
using testing::Str;
using testing::TestCounty;
using testing::Visible;

constexpr char kVillage[] = "440101001001";
constexpr uint64_t kHuge = uint64_t{1} << 63;
constexpr uint64_t kAttackerReplica = 0x4d414c4c4f525921;

v1::Dot DotOf(uint64_t replica, uint64_t counter) {
  v1::Dot dot;
  dot.set_replica(replica);
  dot.set_counter(counter);
  return dot;
}

class TrustBoundaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(county_.status(), IsOk());
    victim_token_ = county_.AddUser("victim", "first_secretary", "440101001");
    attacker_token_ = county_.AddUser("mallory", "field_worker", "440101001");
    auto victim = county_.Device("victim", victim_token_);
    ASSERT_THAT(victim, IsOk());
    victim_ = std::move(victim).value();
    ASSERT_THAT(victim_->store().Put(NewMember(kVillage, "m1", "李建国")),
                IsOk());
    ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
    ASSERT_TRUE(Hello(attacker_token_, kAttackerReplica).ok());
    before_ = FullPull();
  }

  grpc::Status Hello(const std::string& token, uint64_t replica,
                     v1::HelloResponse* response = nullptr) {
    v1::HelloRequest request;
    request.set_replica_id(replica);
    v1::HelloResponse ignored;
    return raw_.sync->Hello(RawStub::Context(token).get(), request,
                            response != nullptr ? response : &ignored);
  }

  // Pushes `change` as `token` for `replica`; the single result, or the
  // call's failure.
  grpc::Status Push(const std::string& token, uint64_t replica,
                    const v1::Change& change, v1::ApplyResult* result) {
    v1::PushRequest request;
    request.set_replica_id(replica);
    *request.add_changes() = change;
    v1::PushResponse response;
    grpc::Status status =
        raw_.sync->Push(RawStub::Context(token).get(), request, &response);
    if (status.ok() && response.results_size() == 1)
      *result = response.results(0);
    return status;
  }

  // The attacker's push of `change`; expects the call to succeed with one
  // result of `outcome` and `code` whose reason names `field`.
  void ExpectRefused(const v1::Change& change, v1::ApplyOutcome outcome,
                     grpc::StatusCode code, const std::string& field) {
    v1::ApplyResult result;
    grpc::Status status =
        Push(attacker_token_, kAttackerReplica, change, &result);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(result.outcome(), outcome) << result.reason();
    EXPECT_EQ(result.code(), static_cast<int>(code)) << result.reason();
    EXPECT_THAT(result.reason(), HasSubstr(field));
  }

  // Everything the server holds, as a full admin pull and the conflict
  // inbox show it.
  std::string FullPull() {
    std::string state;
    v1::PullRequest request;
    for (bool more = true; more;) {
      v1::PullResponse response;
      grpc::Status status = raw_.sync->Pull(
          RawStub::Context(county_.admin_token()).get(), request, &response);
      if (!status.ok()) return "pull failed: " + status.error_message();
      for (const v1::Change& c : response.changes()) {
        state += c.SerializeAsString();
      }
      request.set_checkpoint(response.checkpoint());
      more = response.more();
    }
    auto conflicts = county_.server().store().ListConflicts({});
    if (!conflicts.ok()) return "inbox failed";
    for (const v1::Conflict& c : *conflicts) state += c.SerializeAsString();
    return state;
  }

  void ExpectUnchanged() { EXPECT_EQ(FullPull(), before_); }

  // A change of m1's `field` to `value`, written with `dot` and claiming to
  // have seen `context` (which gets `dot` added).
  static v1::Change Forged(const std::string& field, const std::string& value,
                           const v1::Dot& dot,
                           std::vector<v1::Dot> context = {}) {
    v1::Change change;
    *change.mutable_key() = Key(kVillage, "members", "m1");
    v1::FieldState* state = change.add_fields();
    state->set_name(field);
    v1::Sibling* sibling = state->add_siblings();
    sibling->mutable_value()->set_string_value(value);
    *sibling->mutable_dot() = dot;
    sibling->set_hlc(1);
    sibling->set_author("admin");
    context.push_back(dot);
    std::sort(context.begin(), context.end(),
              [](const v1::Dot& a, const v1::Dot& b) {
                return a.replica() < b.replica();
              });
    for (const v1::Dot& d : context) *state->add_context() = d;
    return change;
  }

  // The victim edits m1's phone and syncs: the edit is applied, the server
  // and the victim agree, and a fresh device sees the same.
  void ExpectVictimEditsArrive(const std::string& phone) {
    ASSERT_THAT(victim_->store().Put(Edit(Key(kVillage, "members", "m1"),
                                          {{"phone", Str(phone)}})),
                IsOk());
    auto report = victim_->Sync(QuickSync());
    ASSERT_THAT(report, IsOk());
    EXPECT_EQ(report->pushed, 1);
    EXPECT_THAT(report->rejected, ::testing::IsEmpty());
    v1::RecordKey m1 = Key(kVillage, "members", "m1");
    EXPECT_EQ(Visible(county_.server().store(), m1, "phone"), phone);
    EXPECT_EQ(Visible(victim_->store(), m1, "phone"), phone);
    auto fresh = county_.Device("fresh", county_.admin_token());
    ASSERT_THAT(fresh, IsOk());
    ASSERT_THAT((*fresh)->Sync(QuickSync()), IsOk());
    EXPECT_EQ(Visible((*fresh)->store(), m1, "phone"), phone);
  }

  // A deferred change's claims were not believed: the server's register for
  // m1's `field` has seen none of `claims` (the change's own value may be
  // kept beside the others, as a device may always write concurrently), and
  // every value it held before is still there.
  void ExpectClaimsNotBelieved(const std::string& field,
                               const std::vector<v1::Dot>& claims,
                               const std::vector<v1::Sibling>& held_before) {
    auto record = county_.server().store().Get(Key(kVillage, "members", "m1"));
    ASSERT_THAT(record, IsOk());
    const v1::FieldState* state = nullptr;
    for (const storage::StoredField& f : record->stored.fields()) {
      if (f.state().name() == field) state = &f.state();
    }
    ASSERT_NE(state, nullptr) << field;
    for (const v1::Dot& claim : claims) {
      EXPECT_FALSE(Covers(state->context(), claim))
          << field << " believed a claim of " << claim.ShortDebugString();
    }
    for (const v1::Sibling& before : held_before) {
      bool kept = false;
      for (const v1::Sibling& s : state->siblings()) {
        kept = kept || DotEqual(s.dot(), before.dot());
      }
      EXPECT_TRUE(kept) << field << " lost " << before.ShortDebugString();
    }
  }

  // The values the server holds for m1's `field`.
  std::vector<v1::Sibling> HeldValues(const std::string& field) {
    auto record = county_.server().store().Get(Key(kVillage, "members", "m1"));
    std::vector<v1::Sibling> values;
    if (!record.ok()) return values;
    for (const storage::StoredField& f : record->stored.fields()) {
      if (f.state().name() != field) continue;
      values.assign(f.state().siblings().begin(), f.state().siblings().end());
    }
    return values;
  }

  uint64_t victim_replica() { return victim_->store().replica_id(); }

  TestCounty county_;
  RawStub raw_{county_.address()};
  std::string victim_token_, attacker_token_;
  std::unique_ptr<SyncClient> victim_;
  std::string before_;
};

TEST_F(TrustBoundaryTest,
       APushCarryingAnotherReplicasDotIsRejectedAndTheVictimsEditsArrive) {
  ExpectRefused(Forged("phone", "13000000000", DotOf(victim_replica(), kHuge)),
                v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT, "dot");
  ExpectUnchanged();
  ASSERT_NO_FATAL_FAILURE(ExpectVictimEditsArrive("13800000001"));
}

TEST_F(TrustBoundaryTest, APushCarryingTheServersOwnDotIsRejected) {
  uint64_t server = county_.server().store().writer_id();
  ExpectRefused(Forged("phone", "13000000000", DotOf(server, kHuge)),
                v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT, "dot");
  ExpectRefused(Forged("phone", "13000000000",
                       DotOf(county_.server().store().replica_id(), 1)),
                v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT, "dot");
  ExpectUnchanged();
  ASSERT_NO_FATAL_FAILURE(ExpectVictimEditsArrive("13800000001"));
}

TEST_F(TrustBoundaryTest,
       AContextClaimingWritesNoOneMadeIsDeferredAndSupersedesNothing) {
  // The attacker's own write, claiming to have seen every write the victim
  // and the server will ever make.
  uint64_t server = county_.server().store().writer_id();
  std::vector<v1::Dot> claims = {DotOf(victim_replica(), kHuge),
                                 DotOf(server, kHuge)};
  std::vector<v1::Sibling> before = HeldValues("phone");
  ExpectRefused(
      Forged("phone", "13000000000", DotOf(kAttackerReplica, 1), claims),
      v1::APPLY_OUTCOME_DEFERRED, grpc::UNAVAILABLE, "context");
  ExpectClaimsNotBelieved("phone", claims, before);
  ASSERT_NO_FATAL_FAILURE(ExpectVictimEditsArrive("13800000001"));
  ExpectClaimsNotBelieved("phone", claims, {});
}

TEST_F(TrustBoundaryTest, ACounterJumpingFarAheadIsRejectedNamingTheDot) {
  ExpectRefused(Forged("phone", "13000000000", DotOf(kAttackerReplica, kHuge)),
                v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT, "dot");
  ExpectRefused(
      Forged("phone", "13000000000", DotOf(kAttackerReplica, kMaxDotGap + 1)),
      v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT, "dot");
  ExpectUnchanged();
  // Within the gap is fine: edits superseded before a sync leave gaps.
  v1::ApplyResult result;
  ASSERT_TRUE(Push(attacker_token_, kAttackerReplica,
                   Forged("phone", "13000000000", DotOf(kAttackerReplica, 500)),
                   &result)
                  .ok());
  EXPECT_EQ(result.outcome(), v1::APPLY_OUTCOME_APPLIED) << result.reason();
}

TEST_F(TrustBoundaryTest, APushOrHelloNamingAnotherUsersDeviceIsDenied) {
  v1::HelloResponse victim_hello;
  ASSERT_TRUE(Hello(victim_token_, victim_replica(), &victim_hello).ok());
  v1::Change change =
      Forged("phone", "13000000000", DotOf(victim_replica(), kHuge));
  change.set_seq(~uint64_t{0});
  v1::ApplyResult result;
  grpc::Status status =
      Push(attacker_token_, victim_replica(), change, &result);
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("replica_id"));
  status = Hello(attacker_token_, victim_replica());
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
  // The victim's watermark did not move, and the report's devices did not.
  v1::HelloResponse again;
  ASSERT_TRUE(Hello(victim_token_, victim_replica(), &again).ok());
  EXPECT_EQ(again.received_seq(), victim_hello.received_seq());
  auto devices = county_.server().devices().List();
  ASSERT_THAT(devices, IsOk());
  for (const v1::Device& d : *devices) {
    if (d.replica_id() == victim_replica()) {
      EXPECT_EQ(d.user(), "victim");
    }
  }
  ExpectUnchanged();
}

TEST_F(TrustBoundaryTest, NoUserMaySpeakForTheServersIds) {
  for (uint64_t id : {county_.server().store().replica_id(),
                      county_.server().store().writer_id()}) {
    grpc::Status status = Hello(county_.admin_token(), id);
    EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("server"));
  }
}

TEST_F(TrustBoundaryTest, APushFromAnUnregisteredIdIsRefused) {
  v1::ApplyResult result;
  grpc::Status status =
      Push(attacker_token_, 0x1234,
           Forged("phone", "13000000000", DotOf(0x1234, 1)), &result);
  EXPECT_EQ(status.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("Hello"));
  ExpectUnchanged();
}

TEST_F(TrustBoundaryTest, HelloWithTenThousandMadeUpIdsStopsAtTheDeviceLimit) {
  int registered = 0, refused = 0;
  for (uint64_t id = 1; id <= 10000; ++id) {
    grpc::Status status = Hello(attacker_token_, 0x5000000000000000 + id);
    if (status.ok()) {
      ++registered;
    } else {
      ASSERT_EQ(status.error_code(), grpc::RESOURCE_EXHAUSTED)
          << status.error_message();
      ++refused;
    }
  }
  // The attacker's first device plus the rest of the limit.
  EXPECT_EQ(registered, kDefaultMaxDevicesPerUser - 1);
  EXPECT_EQ(refused, 10000 - registered);
  auto devices = county_.server().devices().List();
  ASSERT_THAT(devices, IsOk());
  int mallory = 0;
  for (const v1::Device& d : *devices) mallory += d.user() == "mallory";
  EXPECT_EQ(mallory, kDefaultMaxDevicesPerUser);
  // The report lists one device per registration, not one per Hello.
  v1::ReportRequest request;
  request.set_region_prefix("440101");
  request.set_period("2024-05");
  v1::ReportResponse report;
  ASSERT_TRUE(raw_.admin
                  ->Report(RawStub::Context(county_.admin_token()).get(),
                           request, &report)
                  .ok());
  ASSERT_EQ(report.villages_size(), 1);
  EXPECT_EQ(report.villages(0).devices_size(), kDefaultMaxDevicesPerUser + 1);
}

TEST_F(TrustBoundaryTest, TheAuthorIsTheAuthenticatedUserNotWhatTheDeviceSays) {
  // The victim and the attacker edit the phone concurrently: a conflict
  // whose siblings name their real authors.
  ASSERT_THAT(victim_->store().Put(Edit(Key(kVillage, "members", "m1"),
                                        {{"phone", Str("13800000001")}})),
              IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  v1::ApplyResult result;
  ASSERT_TRUE(Push(attacker_token_, kAttackerReplica,
                   Forged("phone", "13000000000", DotOf(kAttackerReplica, 1)),
                   &result)
                  .ok());
  ASSERT_EQ(result.outcome(), v1::APPLY_OUTCOME_CONFLICT) << result.reason();
  auto conflict = county_.server().store().GetConflict(
      Key(kVillage, "members", "m1"), "phone");
  ASSERT_THAT(conflict, IsOk());
  std::vector<std::string> authors;
  for (const v1::Sibling& s : conflict->siblings())
    authors.push_back(s.author());
  EXPECT_THAT(authors, ::testing::UnorderedElementsAre("victim", "mallory"));
}

TEST_F(TrustBoundaryTest, AUserWhoMayNotDeleteCannotUndelete) {
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  auto deleted = victim_->store().Delete(m1, "victim");
  ASSERT_THAT(deleted, IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  before_ = FullPull();
  std::string township = county_.AddUser("town", "township", "440101001");
  uint64_t town_replica = 0x544f574e00000001;
  ASSERT_TRUE(Hello(township, town_replica).ok());
  // A deletion marker that has seen the delete and keeps no value: the
  // delete is superseded.
  v1::Change undelete;
  *undelete.mutable_key() = m1;
  *undelete.mutable_deletion()->mutable_context() =
      deleted->deletion().context();
  v1::ApplyResult result;
  grpc::Status status = Push(township, town_replica, undelete, &result);
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("undelete"));
  // The same with a `false` marker of its own.
  v1::Sibling* live = undelete.mutable_deletion()->add_siblings();
  live->mutable_value()->set_bool_value(false);
  *live->mutable_dot() = DotOf(town_replica, 1);
  *undelete.mutable_deletion()->add_context() = DotOf(town_replica, 1);
  status = Push(township, town_replica, undelete, &result);
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
  ExpectUnchanged();
  EXPECT_EQ(Visible(county_.server().store(), m1, "name"), "<none>");
}

TEST_F(TrustBoundaryTest, ARegisterWithNoValueOfTheDevicesOwnIsRejected) {
  // Context only, claiming the victim's write: it would clear the victim's
  // value without writing one.
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  auto victim_counter = county_.server().store().KnownCounter(victim_replica());
  ASSERT_THAT(victim_counter, IsOk());
  v1::Change change = Forged("name", "x", DotOf(kAttackerReplica, 1),
                             {DotOf(victim_replica(), *victim_counter)});
  change.mutable_fields(0)->clear_siblings();
  ExpectRefused(change, v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT,
                "fields.name");
  ExpectUnchanged();
  // A context of its own writes only (a retraction: "mine up to 1 were
  // superseded") clears nothing.
  change = Forged("name", "x", DotOf(kAttackerReplica, 1));
  change.mutable_fields(0)->clear_siblings();
  v1::ApplyResult result;
  ASSERT_TRUE(Push(attacker_token_, kAttackerReplica, change, &result).ok());
  EXPECT_NE(result.outcome(), v1::APPLY_OUTCOME_REJECTED) << result.reason();
  EXPECT_EQ(Visible(county_.server().store(), m1, "name"), "李建国");
}

TEST_F(TrustBoundaryTest, AClaimIsCheckedAgainstTheFieldNotTheWholeReplica) {
  // The server holds the victim's phone write, but no write of the victim
  // to `occupation`: claiming to have seen one there is deferred.
  ASSERT_THAT(victim_->store().Put(Edit(Key(kVillage, "members", "m1"),
                                        {{"phone", Str("13800000001")}})),
              IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  before_ = FullPull();
  auto victim_counter = county_.server().store().KnownCounter(victim_replica());
  ASSERT_THAT(victim_counter, IsOk());
  std::vector<v1::Dot> claims = {DotOf(victim_replica(), *victim_counter)};
  ExpectRefused(
      Forged("occupation", "农民", DotOf(kAttackerReplica, 1), claims),
      v1::APPLY_OUTCOME_DEFERRED, grpc::UNAVAILABLE,
      "fields.occupation.context");
  ExpectClaimsNotBelieved("occupation", claims, {});
}

TEST_F(TrustBoundaryTest, AWriteToADeletedRecordMustReCreateIt) {
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  auto deleted = victim_->store().Delete(m1, "victim");
  ASSERT_THAT(deleted, IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  before_ = FullPull();
  // A field written having seen the delete, without the deletion marker,
  // would bring the record back: refused.
  std::vector<v1::Dot> seen(deleted->fields(0).context().begin(),
                            deleted->fields(0).context().end());
  ExpectRefused(Forged("occupation", "农民", DotOf(kAttackerReplica, 1), seen),
                v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT, "deletion");
  ExpectUnchanged();
}

// Found by the deterministic simulation (tests/sim): a device that saw the
// delete and then another device's re-creation, which this server has not
// received (yet, or lost in a restore), edits fields only. Refusing it would
// lose the edit for good; it waits for the re-creation instead.
TEST_F(TrustBoundaryTest, AnEditAfterAReCreationTheServerLacksIsDeferred) {
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  auto deleted = victim_->store().Delete(m1, "victim");
  ASSERT_THAT(deleted, IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  before_ = FullPull();
  constexpr uint64_t kRecreatingReplica = 0x5245435245415445;
  std::vector<v1::Dot> seen(deleted->fields(0).context().begin(),
                            deleted->fields(0).context().end());
  seen.push_back(DotOf(kRecreatingReplica, 3));
  ExpectRefused(Forged("occupation", "农民", DotOf(kAttackerReplica, 1), seen),
                v1::APPLY_OUTCOME_DEFERRED, grpc::UNAVAILABLE, "context");
  // Meanwhile the edit is kept as one made without seeing the delete: a
  // conflict of the delete and the edit, until the re-creation arrives.
  ExpectClaimsNotBelieved("occupation", seen, {});
  auto conflicts = county_.server().store().ListConflicts({});
  ASSERT_THAT(conflicts, IsOk());
  EXPECT_THAT(*conflicts, ::testing::SizeIs(1));
}

TEST_F(TrustBoundaryTest, AnEditThatClearsARequiredFieldIsRejected) {
  v1::Change change = Forged("name", "x", DotOf(kAttackerReplica, 1));
  change.mutable_fields(0)->mutable_siblings(0)->clear_value();
  ExpectRefused(change, v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT,
                "name");
  ExpectUnchanged();
}

TEST_F(TrustBoundaryTest, ASecondCreateOfAnAppendOnlyRecordIsRejected) {
  v1::RecordKey meeting = Key(kVillage, "meetings", "mt1");
  ASSERT_THAT(
      victim_->store().Put(Edit(meeting, {{"type", testing::Enum("支委会")},
                                          {"date", testing::Date(2024, 5, 2)},
                                          {"topic", Str("学习")}})),
      IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  before_ = FullPull();
  // The attacker's own create of the same record, as another meeting type.
  auto scratch = RecordStore::Open(county_.DeviceDir("scratch"));
  ASSERT_THAT(scratch, IsOk());
  auto create =
      (*scratch)->Put(Edit(meeting, {{"type", testing::Enum("党课")},
                                     {"date", testing::Date(2024, 5, 2)},
                                     {"topic", Str("改")}}));
  ASSERT_THAT(create, IsOk());
  v1::Change forged = *create;
  for (v1::FieldState& f : *forged.mutable_fields()) {
    for (v1::Sibling& s : *f.mutable_siblings()) {
      *s.mutable_dot() = DotOf(kAttackerReplica, 1);
    }
    f.clear_context();
    *f.add_context() = DotOf(kAttackerReplica, 1);
  }
  ExpectRefused(forged, v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT,
                "id");
  ExpectUnchanged();
}

TEST_F(TrustBoundaryTest, AReplicaUserForwardsWatermarksOnlyInsideItsRegion) {
  std::string replica = county_.AddUser("city", "replica", "440102");
  uint64_t city_replica = 0x4349545900000001;
  ASSERT_TRUE(Hello(replica, city_replica).ok());
  v1::HelloResponse victim_hello;
  ASSERT_TRUE(Hello(victim_token_, victim_replica(), &victim_hello).ok());
  v1::PushRequest request;
  request.set_replica_id(city_replica);
  v1::Watermark* w = request.add_forwarded_watermarks();
  w->set_replica(victim_replica());
  w->set_seq(~uint64_t{0});
  w->set_owner("victim");
  w->set_scope("440101001");
  v1::PushResponse response;
  grpc::Status status =
      raw_.sync->Push(RawStub::Context(replica).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("forwarded_watermarks"));
  v1::HelloResponse again;
  ASSERT_TRUE(Hello(victim_token_, victim_replica(), &again).ok());
  EXPECT_EQ(again.received_seq(), victim_hello.received_seq());
}

TEST_F(TrustBoundaryTest, OnlyTheServersOwnSealedWritesMayBeHandedBack) {
  // A conflict, resolved on the server: a write of the server, sealed.
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  ASSERT_THAT(victim_->store().Put(Edit(m1, {{"phone", Str("138")}})), IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  v1::ApplyResult result;
  ASSERT_TRUE(Push(attacker_token_, kAttackerReplica,
                   Forged("phone", "139", DotOf(kAttackerReplica, 1)), &result)
                  .ok());
  ASSERT_EQ(result.outcome(), v1::APPLY_OUTCOME_CONFLICT) << result.reason();
  Resolution pick;
  pick.key = m1;
  pick.field = "phone";
  pick.choice = Resolution::Choice::kValue;
  pick.value.set_string_value("137");
  pick.resolver = "admin";
  pick.reason = "核对";
  auto resolved = county_.server().store().Resolve(pick);
  ASSERT_THAT(resolved, IsOk());
  const v1::FieldState& state = resolved->fields(0);
  v1::Sibling sealed = state.siblings(0);
  ASSERT_FALSE(sealed.seal().empty());
  before_ = FullPull();
  // Handed back as it is: already known here, nothing changes.
  v1::Change back;
  *back.mutable_key() = m1;
  v1::FieldState* field = back.add_fields();
  field->set_name("phone");
  *field->add_siblings() = sealed;
  *field->add_context() = sealed.dot();
  ASSERT_TRUE(Push(attacker_token_, kAttackerReplica, back, &result).ok());
  EXPECT_EQ(result.outcome(), v1::APPLY_OUTCOME_DUPLICATE) << result.reason();
  // With another value, or claiming more than itself, it is a forgery.
  v1::Change forged = back;
  forged.mutable_fields(0)
      ->mutable_siblings(0)
      ->mutable_value()
      ->set_string_value("13000000000");
  ExpectRefused(forged, v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT,
                "dot");
  forged = back;
  *forged.mutable_fields(0)->add_context() = DotOf(victim_replica(), 5);
  std::sort(forged.mutable_fields(0)->mutable_context()->begin(),
            forged.mutable_fields(0)->mutable_context()->end(),
            [](const v1::Dot& a, const v1::Dot& b) {
              return a.replica() < b.replica();
            });
  ExpectRefused(forged, v1::APPLY_OUTCOME_REJECTED, grpc::INVALID_ARGUMENT,
                "dot");
  ExpectUnchanged();
}

TEST_F(TrustBoundaryTest,
       ADeviceRestoredFromAnOlderCopyTakesANewIdAndLosesNothing) {
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  ASSERT_THAT(victim_->store().Put(Edit(m1, {{"occupation", Str("教师")}})),
              IsOk());
  ASSERT_THAT(victim_->Sync(QuickSync()), IsOk());
  uint64_t first_id = victim_replica();
  victim_.reset();  // closes the store, so its files can be copied
  std::string dir = county_.DeviceDir("victim");
  std::filesystem::copy(dir, dir + "-backup",
                        std::filesystem::copy_options::recursive);
  auto device = SyncClient::Open(dir);
  ASSERT_THAT(device, IsOk());
  ASSERT_THAT((*device)->store().Put(Edit(m1, {{"occupation", Str("干部")}})),
              IsOk());
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  device->reset();
  // The phone is restored from the older copy, and edited again: the new
  // edit's dot is the one the server holds for 干部.
  std::filesystem::remove_all(dir);
  std::filesystem::rename(dir + "-backup", dir);
  device = SyncClient::Open(dir);
  ASSERT_THAT(device, IsOk());
  ASSERT_THAT((*device)->store().Put(Edit(m1, {{"occupation", Str("农民")}})),
              IsOk());
  auto report = (*device)->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->new_identity);
  EXPECT_NE((*device)->store().replica_id(), first_id);
  EXPECT_EQ(report->pushed, 1);
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  // Both edits are kept: the restored device never saw 干部, so its 农民 is
  // concurrent with it, on every replica alike.
  auto fresh = county_.Device("fresh", county_.admin_token());
  ASSERT_THAT(fresh, IsOk());
  ASSERT_THAT((*fresh)->Sync(QuickSync()), IsOk());
  for (const RecordStore* store :
       {&county_.server().store(), &(*device)->store(), &(*fresh)->store()}) {
    EXPECT_THAT(testing::ConflictFields(*store, m1),
                ::testing::ElementsAre("occupation"));
    auto conflict = store->GetConflict(m1, "occupation");
    ASSERT_THAT(conflict, IsOk());
    std::vector<std::string> values;
    for (const v1::Sibling& s : conflict->siblings()) {
      values.push_back(s.value().string_value());
    }
    EXPECT_THAT(values, ::testing::UnorderedElementsAre("干部", "农民"));
  }
}

}  // namespace
}  // namespace villagesync
