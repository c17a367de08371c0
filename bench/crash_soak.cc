// crash_soak: a county server and its standby, real villagesyncd processes
// replicating both ways, killed with SIGKILL at random moments while devices
// push to the county server. After every round, every change a device saw
// acknowledged (a sync that returned OK) must be on both servers, and the
// two must converge to the same records (SPEC §4). Prints its figures and
// exits 1 if a change was lost or the servers diverged.
//
//   crash_soak --rounds 1000 [--devices 3] [--edits 5] [--seed N]
//
// A failing seed runs again with --seed (the kill moments, counted in
// acknowledged batches, repeat; the processes' own timing does not).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/sync_client.h"
#include "server/data_dir.h"
#include "server/server.h"
#include "storage/user_store.h"
#include "tests/testing/processes.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(int, rounds, 20, "Rounds of pushes, each with one server killed.");
ABSL_FLAG(int, devices, 3, "Devices pushing to the county server at once.");
ABSL_FLAG(int, edits, 40,
          "New members each device puts per round (pushed 10 per batch).");
ABSL_FLAG(uint64_t, seed, 0, "Seed of the kill moments (0: random).");
ABSL_FLAG(std::string, villagesyncd, VILLAGESYNCD_PATH,
          "The villagesyncd to run (default: the one built beside this).");

namespace villagesync {
namespace {

constexpr char kVillage[] = "440101001001";
constexpr absl::Duration kConvergeWithin = absl::Seconds(60);

// One villagesyncd: its data dir, process and address (kept across kills).
struct Replica {
  std::string name;
  std::string data_dir;
  std::string log;
  testing::ServerProcess process{absl::GetFlag(FLAGS_villagesyncd)};
  std::string address;
  std::vector<std::string> flags;
  int kills = 0;

  absl::Status Start() {
    absl::StatusOr<std::string> started = process.Start(
        data_dir, address.empty() ? "127.0.0.1:0" : address, log, flags);
    if (!started.ok()) return started.status();
    address = *started;
    return absl::OkStatus();
  }
};

// Adds a user to a stopped server's data dir; returns its token.
absl::StatusOr<std::string> AddUser(const std::string& data_dir,
                                    const std::string& name,
                                    const std::string& role,
                                    const std::string& scope) {
  auto users = UserStore::Open(UsersFile(data_dir));
  if (!users.ok()) return users.status();
  return (*users)->Add(name, role, scope, "crash_soak");
}

// `replica` replicates both ways with `peer` (everything, personal data
// included: a standby), as `token`'s user on the peer.
absl::Status WritePeers(Replica& replica, const Replica& peer,
                        const std::string& token, const std::string& path) {
  std::ofstream(path) << "peers {\n  name: \"" << peer.name
                      << "\"\n  address: \"" << peer.address
                      << "\"\n  token: \"" << token
                      << "\"\n  direction: DIRECTION_BOTH\n"
                         "  region_prefix: \"440101\"\n  strip_pii: false\n"
                         "  plaintext: true\n}\n";
  replica.flags = {"--peers", path};
  return absl::OkStatus();
}

SyncOptions Persistent() {
  SyncOptions options;
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(300);
  options.rpc_deadline = absl::Seconds(20);
  options.max_attempts = 200;  // keeps trying while a server restarts
  return options;
}

// Member ids a device's store holds.
std::set<std::string> Members(SyncClient& device) {
  std::set<std::string> ids;
  auto records = device.store().List("members", "", 10000000);
  if (!records.ok()) return ids;
  for (const auto& record : *records) ids.insert(record.key.id());
  return ids;
}

struct Figures {
  int64_t puts = 0, syncs = 0, failed_syncs = 0, acknowledged = 0;
  int64_t lost = 0, divergences = 0;
};

class Soak {
 public:
  explicit Soak(uint64_t seed) : rng_(seed) {}

  absl::Status SetUp();
  // One round: devices push while one server is killed and restarted.
  absl::Status Round(int round);
  // Every acknowledged change is on both servers, and they hold the same.
  void Check();
  const Figures& figures() const { return figures_; }
  int64_t retries() const { return retries_.load(); }
  int kills(int i) const { return replicas_[i].kills; }

 private:
  absl::Status NewDevice(const std::string& name, const std::string& address,
                         const std::string& token);
  bool Push(int device, int round);

