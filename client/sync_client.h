// SyncClient is the offline-first client library (SPEC §1, §5): a device's
// local replica (the same record engine as the server) plus the sync loop.
// All reads and writes go to the local store and work offline; Sync() talks
// to the server: Hello, then Push of the outbox in acknowledged batches, then
// Pull in pages, each step resuming where the last acknowledged one stopped.
#ifndef VILLAGESYNC_CLIENT_SYNC_CLIENT_H_
#define VILLAGESYNC_CLIENT_SYNC_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/client_state.pb.h"
#include "proto/admin.pb.h"
#include "storage/record_store.h"

namespace villagesync {

// How Sync behaves on a bad link.
struct SyncOptions {
  // Changes per Push and per Pull page.
  uint32_t push_batch = 200;
  uint32_t pull_page = 1000;
  // Deadline of one RPC; a slow 2G link needs minutes for a full batch.
  absl::Duration rpc_deadline = absl::Seconds(120);
  // Retries of one RPC on UNAVAILABLE, DEADLINE_EXCEEDED or ABORTED, with
  // exponential backoff (and jitter) between them.
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(15);
  // Push only (e.g. on a metered link, send edits now, fetch later).
  bool skip_pull = false;
  // Called after every acknowledged batch or applied page (may be null).
  std::function<void(absl::string_view stage, int done)> progress;
  // Called before every RPC attempt, retries included (may be null): what
  // a sync costs in requests, for metering and benchmarks.
  std::function<void()> on_rpc;
  // Called when an attempt failed and will be retried (may be null), with a
  // line for people: "server HOST:PORT unreachable, retrying (2/8)".
  std::function<void(absl::string_view)> on_retry;
  // The whole operation, retries included, gives up at this time with
  // DEADLINE_EXCEEDED.
  absl::Time give_up_at = absl::InfiniteFuture();
};

// What one Sync did.
struct SyncReport {
  int pushed = 0;     // changes the server acknowledged
  int pulled = 0;     // changes received and applied locally
  int conflicts = 0;  // pushed or pulled changes that opened a conflict
  // Pushed changes the server refused, each "collection/id: reason".
  std::vector<std::string> rejected;
  // Edits outside the user's scope, kept locally but not sent.
  int held_outside_scope = 0;
  // True if Hello showed the server had lost acknowledged changes (restored
  // from an old backup) and they were sent again.
  bool resent_lost_changes = false;
  // True if the pull restarted from the beginning (new server lineage).
  bool pull_restarted = false;
  // Pushed changes the server deferred (it has not yet received writes they
  // build on: it lags behind a server this device synced with before).
  // They stay in the outbox and go again at the next sync.
  int deferred = 0;
  // True if this device took a new replica id: its store had been restored
  // from an older copy, so its recent edits were sent under the new id.
  bool new_identity = false;
  // Writes of the server itself (resolutions) that the server had lost,
  // restored from an older copy, and this device handed back.
  int returned = 0;
};

// What `status` shows.
struct ClientStatus {
  std::string server;
  std::string user, role, scope;
  uint64_t replica_id = 0;
  // Local edits not yet acknowledged by the server.
  int pending = 0;
  int64_t last_sync_micros = 0;
  std::string last_error;
};

// How a device reaches its server.
struct Connection {
  std::string server;  // HOST:PORT
  std::string token;
  // TLS unless `plaintext`: `ca_pem` is the CA to trust ("" for the
  // system's roots), `server_name` the name the server's certificate must
  // carry if not the host of `server`.
  bool plaintext = false;
  std::string ca_pem;
  std::string server_name;
};

// Not thread-safe: one SyncClient per device directory, used by one thread.
class SyncClient {
 public:
  // Opens (or creates) the device directory `dir`: dir/store holds the
  // local replica, dir/client.pb the sync state.
  static absl::StatusOr<std::unique_ptr<SyncClient>> Open(
      absl::string_view dir);
  // Opens the device directory `dir` only if Init has pointed it at a
  // server; FAILED_PRECONDITION naming `dir` otherwise, with nothing
  // created (a mistyped --store must not become an empty store).
  static absl::StatusOr<std::unique_ptr<SyncClient>> OpenInitialized(
      absl::string_view dir);

