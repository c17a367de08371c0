#include "server/server_metrics.h"

#include <dirent.h>
#include <sys/statvfs.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace villagesync {
namespace {

using Type = Metrics::Type;

const std::vector<double> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

// Devices by days since their last sync.
void CollectDevices(Metrics& m, const DeviceRegistry& devices) {
  absl::StatusOr<std::vector<v1::Device>> all = devices.List();
  if (!all.ok()) return;
  const char* kBands[] = {"under_1d", "1d_to_7d", "7d_to_14d", "over_14d"};
  double counts[4] = {0, 0, 0, 0};
  absl::Time now = absl::Now();
  for (const v1::Device& d : *all) {
    if (d.server()) continue;
    double days =
        absl::ToDoubleHours(now - absl::FromUnixMicros(d.last_sync_micros())) /
        24;
    counts[days < 1 ? 0 : days < 7 ? 1 : days < 14 ? 2 : 3] += 1;
  }
  for (int i = 0; i < 4; ++i) {
    m.Set("villagesync_devices", {{"stale", kBands[i]}}, counts[i]);
  }
}

void CollectConflicts(Metrics& m, const RecordStore& store) {
  ConflictQuery query;
  query.status = v1::CONFLICT_STATUS_OPEN;
  query.limit = 1000000;
  absl::StatusOr<std::vector<v1::Conflict>> open = store.ListConflicts(query);
  if (!open.ok()) return;
  int64_t oldest = 0;
  for (const v1::Conflict& c : *open) {
    if (oldest == 0 || c.opened_micros() < oldest) oldest = c.opened_micros();
  }
  m.Set("villagesync_conflicts_open", {}, static_cast<double>(open->size()));
  m.Set("villagesync_conflict_oldest_open_seconds", {},
        oldest == 0 ? 0
                    : absl::ToDoubleSeconds(absl::Now() -
                                            absl::FromUnixMicros(oldest)));
}

void CollectPeers(Metrics& m, const std::vector<v1::PeerStatus>& peers) {
  for (const char* name :
       {"villagesync_peer_lag_changes", "villagesync_peer_lag_seconds",
        "villagesync_peer_up", "villagesync_peer_errors_total"}) {
    m.Clear(name);
  }
  for (const v1::PeerStatus& p : peers) {
    MetricLabels peer = {{"peer", p.name()}};
    m.Set("villagesync_peer_lag_changes", peer, p.lag_changes());
    m.Set("villagesync_peer_lag_seconds", peer, p.lag_seconds());
    m.Set("villagesync_peer_up", peer, p.state() == "error" ? 0 : 1);
    m.Set("villagesync_peer_errors_total", peer, p.errors());
  }
}

void CollectStore(Metrics& m, const RecordStore& store,
                  const std::string& data_dir) {
  const std::pair<const char*, const char*> properties[] = {
      {"villagesync_store_live_data_bytes", "rocksdb.estimate-live-data-size"},
      {"villagesync_store_pending_compaction_bytes",
       "rocksdb.estimate-pending-compaction-bytes"},
      {"villagesync_store_sst_bytes", "rocksdb.total-sst-files-size"},
      {"villagesync_store_memtable_bytes", "rocksdb.cur-size-all-mem-tables"}};
  for (const auto& [metric, property] : properties) {
    absl::optional<uint64_t> value = store.IntProperty(property);
    if (value) m.Set(metric, {}, static_cast<double>(*value));
  }
  struct statvfs fs;
  if (statvfs(data_dir.c_str(), &fs) == 0) {
    m.Set("villagesync_data_dir_free_bytes", {},
          static_cast<double>(fs.f_bavail) * fs.f_frsize);
    m.Set("villagesync_data_dir_size_bytes", {},
          static_cast<double>(fs.f_blocks) * fs.f_frsize);
  }
}

// Resident memory, from /proc/self/status (VmRSS, in kB).
void CollectProcess(Metrics& m) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, "VmRSS:")) continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    double kb = 0;
    if (parts.size() >= 2 && absl::SimpleAtod(parts[1], &kb)) {
      m.Set("process_resident_memory_bytes", {}, kb * 1024);
    }
  }
  int fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++fds;
    closedir(dir);
    m.Set("process_open_fds", {}, fds - 2);  // less "." and ".."
  }
}

}  // namespace

