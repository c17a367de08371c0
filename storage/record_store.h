// RecordStore is the durable home of records on one replica (a county server
// or a field device): records with per-field causal state, the change log,
// conflicts and per-source watermarks, in RocksDB (SPEC §2–§4). The server and
// the client library both build on it; it knows nothing of gRPC.
#ifndef VILLAGESYNC_STORAGE_RECORD_STORE_H_
#define VILLAGESYNC_STORAGE_RECORD_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "proto/admin.pb.h"
#include "proto/records.pb.h"
#include "storage/aggregator.h"
#include "storage/hybrid_clock.h"
#include "storage/record_format.pb.h"
#include "storage/record_view.h"
#include "storage/schema_registry.h"
#include "storage/seal.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace villagesync {

class RecordLocks;
enum class LogDamage;
struct Resolution;
class Sequencer;
struct WriteJob;

// How to open a store.
struct StoreOptions {
  // The schema registry; null means the built-in collections.
  std::shared_ptr<const SchemaRegistry> schemas;
  // Wall clock for hybrid-logical-clock times; null means the system clock.
  HybridClock::WallMillis wall_millis;
  // Source of the random ids the store makes (its replica id, incarnations,
  // writer ids; zeros are skipped); null means the system's random device.
  // A deterministic simulation gives a seeded one, so that a run replays
  // exactly.
  std::function<uint64_t()> random_ids;
  // Counters to keep in step with every write (see storage/aggregator.h);
  // null means none.
  std::shared_ptr<const Aggregator> aggregator;
  // Called after every synced batch of a write with the time it took (for
  // metrics); may be null. Must be thread-safe.
  std::function<void(absl::Duration)> on_commit;
  // Sign this replica's own writes with a fresh id at every opening of the
  // store (servers, whose own writes are rare: resolutions). A store
  // restored from an older copy then never repeats a dot it issued after
  // the copy was made (docs/DESIGN.md, "Restores"). Devices keep one id,
  // changed only by TakeNewIdentity.
  bool new_writer_each_open = false;
  // Seal this replica's own writes (servers; see storage/seal.h), so that
  // devices can hand them back should this store lose them.
  bool seal_own_writes = false;
  // Record writes (Put, Delete, Resolve, Apply, ...) are refused with
  // RESOURCE_EXHAUSTED while less than this is free on the store's disk, so
  // that RocksDB never meets a full disk mid-write (0: no check). The
  // store's small metadata rows are still written from the reserve.
  uint64_t min_free_bytes = 0;
  // What opening does with a write-ahead log damaged before its end (a
  // flipped byte, not a write cut short by a crash, which is always
  // dropped): refuse to open with DATA_LOSS naming the file (servers, whose
  // acknowledged writes a device may never send again; RecoverStore accepts
  // the loss), or keep what precedes the damage (devices: the server holds
  // all they synced).
  bool refuse_damaged_log = false;
  // Read every block of the store's files at opening and refuse to open
  // (DATA_LOSS naming the file) if one is damaged, rather than fail a read
  // later (servers).
  bool verify_at_open = false;
  // If not OK, open an existing store for reading only (its disk is full):
  // nothing is written, not even the opening's bookkeeping, and every write
  // fails with this status.
  absl::Status read_only_because;
};

// A push from a field device (SPEC §6, the trust boundary).
struct DevicePush {
  // The pushing replica, registered to the user: every value must be its
  // own (storage/device_writes.h).
  uint64_t replica = 0;
  // The authenticated user, stamped as the author of every value.
  std::string author;
};

// A local create or edit: the fields to set. A Value with no kind clears
// the field. The author is the user name recorded with each value.
struct LocalEdit {
  v1::RecordKey key;
  std::vector<std::pair<std::string, v1::Value>> fields;
  std::string author;
};

// Which changes to read from the change log.
struct ChangeQuery {
  // Only records whose village code starts with this ("" = all).
  std::string village_prefix;
  // Opaque position returned by an earlier page; "" reads from the start.
  std::string after;
  // Page bounds: at most this many changes, and at most about this many
  // bytes (a single change larger than that is still returned alone).
  size_t max_changes = 1000;
  size_t max_bytes = 4 << 20;
  // Only fields this replica wrote itself (Put/Delete) after `after`: the
  // outbox of a device, its own edits not yet acknowledged. Merging others'
  // writes into such a field later does not put it back in the outbox.
  bool own_writes_only = false;
  // If nonzero, leave out fields whose every value, and every write their
  // context has seen, is this replica's: the reader wrote them alone, so it
  // has them (no echo on pull).
  uint64_t skip_replica = 0;
};

