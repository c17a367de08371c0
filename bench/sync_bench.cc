// sync_bench: end-to-end sync through a real villagesyncd Server and
// SyncClient devices over gRPC on loopback, with durable acknowledgements.
// Every byte between devices and the server crosses a counting TCP proxy.
//
//   (a) N devices x M records of ~1 KB pushed concurrently (push only):
//       records/s, request bytes per record.
//   (b) incremental pull of 1,000 edited records by a device that is
//       otherwise up to date: time, response bytes per record.
//
// The server's data dir is on disk (/tmp): acknowledgements wait for the WAL
// sync. Device stores live in memory (/dev/shm) because devices are other
// machines: their local disks are not the server's cost.
//
// Run: build/bench/sync_bench [--devices 50] [--records 2000]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_dataset.h"
#include "client/sync_client.h"
#include "server/server.h"
#include "tests/testing/records.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using testing::TempDir;

constexpr char kVillagePrefix[] = "4401010010";

struct Flags {
  int devices = 50;
  int records = 2000;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    int value = 0;
    if (!absl::SimpleAtoi(argv[i + 1], &value)) continue;
    if (name == "--devices") flags.devices = value;
    if (name == "--records") flags.records = value;
  }
  return flags;
}

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "sync_bench: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

// ~1 KB of random common Chinese characters per record (see ChineseText).
std::string Occupation(int device, int record) {
  return absl::StrCat(device, "-", record, "：",
                      bench::ChineseText(device * 100003 + record, 1000));
}

LocalEdit Member(int device, int record) {
  std::string village = absl::StrCat(kVillagePrefix, device % 10, "0");
  std::string id = absl::StrCat("d", device, "-r", record);
  LocalEdit edit = testing::NewMember(village, id, absl::StrCat("党员", id));
  edit.fields.push_back(
      {"occupation", testing::Str(Occupation(device, record))});
  return edit;
}

std::unique_ptr<SyncClient> OpenDevice(const TempDir& dir,
                                       const std::string& name,
                                       const std::string& address,
                                       const std::string& token) {
  auto device = SyncClient::Open(dir.Sub(name));
  Check(device.status(), "open device");
  Check((*device)->Init(address, token), "init device");
  return std::move(device).value();
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace
}  // namespace villagesync

int main(int argc, char** argv) {
  using namespace villagesync;
  Flags flags = ParseFlags(argc, argv);
  TempDir server_dir;                      // disk: durable acks
  TempDir device_dir(TempDir::kInMemory);  // devices are other machines
  auto token = Bootstrap(server_dir.Sub("data"));
  Check(token.status(), "bootstrap");
  ServerOptions options;
  options.data_dir = server_dir.Sub("data");
  options.listen = "127.0.0.1:0";
  options.log = [](absl::string_view) {};
  auto server = Server::Start(options);
  Check(server.status(), "start server");
  auto proxy = testing::TcpProxy::Start((*server)->address());
  Check(proxy.status(), "start proxy");

  std::vector<std::unique_ptr<SyncClient>> devices;
  for (int d = 0; d < flags.devices; ++d) {
    devices.push_back(OpenDevice(device_dir, absl::StrCat("d", d),
                                 (*proxy)->address(), *token));
    for (int r = 0; r < flags.records; ++r) {
      Check(devices.back()->store().Put(Member(d, r)).status(), "put");
    }
  }
  int64_t total = static_cast<int64_t>(flags.devices) * flags.records;

  // (a) Initial push, all devices at once.
  SyncOptions push_only;
  push_only.skip_pull = true;
  push_only.push_batch = 500;
  int64_t up_before = (*proxy)->uploaded();
  absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (auto& device : devices) {
    threads.emplace_back([&] {
      if (!device->Sync(push_only).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  double push_seconds = Seconds(absl::Now() - start);
  if (failures > 0) Check(absl::InternalError("push failed"), "scenario a");
  int64_t up_bytes = (*proxy)->uploaded() - up_before;

  // (b) Incremental pull of 1,000 changes by an up-to-date device.
  auto reader = OpenDevice(device_dir, "reader", (*proxy)->address(), *token);
  Check(reader->Sync().status(), "initial pull");
  auto editor = devices[0].get();
  int edits = std::min<int>(1000, flags.records);
  for (int r = 0; r < edits; ++r) {
    LocalEdit edit = Member(0, r);
    edit.fields = {
        {"occupation", testing::Str(Occupation(0, r) + "（已更新）")}};
    Check(editor->store().Put(edit).status(), "edit");
  }
  Check(editor->Sync(push_only).status(), "push edits");
  int64_t down_before = (*proxy)->downloaded();
  int64_t up_before_pull = (*proxy)->uploaded();
  start = absl::Now();
  auto pulled = reader->Sync();
  double pull_seconds = Seconds(absl::Now() - start);
  Check(pulled.status(), "incremental pull");
  int64_t down_bytes = (*proxy)->downloaded() - down_before;
  int64_t pull_up_bytes = (*proxy)->uploaded() - up_before_pull;

  std::printf("sync_bench: %d devices x %d records (~1 KB), server on disk\n",
              flags.devices, flags.records);
  std::printf(
      "(a) initial push: %lld records in %.2f s = %.0f records/s; "
      "%.0f bytes up per record (gzip)\n",
      static_cast<long long>(total), push_seconds, total / push_seconds,
      static_cast<double>(up_bytes) / total);
  std::printf(
      "(b) incremental pull: %d changes in %.3f s; %.0f bytes down and "
      "%.0f bytes up per change\n",
      pulled->pulled, pull_seconds,
      static_cast<double>(down_bytes) / std::max(1, pulled->pulled),
      static_cast<double>(pull_up_bytes) / std::max(1, pulled->pulled));
  (*proxy).reset();
  (*server)->Shutdown();
  return 0;
}