void DefineServerMetrics(Metrics& m, const std::string& version) {
  m.Define(kRpcRequests, Type::kCounter,
           "RPCs served, by service, method and status code.");
  m.Define(kRpcSeconds, Type::kHistogram,
           "Time to serve an RPC, by service and method.", kLatencyBuckets);
  m.Define(kChangesReceived, Type::kCounter,
           "Changes pushed to this server, by outcome (applied, duplicate, "
           "conflict, rejected, deferred).");
  m.Define(kChangesSent, Type::kCounter, "Changes sent in pulls.");
  m.Define(kBytesReceived, Type::kCounter,
           "Bytes of sync requests received (uncompressed), by method.");
  m.Define(kBytesSent, Type::kCounter,
           "Bytes of sync responses sent (uncompressed), by method.");
  m.Define(kConflictsOpened, Type::kCounter,
           "Pushed changes that opened or joined a conflict.");
  m.Define(kConflictsResolved, Type::kCounter,
           "Conflicts resolved by an administrator here.");
  m.Define(kCommitSeconds, Type::kHistogram,
           "Time of a synced write to the store (WAL fsync included).",
           kLatencyBuckets);
  m.Define(kAuthRefused, Type::kCounter,
           "Calls refused for a missing, unknown or revoked token.");
  m.Define("villagesync_conflicts_open", Type::kGauge,
           "Conflicts open now, waiting for an administrator.");
  m.Define("villagesync_conflict_oldest_open_seconds", Type::kGauge,
           "Age of the oldest open conflict (0 if none).");
  m.Define("villagesync_devices", Type::kGauge,
           "Registered field devices, by days since their last sync.");
  m.Define("villagesync_peer_lag_changes", Type::kGauge,
           "Changes committed here the peer has not acknowledged.");
  m.Define("villagesync_peer_lag_seconds", Type::kGauge,
           "Seconds since the peer was last caught up (0 when it is).");
  m.Define("villagesync_peer_up", Type::kGauge,
           "1 if the last replication round with the peer succeeded.");
  m.Define("villagesync_peer_errors_total", Type::kCounter,
           "Failed replication rounds with the peer since start.");
  m.Define("villagesync_store_live_data_bytes", Type::kGauge,
           "RocksDB's estimate of live data in the store.");
  m.Define("villagesync_store_pending_compaction_bytes", Type::kGauge,
           "RocksDB's estimate of bytes compaction still has to rewrite.");
  m.Define("villagesync_store_sst_bytes", Type::kGauge,
           "Bytes of the store's SST files.");
  m.Define("villagesync_store_memtable_bytes", Type::kGauge,
           "Bytes of the store's memtables.");
  m.Define("villagesync_data_dir_free_bytes", Type::kGauge,
           "Bytes free for this server on the data dir's file system.");
  m.Define("villagesync_data_dir_size_bytes", Type::kGauge,
           "Size of the data dir's file system.");
  m.Define("process_resident_memory_bytes", Type::kGauge,
           "Resident memory of villagesyncd.");
  m.Define("process_open_fds", Type::kGauge, "Open file descriptors.");
  m.Define("villagesync_build_info", Type::kGauge,
           "Always 1; the version in a label.");
  m.Set("villagesync_build_info", {{"version", version}}, 1);
}

void AddServerCollectors(Metrics& metrics, const RecordStore* store,
                         const DeviceRegistry* devices,
                         std::function<std::vector<v1::PeerStatus>()> peers,
                         std::string data_dir) {
  metrics.AddCollector([=](Metrics& m) {
    CollectDevices(m, *devices);
    CollectConflicts(m, *store);
    CollectPeers(m, peers());
    CollectStore(m, *store, data_dir);
    CollectProcess(m);
  });
}

}  // namespace villagesync
