// The metrics villagesyncd exports (SPEC §11), defined in one place: what
// each family means, and the collectors that read gauges from the store,
// the device registry, the replication workers and the process at scrape
// time. docs/ops/ (alert rules, dashboard) depends on these names.
#ifndef VILLAGESYNC_SERVER_SERVER_METRICS_H_
#define VILLAGESYNC_SERVER_SERVER_METRICS_H_

#include <functional>
#include <string>
#include <vector>

#include "proto/replication.pb.h"
#include "server/device_registry.h"
#include "server/metrics.h"
#include "storage/record_store.h"

namespace villagesync {

// Family names.
inline constexpr char kRpcRequests[] = "villagesync_rpc_requests_total";
inline constexpr char kRpcSeconds[] = "villagesync_rpc_duration_seconds";
inline constexpr char kChangesReceived[] = "villagesync_changes_received_total";
inline constexpr char kChangesSent[] = "villagesync_changes_sent_total";
inline constexpr char kBytesReceived[] = "villagesync_bytes_received_total";
inline constexpr char kBytesSent[] = "villagesync_bytes_sent_total";
inline constexpr char kConflictsOpened[] = "villagesync_conflicts_opened_total";
inline constexpr char kConflictsResolved[] =
    "villagesync_conflicts_resolved_total";
inline constexpr char kCommitSeconds[] = "villagesync_wal_sync_seconds";
inline constexpr char kAuthRefused[] =
    "villagesync_authentications_refused_total";

// Defines every family (call once).
void DefineServerMetrics(Metrics& metrics, const std::string& version);

// Adds the scrape-time collectors. Everything given must outlive `metrics`
// use; `peers` returns the replication workers' status.
void AddServerCollectors(Metrics& metrics, const RecordStore* store,
                         const DeviceRegistry* devices,
                         std::function<std::vector<v1::PeerStatus>()> peers,
                         std::string data_dir);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_SERVER_METRICS_H_
