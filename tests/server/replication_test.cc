// Replication between real servers on loopback (SPEC §8): a chain county ->
// city -> province withholds personal data upward and brings province edits
// back down without erasing it; a ring converges with a bounded number of
// transfers; a peer stopped for a while catches up without re-sending what
// it had; two counties replicating both ways end with identical records and
// conflicts, and a conflict resolved on one is resolved on the other.
#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/conflict_inbox.h"
#include "tests/testing/county.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"

namespace villagesync {
namespace {

using testing::Edit;
using testing::IsOk;
using testing::Key;
using testing::NewMember;
using testing::QuickSync;
using testing::Str;
using testing::TestCounty;
using testing::Visible;

constexpr char kVillage[] = "440101001001";

// Polls `done` until it holds or `timeout` passes; true if it held.
bool WaitFor(const std::function<bool()>& done,
             absl::Duration timeout = absl::Seconds(30)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

v1::Peer PeerOf(const std::string& name, TestCounty& peer,
                const std::string& token, v1::Direction direction,
                const std::string& region) {
  v1::Peer p;
  p.set_name(name);
  p.set_address(peer.address());
  p.set_token(token);
  p.set_direction(direction);
  p.set_region_prefix(region);
  return p;
}

// Adds to `peers` the peer `to` (as `name`), reached through a replica user
// created on `to`.
void Link(TestCounty& to, const std::string& name, v1::Direction direction,
          const std::string& region, std::vector<v1::Peer>* peers) {
  std::string token = to.AddUser("replica-" + name, "replica", region);
  peers->push_back(PeerOf(name, to, token, direction, region));
}

// Makes `a` and `b` full copies of each other (both ways, everything,
// personal data included) and restarts them so.
void MirrorBothWays(TestCounty& a, TestCounty& b) {
  std::vector<v1::Peer> a_peers, b_peers;
  Link(b, "b", v1::DIRECTION_BOTH, "440101", &a_peers);
  Link(a, "a", v1::DIRECTION_BOTH, "440101", &b_peers);
  a_peers[0].set_strip_pii(false);
  b_peers[0].set_strip_pii(false);
  a.SetPeers(a_peers);
  b.SetPeers(b_peers);
  ASSERT_THAT(a.Restart(), IsOk());
  ASSERT_THAT(b.Restart(), IsOk());
}

size_t Members(Server& server) {
  auto records = server.store().List("members", "", 1000000);
  return records.ok() ? records->size() : 0;
}

size_t CountOf(const RecordStore& store) {
  auto records = store.List("members", "", 1000000);
  return records.ok() ? records->size() : 0;
}

int64_t Pushed(Server& server) {
  int64_t total = 0;
  for (const v1::PeerStatus& s : server.PeerStatuses())
    total += s.changes_pushed();
  return total;
}

std::string OpenConflicts(const RecordStore& store) {
  ConflictQuery query;
  query.status = v1::CONFLICT_STATUS_OPEN;
  auto conflicts = store.ListConflicts(query);
  std::string out;
  if (!conflicts.ok()) return "<error>";
  for (const v1::Conflict& c : *conflicts) {
    out += ConflictId(c.key(), c.field());
    for (const v1::Sibling& s : c.siblings())
      out += " " + s.dot().ShortDebugString();
    out += "\n";
  }
  return out;
}

TEST(ReplicationTest, AChainWithholdsPersonalDataUpwardAndBringsEditsBackDown) {
  TestCounty county, city, province;
  ASSERT_THAT(county.status(), IsOk());
  ASSERT_THAT(city.status(), IsOk());
  ASSERT_THAT(province.status(), IsOk());
  std::vector<v1::Peer> county_peers, city_peers;
  Link(city, "city", v1::DIRECTION_BOTH, "440101", &county_peers);
  Link(province, "province", v1::DIRECTION_BOTH, "4401", &city_peers);
  county.SetPeers(county_peers);
  city.SetPeers(city_peers);
  ASSERT_THAT(county.Restart(), IsOk());
  ASSERT_THAT(city.Restart(), IsOk());
  auto device = county.Device(
      "d", county.AddUser("zhou", "first_secretary", "440101001"));
  ASSERT_THAT(device, IsOk());
  LocalEdit member = NewMember(kVillage, "m1", "李建国");
  member.fields.push_back({"phone", Str("13800000001")});
  ASSERT_THAT((*device)->store().Put(member), IsOk());
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  ASSERT_TRUE(WaitFor([&] { return Members(province.server()) == 1; }));
  EXPECT_EQ(Visible(province.server().store(), m1, "name"), "李建国");
  EXPECT_EQ(Visible(province.server().store(), m1, "phone"), "<none>");
  EXPECT_EQ(Visible(city.server().store(), m1, "phone"), "<none>");
  // The province corrects a non-personal field; it flows back down.
  ASSERT_THAT(
      province.server().store().Put(Edit(m1, {{"occupation", Str("农民")}})),
      IsOk());
  ASSERT_TRUE(WaitFor([&] {
    return Visible(county.server().store(), m1, "occupation") == "农民";
  }));
  EXPECT_EQ(Visible(county.server().store(), m1, "phone"), "13800000001");
  ASSERT_THAT((*device)->Sync(QuickSync()), IsOk());
  EXPECT_EQ(Visible((*device)->store(), m1, "occupation"), "农民");
  EXPECT_EQ(Visible((*device)->store(), m1, "phone"), "13800000001");
}

TEST(ReplicationTest, ARingConvergesWithABoundedNumberOfTransfers) {
  TestCounty a, b, c;
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  ASSERT_THAT(c.status(), IsOk());
  std::vector<v1::Peer> a_peers, b_peers, c_peers;
  Link(b, "b", v1::DIRECTION_PUSH, "", &a_peers);
  Link(c, "c", v1::DIRECTION_PUSH, "", &b_peers);
  Link(a, "a", v1::DIRECTION_PUSH, "", &c_peers);
  for (auto* peers : {&a_peers, &b_peers, &c_peers})
    (*peers)[0].set_strip_pii(false);
  a.SetPeers(a_peers);
  b.SetPeers(b_peers);
  c.SetPeers(c_peers);
  ASSERT_THAT(a.Restart(), IsOk());
  ASSERT_THAT(b.Restart(), IsOk());
  ASSERT_THAT(c.Restart(), IsOk());
  for (TestCounty* county : {&a, &b}) {
    std::string prefix = county == &a ? "a" : "b";
    for (int i = 0; i < 50; ++i) {
      ASSERT_THAT(county->server().store().Put(
                      NewMember(kVillage, prefix + std::to_string(i), "党员")),
                  IsOk());
    }
  }
  ASSERT_TRUE(WaitFor([&] {
    return Members(a.server()) == 100 && Members(b.server()) == 100 &&
           Members(c.server()) == 100;
  }));
  // Each change crosses each of the three links at most once.
  auto total = [&] {
    return Pushed(a.server()) + Pushed(b.server()) + Pushed(c.server());
  };
  ASSERT_TRUE(WaitFor([&] {
    for (TestCounty* s : {&a, &b, &c}) {
      for (const v1::PeerStatus& p : s->server().PeerStatuses()) {
        if (p.lag_changes() != 0) return false;
      }
    }
    return true;
  }));
  int64_t settled = total();
  EXPECT_LE(settled, 300);
  absl::SleepFor(absl::Milliseconds(500));  // ten idle rounds: nothing moves
  EXPECT_EQ(total(), settled) << "changes keep circulating";
}

TEST(ReplicationTest, APeerStoppedForAWhileCatchesUpWithoutResendingWhatItHad) {
  TestCounty county, standby;
  ASSERT_THAT(county.status(), IsOk());
  ASSERT_THAT(standby.status(), IsOk());
  std::vector<v1::Peer> peers;
  Link(standby, "standby", v1::DIRECTION_PUSH, "440101", &peers);
  peers[0].set_strip_pii(false);
  county.SetPeers(peers);
  ASSERT_THAT(county.Restart(), IsOk());
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(county.server().store().Put(
                    NewMember(kVillage, "e" + std::to_string(i), "党员")),
                IsOk());
  }
  ASSERT_TRUE(WaitFor([&] { return Members(standby.server()) == 10; }));
  standby.Stop();
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(county.server().store().Put(
                    NewMember(kVillage, "l" + std::to_string(i), "党员")),
                IsOk());
  }
  ASSERT_TRUE(WaitFor([&] {
    auto statuses = county.server().PeerStatuses();
    return statuses[0].state() == "error" && statuses[0].lag_changes() == 20;
  }));
  ASSERT_THAT(standby.Restart(), IsOk());
  ASSERT_TRUE(WaitFor([&] { return Members(standby.server()) == 30; }));
  // Idle comes after the round that pushed has counted what it sent.
  ASSERT_TRUE(WaitFor(
      [&] { return county.server().PeerStatuses()[0].state() == "idle"; }));
  EXPECT_EQ(Pushed(county.server()), 30) << "the checkpoint was reset";
  // What `villagesync admin peers` shows.
  auto admin = county.Device("admin", county.admin_token());
  ASSERT_THAT(admin, IsOk());
  auto shown = (*admin)->ListPeers();
  ASSERT_THAT(shown, IsOk());
  ASSERT_EQ(shown->peers_size(), 1);
  EXPECT_EQ(shown->peers(0).name(), "standby");
  EXPECT_EQ(shown->peers(0).state(), "idle");
  EXPECT_EQ(shown->peers(0).lag_changes(), 0);
  EXPECT_EQ(shown->peers(0).changes_pushed(), 30);
  EXPECT_EQ(shown->peers(0).last_error(), "");
}

TEST(ReplicationTest, TwoCountiesBothWaysEndIdenticalAndShareResolutions) {
  TestCounty a, b;
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  ASSERT_NO_FATAL_FAILURE(MirrorBothWays(a, b));
  auto da = a.Device("da", a.AddUser("zhou", "first_secretary", "440101001"));
  auto db = b.Device("db", b.AddUser("li", "first_secretary", "440101001"));
  ASSERT_THAT(da, IsOk());
  ASSERT_THAT(db, IsOk());
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  ASSERT_THAT((*da)->store().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT((*da)->Sync(QuickSync()), IsOk());
  ASSERT_TRUE(WaitFor([&] { return Members(b.server()) == 1; }));
  ASSERT_THAT((*db)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*da)->store().Put(Edit(m1, {{"phone", Str("13800000001")},
                                           {"occupation", Str("农民")}})),
              IsOk());
  ASSERT_THAT((*db)->store().Put(Edit(m1, {{"phone", Str("13900000002")},
                                           {"party_group", Str("一组")}})),
              IsOk());
  ASSERT_THAT((*da)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*db)->Sync(QuickSync()), IsOk());
  ASSERT_TRUE(WaitFor([&] {
    std::string open = OpenConflicts(a.server().store());
    return !open.empty() && open == OpenConflicts(b.server().store());
  }));
  for (const char* field : {"phone", "occupation", "party_group"}) {
    EXPECT_EQ(Visible(a.server().store(), m1, field),
              Visible(b.server().store(), m1, field));
  }
  auto admin = a.Device("admin", a.admin_token());
  ASSERT_THAT(admin, IsOk());
  v1::ResolveConflictRequest resolve;
  resolve.set_id(ConflictId(m1, "phone"));
  resolve.set_pick(1);
  resolve.set_reason("核对");
  ASSERT_THAT((*admin)->ResolveConflict(resolve), IsOk());
  ASSERT_TRUE(WaitFor([&] {
    return OpenConflicts(b.server().store()).empty() &&
           Visible(b.server().store(), m1, "phone") ==
               Visible(a.server().store(), m1, "phone");
  }));
  auto on_b = b.server().store().GetConflict(m1, "phone");
  ASSERT_THAT(on_b, IsOk());
  EXPECT_EQ(on_b->status(), v1::CONFLICT_STATUS_RESOLVED);
}