  // Points the device at a server. If the server answers, checks the token
  // (UNAUTHENTICATED if refused) and records who we are; if it is
  // unreachable the settings are kept and checked at the next sync.
  // UNAVAILABLE, keeping nothing, if a TLS handshake fails (the server does
  // not speak TLS, or its certificate does not match the CA or the name).
  absl::Status Init(const Connection& connection);
  // The same, plaintext (a server on loopback, in tests).
  absl::Status Init(absl::string_view server, absl::string_view token);

  // One sync round. OK means fully synced. UNAVAILABLE after the retries
  // (nothing is lost: local edits stay in the outbox; acknowledged progress
  // is kept); FAILED_PRECONDITION if the device was never initialized;
  // UNAUTHENTICATED / PERMISSION_DENIED from the server as they come.
  absl::StatusOr<SyncReport> Sync(const SyncOptions& options = {});

  absl::StatusOr<ClientStatus> Status() const;

  // The options of the calls other than Sync (administration, reports,
  // conflicts): retries, deadlines, feedback.
  void SetCallOptions(SyncOptions options) {
    call_options_ = std::move(options);
  }

  // Administration through the server (AdminService).
  absl::StatusOr<v1::AddUserResponse> AddUser(absl::string_view name,
                                              absl::string_view role,
                                              absl::string_view scope);
  absl::StatusOr<v1::UserInfo> RevokeUser(absl::string_view name);
  // Changes a user's role and/or scope (the request says which).
  absl::StatusOr<v1::UserInfo> SetUser(const v1::SetUserRequest& request);
  // A new token for the user; the old one stops working.
  absl::StatusOr<v1::RotateTokenResponse> RotateToken(absl::string_view name);
  // The devices registered on the server in `region_prefix` ("" = the
  // caller's scope), and retiring one for good.
  absl::StatusOr<v1::ListDevicesResponse> ListDevices(
      absl::string_view region_prefix);
  absl::StatusOr<v1::Device> DecommissionDevice(uint64_t replica_id);
  // The users inside the caller's scope (county or admin only).
  absl::StatusOr<v1::ListUsersResponse> ListUsers();

  // The conflict inbox on the server (AdminService, SPEC §7). Resolutions
  // reach this device's store at its next Sync, like any edit.
  absl::StatusOr<v1::ListConflictsResponse> ListConflicts(
      const v1::ListConflictsRequest& request);
  absl::StatusOr<v1::ConflictInfo> ShowConflict(absl::string_view id);
  absl::StatusOr<v1::ResolveConflictResponse> ResolveConflict(
      const v1::ResolveConflictRequest& request);
  absl::StatusOr<v1::ListAuditResponse> ListAudit(int64_t since_micros);
  // How the server's replication with each peer stands (SPEC §8).
  absl::StatusOr<v1::ListPeersResponse> ListPeers();
  // A consistent copy of the server's data dir, written on the server's
  // machine at `destination` (an absolute path).
  absl::StatusOr<v1::BackupResponse> Backup(absl::string_view destination);

  // The county report and its rule table (AdminService, SPEC §9): errors as
  // the server returns them (INVALID_ARGUMENT naming the field,
  // PERMISSION_DENIED outside the caller's scope or role), UNAVAILABLE after
  // the retries.
  absl::StatusOr<v1::ReportResponse> Report(const v1::ReportRequest& request);
  absl::StatusOr<v1::ListRulesResponse> ListRules();
  // Adds or replaces `rule`; the response holds the rules as they now are.
  absl::StatusOr<v1::SetRuleResponse> SetRule(const v1::Rule& rule);

  // The local replica: put, get, list and delete go here, offline.
  RecordStore& store() { return *store_; }
  // The name recorded as author of local edits (the user, once known).
  std::string author() const;
  // FAILED_PRECONDITION if the server said this device's user may not write
  // `village` (outside its scope): such an edit would never be taken.
  // OK while the user is unknown (the server has not answered yet).
  absl::Status CheckWritable(absl::string_view village) const;

 private:
  SyncClient(std::string dir, std::unique_ptr<RecordStore> store,
             client::ClientState state);
  absl::Status SaveState();

  const std::string dir_;
  std::unique_ptr<RecordStore> store_;
  client::ClientState state_;
  SyncOptions call_options_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_SYNC_CLIENT_H_