// A page of the change log.
struct ChangePage {
  // Changes in log order, each holding only the fields that changed after
  // `after` (a record changed many times appears once).
  std::vector<v1::Change> changes;
  // Opaque position after this page; pass it as `after` to continue.
  std::string checkpoint;
  // True if the log holds more changes after `checkpoint` right now.
  bool more = false;
};

// Which conflicts to list.
struct ConflictQuery {
  // Only records whose village code starts with this ("" = all).
  std::string village_prefix;
  // Only this collection ("" = all).
  std::string collection;
  // Only this status (UNSPECIFIED = all).
  v1::ConflictStatus status = v1::CONFLICT_STATUS_UNSPECIFIED;
  // Only conflicts first seen here before this time (0 = any age).
  int64_t opened_before_micros = 0;
  // Resume after this conflict row ("<collection>/<village>/<id>/<field>").
  std::string start_after;
  // At most this many.
  size_t limit = 1000;
};

// Thread-safe. Every write (local edit or remote apply) is atomic (one
// RocksDB WriteBatch) and durable (WAL synced) before the call returns.
// Concurrent writers run in parallel, each holding the locks of the records
// it touches, and RocksDB group-commits their batches into shared WAL syncs.
// Reads see only committed writes.
class RecordStore {
 public:
  // Opens or creates the store under `dir`. A new store gets a random replica
  // id that it keeps for life. DATA_LOSS naming the file if the files are
  // damaged (see StoreOptions for what is checked), UNAVAILABLE if the
  // directory is locked or unreadable, RESOURCE_EXHAUSTED if its disk is
  // full.
  static absl::StatusOr<std::unique_ptr<RecordStore>> Open(
      absl::string_view dir, StoreOptions options = {});

  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // The highest dot counter this replica's own writes have used.
  uint64_t dot_counter() const;

  // This replica's persistent id (never 0).
  uint64_t replica_id() const { return replica_id_.load(); }
  // The replica id this replica's own writes carry in their dots: replica_id()
  // unless the store was opened with new_writer_each_open, then an id of this
  // opening alone.
  uint64_t writer_id() const { return writer_id_.load(); }
  const SchemaRegistry& schemas() const { return *schemas_; }

  // Creates the record, or edits the fields `edit` names (leaving the others
  // as they are). A record that was deleted is re-created. Returns the change
  // made, with its dot, once durable. INVALID_ARGUMENT naming the field for a
  // bad key, unknown field, wrong type, value outside the enum, oversize value,
  // missing required field on create or a cleared required field;
  // FAILED_PRECONDITION for an edit of an append-only record. On error nothing
  // is written.
  absl::StatusOr<v1::Change> Put(const LocalEdit& edit);

  // Deletes the record (a tombstone that replicates). NOT_FOUND if it does
  // not exist or is already deleted; FAILED_PRECONDITION for append-only
  // collections.
  absl::StatusOr<v1::Change> Delete(const v1::RecordKey& key,
                                    absl::string_view author);

  // Applies changes received from another replica, atomically and durably,
  // merging field by field (SPEC §4). One result per change: applied,
  // duplicate, conflict, or rejected with a reason; a rejection does not stop
  // the others. If `source_replica` is nonzero, the highest `seq` of the
  // changes is recorded as that replica's watermark in the same batch.
  // Errors (UNAVAILABLE, DATA_LOSS) mean nothing was written.
  absl::StatusOr<std::vector<v1::ApplyResult>> Apply(
      absl::Span<const v1::Change> changes, uint64_t source_replica = 0);
  // The same for changes as they arrive in a request message.
  absl::StatusOr<std::vector<v1::ApplyResult>> Apply(
      const google::protobuf::RepeatedPtrField<v1::Change>& changes,
      uint64_t source_replica = 0);