  testing::TempDir dir_;
  std::mt19937_64 rng_;
  Replica replicas_[2];  // the county server, its standby
  std::vector<std::unique_ptr<SyncClient>> devices_;
  std::vector<std::vector<std::string>> pending_;  // per device, not yet acked
  std::set<std::string> acknowledged_;
  std::unique_ptr<SyncClient> checker_[2];  // a county user on each server
  Figures figures_;
  std::atomic<int64_t> retries_{0};  // attempts cut short and repeated
  std::atomic<int> batches_{0};      // batches acknowledged this round
};

absl::Status Soak::SetUp() {
  std::string tokens[2][2];  // [server][0: device user, 1: county checker]
  std::string replica_tokens[2];
  for (int i = 0; i < 2; ++i) {
    Replica& r = replicas_[i];
    r.name = i == 0 ? "county" : "standby";
    r.data_dir = dir_.Sub(r.name);
    r.log = dir_.Sub(r.name + ".log");
    absl::StatusOr<std::string> admin = Bootstrap(r.data_dir);
    if (!admin.ok()) return admin.status();
    auto device = AddUser(r.data_dir, "zhou", "first_secretary", "440101001");
    auto checker = AddUser(r.data_dir, "county", "county", "440101");
    auto replica = AddUser(r.data_dir, "replica", "replica", "440101");
    for (const auto* s : {&device, &checker, &replica}) {
      if (!s->ok()) return s->status();
    }
    tokens[i][0] = *device;
    tokens[i][1] = *checker;
    replica_tokens[i] = *replica;
    // A first start picks the address the peers config names.
    if (absl::Status s = r.Start(); !s.ok()) return s;
    r.process.Kill();
  }
  for (int i = 0; i < 2; ++i) {
    Replica& peer = replicas_[1 - i];
    (void)WritePeers(replicas_[i], peer, replica_tokens[1 - i],
                     dir_.Sub(replicas_[i].name + "-peers.textproto"));
  }
  for (Replica& r : replicas_) {
    if (absl::Status s = r.Start(); !s.ok()) return s;
  }
  int devices = absl::GetFlag(FLAGS_devices);
  for (int d = 0; d < devices; ++d) {
    absl::Status s = NewDevice(absl::StrCat("device-", d), replicas_[0].address,
                               tokens[0][0]);
    if (!s.ok()) return s;
  }
  pending_.resize(devices);
  for (int i = 0; i < 2; ++i) {
    auto checker = SyncClient::Open(dir_.Sub(absl::StrCat("checker-", i)));
    if (!checker.ok()) return checker.status();
    absl::Status s = (*checker)->Init(replicas_[i].address, tokens[i][1]);
    if (!s.ok()) return s;
    checker_[i] = std::move(*checker);
  }
  return absl::OkStatus();
}

absl::Status Soak::NewDevice(const std::string& name,
                             const std::string& address,
                             const std::string& token) {
  auto device = SyncClient::Open(dir_.Sub(name));
  if (!device.ok()) return device.status();
  absl::Status s = (*device)->Init(address, token);
  if (!s.ok()) return s;
  devices_.push_back(std::move(*device));
  return absl::OkStatus();
}

// Puts new members on `device` and syncs them; true if the sync returned
// OK (everything the device held was acknowledged).
bool Soak::Push(int device, int round) {
  SyncClient& client = *devices_[device];
  SyncOptions options = Persistent();
  options.push_batch = 10;
  options.on_retry = [this](absl::string_view) { retries_.fetch_add(1); };
  options.progress = [this](absl::string_view stage, int) {
    if (stage == "push") batches_.fetch_add(1);
  };
  for (int i = 0; i < absl::GetFlag(FLAGS_edits); ++i) {
    std::string id = absl::StrCat("d", device, "-r", round, "-", i);
    LocalEdit edit = testing::NewMember(kVillage, id, "党员");
    if (client.store().Put(edit).ok()) pending_[device].push_back(id);
  }
  return client.Sync(options).ok();
}

absl::Status Soak::Round(int round) {
  int devices = static_cast<int>(devices_.size());
  std::vector<char> synced(devices, 0);
  batches_.store(0);
  std::vector<std::thread> pushers;
  for (int d = 0; d < devices; ++d) {
    pushers.emplace_back(
        [this, d, round, &synced] { synced[d] = Push(d, round); });
  }
  // A kill at a random moment of the pushes: after a random number of
  // acknowledged batches (of all devices), or once they are done (then the
  // replication that follows is cut). Mostly of the county server, which
  // the devices push to.
  int batches = devices * absl::GetFlag(FLAGS_edits) / 10;
  int kill_after = std::uniform_int_distribution<int>(0, batches)(rng_);
  for (absl::Time end = absl::Now() + absl::Seconds(30);
       batches_.load() < kill_after && absl::Now() < end;) {
    absl::SleepFor(absl::Microseconds(200));
  }
  Replica& victim = replicas_[std::bernoulli_distribution(0.7)(rng_) ? 0 : 1];
  victim.process.Kill();
  ++victim.kills;
  absl::Status restarted = victim.Start();
  for (std::thread& t : pushers) t.join();
  if (!restarted.ok()) return restarted;
  for (int d = 0; d < devices; ++d) {
    figures_.puts += absl::GetFlag(FLAGS_edits);
    ++figures_.syncs;
    if (!synced[d]) {
      ++figures_.failed_syncs;  // its edits stay pending for the next round
      continue;
    }
    acknowledged_.insert(pending_[d].begin(), pending_[d].end());
    pending_[d].clear();
  }
  figures_.acknowledged = static_cast<int64_t>(acknowledged_.size());
  return absl::OkStatus();
}

void Soak::Check() {
  std::set<std::string> held[2];
  for (absl::Time end = absl::Now() + kConvergeWithin;;) {
    for (int i = 0; i < 2; ++i) {
      (void)checker_[i]->Sync(Persistent());
      held[i] = Members(*checker_[i]);
    }
    if (held[0] == held[1] || absl::Now() > end) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  for (const std::string& id : acknowledged_) {
    if (!held[0].count(id) || !held[1].count(id)) {
      std::fprintf(stderr, "LOST: %s (county %d, standby %d)\n", id.c_str(),
                   static_cast<int>(held[0].count(id)),
                   static_cast<int>(held[1].count(id)));
      ++figures_.lost;
    }
  }
  if (held[0] != held[1]) {
    std::fprintf(stderr, "DIVERGED: county holds %zu members, standby %zu\n",
                 held[0].size(), held[1].size());
    ++figures_.divergences;
  }
}

}  // namespace
}  // namespace villagesync

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "kills a county server and its standby at random moments while "
      "devices push, and checks that nothing acknowledged is lost.\n"
      "  crash_soak --rounds 1000 [--devices 3] [--edits 5] [--seed N]");
  absl::ParseCommandLine(argc, argv);
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = std::random_device{}();
  std::printf("crash_soak: seed %llu\n", static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  villagesync::Soak soak(seed);
  if (absl::Status s = soak.SetUp(); !s.ok()) {
    std::fprintf(stderr, "crash_soak: set up: %s\n", s.ToString().c_str());
    return 2;
  }
  absl::Time start = absl::Now();
  int rounds = absl::GetFlag(FLAGS_rounds);
  for (int round = 0; round < rounds; ++round) {
    if (absl::Status s = soak.Round(round); !s.ok()) {
      std::fprintf(stderr, "crash_soak: round %d: %s\n", round,
                   s.ToString().c_str());
      return 2;
    }
    soak.Check();
    if (soak.figures().lost > 0 || soak.figures().divergences > 0) break;
  }
  const villagesync::Figures& f = soak.figures();
  std::printf(
      "rounds %d in %.0f s; kills: county %d, standby %d; member puts %lld, "
      "device syncs %lld (%lld failed, %lld calls retried after a kill); "
      "acknowledged %lld; lost %lld; divergences %lld\n",
      rounds, absl::ToDoubleSeconds(absl::Now() - start), soak.kills(0),
      soak.kills(1), static_cast<long long>(f.puts),
      static_cast<long long>(f.syncs), static_cast<long long>(f.failed_syncs),
      static_cast<long long>(soak.retries()),
      static_cast<long long>(f.acknowledged), static_cast<long long>(f.lost),
      static_cast<long long>(f.divergences));
  return f.lost == 0 && f.divergences == 0 ? 0 : 1;
}
