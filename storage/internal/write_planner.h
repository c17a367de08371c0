// WritePlanner turns one write (a local edit or delete, or a remote apply of
// many changes) into a single RocksDB WriteBatch: merged records, change-log
// moves, conflict rows, watermarks and the store's counters. A record changed
// twice in one write is merged in memory, so the batch holds its final state.
// The caller holds the records' locks from Plan until the batch is durable.
// Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_WRITE_PLANNER_H_
#define VILLAGESYNC_STORAGE_INTERNAL_WRITE_PLANNER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "proto/admin.pb.h"
#include "storage/device_writes.h"
#include "storage/hybrid_clock.h"
#include "storage/internal/sequencer.h"
#include "storage/record_store.h"
#include "storage/resolution.h"
#include "storage/seal.h"

namespace rocksdb {
class DB;
class Slice;
class WriteBatch;
}  // namespace rocksdb

namespace villagesync {

// One caller's write.
struct WriteJob {
  enum class Kind { kApply, kPut, kDelete, kResolve, kReidentify };
  Kind kind = Kind::kApply;
  // kApply: the changes, their source and (out) one result each; `device`
  // is set for a field device's own push (see RecordStore::ApplyFromDevice).
  std::vector<const v1::Change*> changes;
  uint64_t source_replica = 0;
  const DevicePush* device = nullptr;
  std::vector<v1::ApplyResult> results;
  // kReidentify: the outbox's records, the id they leave and the highest
  // counter of it a server acknowledged (see RecordStore::TakeNewIdentity).
  std::vector<v1::RecordKey> outbox;
  uint64_t old_writer = 0;
  uint64_t acked_counter = 0;
  // kPut: the edit. kDelete: the key and author. kResolve: the resolution.
  const LocalEdit* edit = nullptr;
  const Resolution* resolution = nullptr;
  const v1::RecordKey* key = nullptr;
  std::string author;
  // Out: the change a local write made.
  v1::Change change;
  // Out: the job's outcome (set by the planner, then by the write).
  absl::Status status;
};

// Not thread-safe: one planner per write. Planners of concurrent writes
// share only the (thread-safe) sequencer and clock.
class WritePlanner {
 public:
  // Every pointer must outlive the planner. Sequences, counters and times are
  // drawn from `sequencer` and `clock`; dots carry `replica_id`.
  // A `sealer` (may be null) seals this replica's own writes and checks the
  // seals of writes a device hands back.
  WritePlanner(rocksdb::DB* db, const SchemaRegistry& schemas,
               Sequencer* sequencer, HybridClock* clock, uint64_t replica_id,
               const Aggregator* aggregator = nullptr,
               const Sealer* sealer = nullptr);

  // Plans `job`, setting its results or status. A job that fails leaves no
  // trace in the plan.
  void Plan(WriteJob* job);

  // True if the plan writes nothing (every job failed or was a duplicate).
  bool empty() const {
    return dirty_.empty() && watermarks_.empty() && !new_identity_;
  }

  // Writes the plan into `batch`. Errors come from reading existing rows.
  absl::Status Build(rocksdb::WriteBatch* batch);

  // The sequences the plan drew; the caller reports them to the sequencer
  // once the batch is written (or has failed).
  const std::vector<uint64_t>& seqs() const { return seqs_; }

 private:
  // A record as the group sees it.
  struct Slot {
    Record record;
    bool exists = false;          // stored before this group, or created in it
    uint64_t logged_seq = 0;      // its change-log row before this write
    uint64_t own_logged_seq = 0;  // its own-writes row before this write
    bool dirty = false;           // changed by this write
    const Resolution* resolution =
        nullptr;  // set if this write settles a conflict
    std::vector<v1::Conflict> old_conflicts;  // before this write
    Contribution old_contribution;            // before this write
  };