  // Applies a field device's push like Apply(changes, device.replica), but
  // believes only what the device may say (SPEC §6): each change must carry
  // only the device's own writes (storage/device_writes.h), and the author
  // of every value becomes `device.author`. Per change, besides Apply's
  // results: REJECTED with INVALID_ARGUMENT naming the field for another
  // replica's value, a counter jump, an edit that clears a required field or
  // breaks a bound, or a second create of an append-only record; DEFERRED
  // for a change claiming writes this store has not received (its values
  // are applied with only the claims this store can check; the watermark
  // stops before it).
  // FAILED_PRECONDITION with nothing applied if a change reuses a dot this
  // store holds with different content: the device's store was restored
  // from an older copy, and must take a new identity before it pushes.
  absl::StatusOr<std::vector<v1::ApplyResult>> ApplyFromDevice(
      const google::protobuf::RepeatedPtrField<v1::Change>& changes,
      const DevicePush& device);
  absl::StatusOr<std::vector<v1::ApplyResult>> ApplyFromDevice(
      absl::Span<const v1::Change> changes, const DevicePush& device);

  // True if every register of `change` hands back a write this store
  // sealed (see storage/seal.h and storage/device_writes.h): a device
  // returning what this store lost, not writing anything of its own.
  bool HandsBackSealedWrites(const v1::Change& change) const;

  // The highest dot counter of `replica` this store has received, as a
  // value or a context entry, from any source (0 if none).
  absl::StatusOr<uint64_t> KnownCounter(uint64_t replica) const;

  // Makes this replica a new one (docs/DESIGN.md, "Restores"): a new random
  // replica id, dot counters from 1 again, and every own write after
  // `outbox_after` (the outbox; a checkpoint as ReadChanges takes) written
  // again under the new id, with the old id's context entries in those
  // fields lowered to `acked_counter` (the highest counter of the old id a
  // server acknowledged). What the records show does not change. Must not
  // run concurrently with other writes. Returns the new id; on error nothing
  // changed.
  absl::StatusOr<uint64_t> TakeNewIdentity(absl::string_view outbox_after,
                                           uint64_t acked_counter);

  // The record under `key`, including deleted ones (see ViewRecord).
  // NOT_FOUND if this replica has never seen it.
  absl::StatusOr<Record> Get(const v1::RecordKey& key) const;

  // Records of `collection` whose village starts with `village_prefix`, in key
  // order, after `start_after_id` (a "<village>/<id>" path, "" = from the
  // start), at most `limit`. Deleted records are included.
  absl::StatusOr<std::vector<Record>> List(
      absl::string_view collection, absl::string_view village_prefix,
      size_t limit, absl::string_view start_after = "") const;

  // Reads the change log (see ChangeQuery). INVALID_ARGUMENT for a malformed
  // `after`; FAILED_PRECONDITION if `after` comes from another lineage of
  // this store (e.g. it was restored from an older copy): read from "" again.
  absl::StatusOr<ChangePage> ReadChanges(const ChangeQuery& query) const;

  // A change-log position at `seq` of this store's current lineage, for a
  // reader that must re-read everything after `seq` (e.g. a device whose
  // server lost what it acknowledged): every record changed after `seq`,
  // whole. INVALID_ARGUMENT if `seq` is beyond the log.
  absl::StatusOr<std::string> CheckpointAt(uint64_t seq) const;

  // The sequence a checkpoint of this store stands at (0 for ""), e.g. to
  // tell how far a reader lags behind last_seq(). INVALID_ARGUMENT if
  // malformed.
  static absl::StatusOr<uint64_t> CheckpointSeq(absl::string_view checkpoint);

  // Every source replica's watermark.
  absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>> Watermarks() const;

  // Raises watermarks (never lowers them), durably.
  absl::Status RaiseWatermarks(
      const std::vector<std::pair<uint64_t, uint64_t>>& watermarks);

  // The incarnation a checkpoint of this store names (0 for "").
  static absl::StatusOr<uint64_t> CheckpointIncarnation(
      absl::string_view checkpoint);

  // A checkpoint at the complete point (what a reader starting now reads
  // after).
  std::string CurrentCheckpoint() const;

  // The highest change seq durably received from `source_replica` (0 if
  // none).
  absl::StatusOr<uint64_t> Watermark(uint64_t source_replica) const;

  // Conflicts recorded on this replica, in record key order.
  absl::StatusOr<std::vector<v1::Conflict>> ListConflicts(
      const ConflictQuery& query) const;

  // The conflict recorded for `field` of `key` ("" = delete-versus-edit).
  // NOT_FOUND if this replica never saw one.
  absl::StatusOr<v1::Conflict> GetConflict(const v1::RecordKey& key,
                                           absl::string_view field) const;

