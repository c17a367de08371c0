// The two systems peer_bench compares, behind one interface: villagesync
// (a villagesyncd process and SyncClient devices) and the CouchDB replication
// protocol peer (a pouchdb-server process and PouchDB devices driven by
// bench/peer/loadgen.js). Each system's server runs pinned to CPU 0, on a
// fresh data dir on disk; its devices (other machines, in reality) keep
// their stores in memory and run on CPU 1.
#ifndef VILLAGESYNC_BENCH_BENCH_SYSTEMS_H_
#define VILLAGESYNC_BENCH_BENCH_SYSTEMS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/bench_dataset.h"
#include "bench/child_process.h"

namespace villagesync::bench {

// Where a system keeps its files and finds its programs.
struct SystemPaths {
  std::string server_dir;    // the server's data dir (on disk)
  std::string device_dir;    // the devices' stores (in memory)
  std::string work_dir;      // logs and data files
  std::string villagesyncd;  // the villagesyncd binary
  std::string self;          // this harness (for `--device_sync`)
  std::string peer_dir;      // bench/peer, with node_modules installed
};

// What one timed step did, as the client side saw it.
struct StepResult {
  double seconds = 0;
  int64_t requests = 0;  // HTTP requests or RPCs, retries included
  int64_t moved = 0;     // records pushed or pulled
  int attempts = 1;      // whole sync attempts (poor link only)
  int failed_attempts = 0;
  bool restarted = false;  // the pull started again from zero
  ContentDigest digest;    // of the device after the step, if it reads
};

class BenchSystem {
 public:
  virtual ~BenchSystem() = default;

  virtual std::string name() const = 0;
  // Starts the server on CPU 0; its client address is 127.0.0.1:port().
  virtual absl::Status StartServer() = 0;
  virtual int port() const = 0;
  virtual pid_t server_pid() const = 0;
  // Devices and the reader reach the server through `address` (a counting
  // proxy): "host:port".
  virtual void SetClientAddress(const std::string& address) = 0;

  // (a) Every device stores its records offline (untimed), then all push
  // at once (timed).
  virtual absl::StatusOr<StepResult> InitialPush(
      const std::vector<BenchRecord>& records, int devices) = 0;
  // (b′), (b) The reader device pulls what it lacks (timed), then digests
  // its content.
  virtual absl::StatusOr<StepResult> ReaderPull() = 0;
  // Setup of (b): device `device` edits its records and pushes (untimed).
  virtual absl::Status DeviceEditsAndPushes(
      int device, const std::vector<FieldEdit>& edits) = 0;
  // Setup of (c): the reader edits offline (untimed).
  virtual absl::Status ReaderEdits(const std::vector<FieldEdit>& edits) = 0;
  // (c) The reader syncs (push and pull) through `address`, running as
  // `prefix` + its command (e.g. inside the far end's network namespace),
  // retrying until done or `max_seconds`.
  virtual absl::StatusOr<StepResult> ReaderSyncOverLink(
      const std::string& address, const std::vector<std::string>& prefix,
      int max_seconds) = 0;
  // What the server holds, read directly (not through the proxy).
  virtual absl::StatusOr<ContentDigest> ServerDigest() = 0;
  virtual absl::Status StopServer() = 0;
};

std::unique_ptr<BenchSystem> MakeVillagesync(const SystemPaths& paths);
std::unique_ptr<BenchSystem> MakePouchdb(const SystemPaths& paths);

// Installs bench/peer's locked dependencies with `npm ci` unless an install
// at least as new as package-lock.json is there.
absl::Status EnsurePeerInstalled(const std::string& peer_dir);

// The `--device_sync DIR --max_seconds N` mode of the harness: syncs the
// SyncClient device at DIR until a round succeeds, printing one JSON line
// (seconds, requests, attempts, failed_attempts, pushed, pulled, restarted,
// docs, hash). Returns the exit code.
int RunDeviceSync(const std::string& dir, int max_seconds);

}  // namespace villagesync::bench

#endif  // VILLAGESYNC_BENCH_BENCH_SYSTEMS_H_