  absl::StatusOr<Slot*> Load(const v1::RecordKey& key);
  absl::Status Prefetch(const std::vector<const v1::Change*>& changes);
  // Reads the highest counter this store holds of the pushing device.
  absl::Status PrefetchKnown(uint64_t device);
  // Enters `key` into the plan with its stored bytes (null: not stored).
  // DATA_LOSS if the stored bytes do not parse.
  absl::StatusOr<Slot*> Adopt(const std::string& row, const v1::RecordKey& key,
                              const rocksdb::Slice* stored);
  void PlanApply(WriteJob* job);
  v1::ApplyResult ApplyOne(const v1::Change& change);
  // A device's change (see RecordStore::ApplyFromDevice). Sets `*abort` for
  // a reused dot.
  v1::ApplyResult ApplyFromDevice(const v1::Change& change,
                                  const DevicePush& device,
                                  absl::Status* abort);
  // Checks what only the record's stored state can tell about a device's
  // change: a reused dot (FAILED_PRECONDITION), a second create of an
  // append-only record or a write reviving a deleted record without the
  // marker (INVALID_ARGUMENT), a context claiming more than this store holds
  // of the register (UNAVAILABLE: defer).
  absl::Status CheckAgainstStored(const Slot& slot, const v1::Change& change,
                                  const DevicePush& device,
                                  const SealCheck& sealed_here);
  // Joins a validated `change` into its record and says what happened.
  v1::ApplyResult JoinRemote(const v1::Change& change);
  // JoinRemote with the device's user as the author of its values, and
  // without retractions that would remove a value this store holds. A
  // retraction of a record this store lacks is DEFERRED.
  v1::ApplyResult JoinFromDevice(const Slot& slot, const v1::Change& change,
                                 const DevicePush& device);
  // A device's change that claims writes this store lacks (`deferral`): its
  // values are joined now with only the claims this store can check, and it
  // is DEFERRED, so the device sends it again until every claim holds. Two
  // devices whose changes claim each other's writes (both lost in a restore)
  // so never wait on each other. Nothing is joined if the limited change is
  // still deferred (an edit after a re-creation this store lacks).
  v1::ApplyResult JoinBelievable(const Slot& slot, const v1::Change& change,
                                 const DevicePush& device,
                                 const SealCheck& sealed_here,
                                 const absl::Status& deferral);
  void PlanReidentify(WriteJob* job);
  // Gives each value of `old_writer` in `state` a new dot of this writer
  // (see RecordStore::TakeNewIdentity); false if it had none.
  bool Restamp(v1::FieldState* state, const WriteJob& job);
  absl::Status PlanPut(const LocalEdit& edit, v1::Change* out);
  absl::Status PlanResolve(const Resolution& resolution, v1::Change* out);
  absl::Status PlanDelete(const v1::RecordKey& key, absl::string_view author,
                          v1::Change* out);
  // Joins `change` into the slot; returns true if anything changed. A
  // `local` change (this replica's own write) marks the fields it touches
  // as own writes.
  bool Join(Slot* slot, const v1::Change& change, bool local = false);
  // Gives the `touched` fields of `slot` a new sequence (own writes: also
  // their own-writes position) and marks the slot dirty.
  void MarkChanged(Slot* slot,
                   const std::vector<storage::StoredField*>& touched,
                   bool local);
  // Notes the counters `change` shows of each replica (values and
  // contexts), to raise the store's known counters with the batch.
  void NoteKnown(const v1::Change& change);
  v1::Sibling NewSibling(v1::Value value, const v1::Dot& dot, uint64_t hlc,
                         absl::string_view author);
  v1::Dot NextDot();
  // Seals the values of `change` written with `dot` (own writes).
  void SealOwn(const v1::Dot& dot, v1::Change* change) const;
  absl::Status WriteConflicts(const Slot& slot, rocksdb::WriteBatch* batch);
  // What the record in `slot` contributes now (empty without an aggregator).
  Contribution ContributionOf(const Record& record) const;
  // Adds the counter deltas of every changed record to `batch`.
  void WriteCounters(rocksdb::WriteBatch* batch) const;

  rocksdb::DB* db_;
  const SchemaRegistry& schemas_;
  Sequencer* sequencer_;
  HybridClock* clock_;
  uint64_t replica_id_;
  const Aggregator* aggregator_;
  const Sealer* sealer_;
  std::vector<uint64_t> seqs_;
  std::vector<v1::AuditEntry> audit_;  // audit rows this write adds
  uint64_t last_counter_ = 0;          // highest dot counter drawn (0: none)
  absl::node_hash_map<std::string, Slot> slots_;  // by record row key
  std::vector<Slot*> dirty_;  // slots changed, in order (node map: stable)
  std::map<uint64_t, uint64_t> watermarks_;  // source replica -> seq
  // Known counters: read for a device's push, raised by what is joined.
  KnownCounters known_;
  std::map<uint64_t, uint64_t> raise_known_;  // replica -> counter
  bool new_identity_ = false;  // kReidentify: persist replica_id_ anew
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_WRITE_PLANNER_H_