  // Settles a conflict (see storage/resolution.h): writes the resolving
  // change, marks the conflict resolved with the resolver and reason, and
  // adds an audit row, in one durable batch. Returns the change.
  // NOT_FOUND for an unknown record; FAILED_PRECONDITION if the conflict is
  // not open; INVALID_ARGUMENT naming the field of a bad choice.
  absl::StatusOr<v1::Change> Resolve(const Resolution& resolution);

  // The aggregate counters whose keys start with `prefix`, in key order.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ReadCounters(
      absl::string_view prefix) const;

  // A small durable key-value area beside the records for the layers above
  // (rule tables, device sync times). PutMeta writes `value` under `key`,
  // synced, with `audit` (if not null) in the same batch.
  absl::Status PutMeta(absl::string_view key, absl::string_view value,
                       const v1::AuditEntry* audit = nullptr);
  // Writes every (key, value) of `rows` in one synced batch.
  absl::Status PutMetaRows(
      const std::vector<std::pair<std::string, std::string>>& rows);
  // The value under `key`; nullopt if none.
  absl::StatusOr<absl::optional<std::string>> GetMeta(
      absl::string_view key) const;
  // Every (key, value) whose key starts with `prefix`, in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanMeta(
      absl::string_view prefix) const;

  // Audit rows written by Resolve and PutMeta at or after `since_micros`,
  // oldest first, at most `limit`.
  absl::StatusOr<std::vector<v1::AuditEntry>> ListAudit(int64_t since_micros,
                                                        size_t limit) const;

  // Writes a consistent copy of the whole store to `dir` (a RocksDB
  // checkpoint: hard links where it can, so it is quick and small on the
  // same file system), while writes go on. Opening the copy gives the store
  // as it was at one instant, every acknowledged write before it included.
  // FAILED_PRECONDITION if `dir` exists; UNAVAILABLE on I/O errors.
  absl::Status Backup(absl::string_view dir) const;

  // An integer property of the underlying RocksDB (e.g.
  // "rocksdb.estimate-live-data-size"); nullopt if it has none.
  absl::optional<uint64_t> IntProperty(absl::string_view name) const;

  // The local sequence up to which every change is committed: the position
  // a change-log reader may safely reach.
  uint64_t last_seq() const;

 private:
  // What Open reads before constructing the store.
  struct Persisted;

  RecordStore(std::string dir, std::unique_ptr<rocksdb::DB> db,
              StoreOptions options, const Persisted& persisted);
  static absl::StatusOr<std::unique_ptr<RecordStore>> OpenReadOnly(
      absl::string_view dir, StoreOptions options, LogDamage damage);

  absl::StatusOr<std::vector<v1::ApplyResult>> ApplyAll(
      std::vector<const v1::Change*> changes, uint64_t source_replica,
      const DevicePush* device = nullptr);
  // Plans and writes `job` under its records' locks; returns its status.
  absl::Status Submit(WriteJob* job);
  absl::Status CheckCheckpoint(const storage::Checkpoint& after) const;
  // Writes `batch` durably; resumes writing first if a full disk stopped it.
  absl::Status WriteSynced(rocksdb::WriteBatch* batch, absl::string_view what);
  // Every (row key, value) under `prefix`.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanRows(
      absl::string_view prefix) const;

  // Immutable after construction.
  const std::string dir_;
  const uint64_t min_free_bytes_;
  const absl::Status read_only_because_;  // OK unless opened read-only
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<const SchemaRegistry> schemas_;
  std::shared_ptr<const Aggregator> aggregator_;
  std::function<void(absl::Duration)> on_commit_;
  std::function<uint64_t()> random_ids_;
  uint64_t incarnation_;
  storage::IncarnationHistory history_;

  // Thread-safe members. The ids change only in TakeNewIdentity.
  std::atomic<uint64_t> replica_id_;
  std::atomic<uint64_t> writer_id_;
  std::unique_ptr<RecordLocks> locks_;
  std::unique_ptr<Sequencer> sequencer_;
  HybridClock clock_;
  std::atomic<uint64_t> meta_audit_rows_{0};
  // Set when a write met a full disk (RocksDB then refuses writes until
  // resumed).
  std::atomic<bool> stopped_by_full_disk_{false};
  // Immutable after construction: set if this replica seals its writes.
  absl::optional<Sealer> sealer_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_RECORD_STORE_H_