// Changes the server sent in `user`'s last sync session (its log line).
int LastSessionOut(const TestCounty& county, const std::string& user) {
  int out = -1;
  for (const std::string& line : county.log_lines()) {
    if (line.find("sync user=" + user + " ") == std::string::npos) continue;
    size_t at = line.find(" out=");
    out = std::atoi(line.c_str() + at + 5);
  }
  return out;
}

TEST(ReplicationTest, ADeviceMovedToTheStandbyCatchesUpWithoutStartingOver) {
  TestCounty a, b;
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  ASSERT_NO_FATAL_FAILURE(MirrorBothWays(a, b));
  std::string d_token = a.AddUser("zhou", "first_secretary", "440101001");
  std::string b_token = b.AddUser("zhou", "first_secretary", "440101001");
  auto d = a.Device("d", d_token);
  auto f = a.Device("f", a.AddUser("wang", "first_secretary", "440101001"));
  auto e = b.Device("e", b.AddUser("li", "first_secretary", "440101001"));
  ASSERT_THAT(d, IsOk());
  ASSERT_THAT(e, IsOk());
  ASSERT_THAT(f, IsOk());
  auto add = [&](SyncClient& device, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(device.store().Put(
                      NewMember(kVillage, prefix + std::to_string(i), "党员")),
                  IsOk());
    }
    ASSERT_THAT(device.Sync(QuickSync()), IsOk());
  };
  add(**d, "d", 200);
  add(**f, "f", 100);
  add(**e, "e", 50);
  auto quiet = [&] {
    for (TestCounty* county : {&a, &b}) {
      for (const v1::PeerStatus& p : county->server().PeerStatuses()) {
        if (p.state() != "idle" || p.lag_changes() != 0) return false;
      }
    }
    return Members(a.server()) == 350 && Members(b.server()) == 350;
  };
  ASSERT_TRUE(WaitFor(quiet));
  ASSERT_THAT((*d)->Sync(QuickSync()), IsOk());
  ASSERT_EQ(CountOf((*d)->store()), 350u);
  // The standby learns, through replication, how much of the device's
  // outbox it holds.
  uint64_t device = (*d)->store().replica_id();
  ASSERT_TRUE(WaitFor([&] {
    auto mark = b.server().store().Watermark(device);
    return mark.ok() && *mark > 0 && quiet();
  }));
  // Offline edits, then the device is pointed at the standby.
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT((*d)->store().Put(
                    Edit(Key(kVillage, "members", "d" + std::to_string(i)),
                         {{"occupation", Str("农民")}})),
                IsOk());
  }
  ASSERT_THAT((*d)->Init(b.address(), b_token), IsOk());
  auto report = (*d)->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->pushed, 3) << "acknowledged edits were sent again";
  EXPECT_FALSE(report->pull_restarted) << "the pull started over";
  int sent = LastSessionOut(b, "zhou");
  EXPECT_GE(sent, 0);
  EXPECT_LT(sent, 60) << "re-downloaded what the device had";
  EXPECT_EQ(CountOf((*d)->store()), 350u);
  EXPECT_EQ(
      Visible(b.server().store(), Key(kVillage, "members", "d2"), "occupation"),
      "农民");
  // Writes made at the standby after the move still arrive.
  add(**e, "late", 5);
  ASSERT_THAT((*d)->Sync(QuickSync()), IsOk());
  EXPECT_EQ(CountOf((*d)->store()), 355u);
}

