// replication_bench: replication between two real servers on loopback
// (SPEC §8), data dirs on disk.
//   throughput: a county preloaded with N ~1 KB records starts replicating
//     to an empty standby; records/s until the standby has them all.
//   lag: while records arrive at the county at a steady rate, the peer's
//     lag (changes not yet acknowledged) is sampled every 10 ms.
// The baseline is durable Apply into one store in the same run.
//
// Run: build/bench/replication_bench [--records 100000] [--rate 2000]
#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/local_change.h"
#include "tests/testing/county.h"
#include "tests/testing/records.h"

namespace villagesync {
namespace {

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "replication_bench: %s: %s\n", what,
               status.ToString().c_str());
  std::exit(1);
}

// `n` new ~1 KB members as remote changes from a made-up device.
std::vector<v1::Change> Members(int first, int n) {
  std::vector<v1::Change> changes;
  std::string text;
  for (int i = 0; i < 48; ++i) text += "在村里种植水稻";  // ~1 KB
  for (int i = first; i < first + n; ++i) {
    LocalEdit edit =
        testing::NewMember("440101001001", absl::StrCat("m", i), "党员");
    edit.fields.push_back({"occupation", testing::Str(absl::StrCat(i, text))});
    WriteStamp stamp;
    stamp.dot.set_replica(0xDE71CE);
    stamp.dot.set_counter(i + 1);
    stamp.hlc = i + 1;
    stamp.author = "bench";
    changes.push_back(MakePut(nullptr, edit, stamp));
    changes.back().set_seq(i + 1);
  }
  return changes;
}

// Every record is created once, so a server's log position counts them
// (listing them would cost more than what is measured).
void WaitForCount(Server& server, uint64_t n) {
  while (server.store().last_seq() < n) absl::SleepFor(absl::Milliseconds(5));
}

v1::Peer PeerTo(testing::TestCounty& standby) {
  v1::Peer peer;
  peer.set_name("standby");
  peer.set_address(standby.address());
  peer.set_token(standby.AddUser("replica", "replica", "440101"));
  peer.set_direction(v1::DIRECTION_PUSH);
  peer.set_region_prefix("440101");
  peer.set_strip_pii(false);
  return peer;
}

}  // namespace
}  // namespace villagesync

int main(int argc, char** argv) {
  using namespace villagesync;
  int records = 100000, rate = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--records") (void)absl::SimpleAtoi(argv[i + 1], &records);
    if (flag == "--rate") (void)absl::SimpleAtoi(argv[i + 1], &rate);
  }
  testing::TestCounty county, standby;
  Check(county.status(), "county");
  Check(standby.status(), "standby");
  // Baseline: durable Apply of the same records into the county's store.
  absl::Time start = absl::Now();
  for (int first = 0; first < records; first += 500) {
    Check(county.server().store().Apply(Members(first, 500), 0xDE71CE).status(),
          "load");
  }
  double apply_s = absl::ToDoubleSeconds(absl::Now() - start);
  county.SetPeers({PeerTo(standby)});
  start = absl::Now();
  Check(county.Restart(), "restart county with its peer");
  WaitForCount(standby.server(), records);
  double replicate_s = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("baseline: durable Apply of %d records: %.0f records/s\n",
              records, records / apply_s);
  std::printf(
      "throughput: county -> standby, %d records: %.0f records/s "
      "(%.2fx the baseline)\n",
      records, records / replicate_s, apply_s / replicate_s);
  // Lag under a steady load of `rate` records/s for 10 s, sampled every 10 ms.
  std::atomic<bool> loading{true};
  int64_t max_lag = 0, samples = 0, lag_sum = 0;
  std::thread loader([&] {
    int next = records;
    for (int tick = 0; tick < 100; ++tick) {
      absl::Time due = absl::Now() + absl::Milliseconds(100);
      Check(county.server()
                .store()
                .Apply(Members(next, rate / 10), 0xDE71CE)
                .status(),
            "steady load");
      next += rate / 10;
      absl::SleepFor(due - absl::Now());
    }
    loading = false;
  });
  while (loading) {
    int64_t lag = county.server().PeerStatuses()[0].lag_changes();
    max_lag = std::max(max_lag, lag);
    lag_sum += lag;
    ++samples;
    absl::SleepFor(absl::Milliseconds(10));
  }
  loader.join();
  absl::Time end_of_load = absl::Now();
  WaitForCount(standby.server(), records + 10 * rate);
  std::printf(
      "lag at %d records/s for 10 s: mean %.0f changes, max %lld changes "
      "(%.2f s of load); standby caught up %.2f s after the load ended\n",
      rate, static_cast<double>(lag_sum) / std::max<int64_t>(samples, 1),
      static_cast<long long>(max_lag), static_cast<double>(max_lag) / rate,
      absl::ToDoubleSeconds(absl::Now() - end_of_load));
  return 0;
}