TEST(ReplicationTest, ADeviceMovedToALaggingStandbyKeepsEveryEdit) {
  TestCounty a, b;
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  std::vector<v1::Peer> a_peers, b_peers;
  Link(b, "b", v1::DIRECTION_BOTH, "440101", &a_peers);
  Link(a, "a", v1::DIRECTION_BOTH, "440101", &b_peers);
  a_peers[0].set_strip_pii(false);
  b_peers[0].set_strip_pii(false);
  auto replicate = [&](bool on) {
    a.SetPeers(on ? a_peers : std::vector<v1::Peer>());
    b.SetPeers(on ? b_peers : std::vector<v1::Peer>());
    ASSERT_THAT(a.Restart(), IsOk());
    ASSERT_THAT(b.Restart(), IsOk());
  };
  ASSERT_NO_FATAL_FAILURE(replicate(true));
  std::string d_token = a.AddUser("zhou", "first_secretary", "440101001");
  std::string b_token = b.AddUser("zhou", "first_secretary", "440101001");
  auto d = a.Device("d", d_token);
  auto f = a.Device("f", a.AddUser("wang", "first_secretary", "440101001"));
  ASSERT_THAT(d, IsOk());
  ASSERT_THAT(f, IsOk());
  v1::RecordKey m = Key(kVillage, "members", "m");
  ASSERT_THAT((*d)->store().Put(NewMember(kVillage, "m", "李建国")), IsOk());
  ASSERT_THAT((*d)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*f)->Sync(QuickSync()), IsOk());
  ASSERT_TRUE(WaitFor([&] {
    return Members(b.server()) == 1 &&
           b.server().devices().Find((*d)->store().replica_id()).value();
  }));
  // Replication pauses. On the primary, f edits the record and d, having
  // pulled that, edits it again: d's edit has seen f's.
  ASSERT_NO_FATAL_FAILURE(replicate(false));
  ASSERT_THAT((*f)->store().Put(Edit(m, {{"occupation", Str("教师")}})),
              IsOk());
  ASSERT_THAT((*f)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*d)->Sync(QuickSync()), IsOk());
  ASSERT_THAT((*d)->store().Put(Edit(m, {{"occupation", Str("农民")}})),
              IsOk());
  // The device moves to the standby, which has not received f's edit: its
  // own claims a write the standby never saw, so the claim waits. The
  // standby keeps d's value meanwhile, as if it had not seen f's.
  ASSERT_THAT((*d)->Init(b.address(), b_token), IsOk());
  auto report = (*d)->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->deferred, 1);
  EXPECT_EQ(report->pushed, 0);
  EXPECT_EQ(Visible(b.server().store(), m, "occupation"), "农民");
  auto status = (*d)->Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->pending, 1) << "the deferred edit left the outbox";
  // Replication resumes: f's edit reaches the standby beside d's, as a
  // conflict there. Then d's claim holds, and its next sync makes its edit
  // supersede f's everywhere, with no conflict.
  ASSERT_NO_FATAL_FAILURE(replicate(true));
  ASSERT_TRUE(WaitFor(
      [&] { return !testing::ConflictFields(b.server().store(), m).empty(); }));
  report = (*d)->Sync(QuickSync());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->deferred, 0);
  EXPECT_EQ(report->pushed, 1);
  EXPECT_EQ(Visible(b.server().store(), m, "occupation"), "农民");
  // The primary had the standby's conflict for a moment; it ends resolved.
  ASSERT_TRUE(WaitFor([&] {
    return Visible(a.server().store(), m, "occupation") == "农民" &&
           testing::ConflictFields(a.server().store(), m).empty();
  }));
  EXPECT_THAT(testing::ConflictFields(b.server().store(), m),
              ::testing::IsEmpty());
}

}  // namespace
}  // namespace villagesync
