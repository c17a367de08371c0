#include "storage/record_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/device_writes.h"
#include "storage/internal/change_reader.h"
#include "storage/internal/conflict_rows.h"
#include "storage/internal/counter_merge.h"
#include "storage/internal/db_open.h"
#include "storage/internal/disk_space.h"
#include "storage/internal/keys.h"
#include "storage/internal/record_locks.h"
#include "storage/internal/rocks_status.h"
#include "storage/internal/sequencer.h"
#include "storage/internal/tsan.h"
#include "storage/internal/write_planner.h"
#include "storage/resolution.h"

namespace villagesync {
namespace {

// A random nonzero id from `random_ids` (StoreOptions), or from the
// system's random device if it is null.
uint64_t RandomNonZero(const std::function<uint64_t()>& random_ids) {
  std::random_device device;
  uint64_t value = 0;
  while (value == 0) {
    value = random_ids ? random_ids()
                       : (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  return value;
}

template <typename Message>
absl::StatusOr<bool> ReadRow(rocksdb::DB* db, absl::string_view row,
                             Message* message) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(),
                              rocksdb::Slice(row.data(), row.size()), &value);
  if (s.IsNotFound()) return false;
  VS_RETURN_IF_ERROR(FromRocksStatus(s, absl::StrCat("read ", row)));
  if (!message->ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("corrupt row ", row));
  }
  return true;
}

rocksdb::WriteOptions Synced() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

absl::Status WriteRowSynced(rocksdb::DB* db, absl::string_view row,
                            const std::string& value) {
  return FromRocksStatus(
      db->Put(Synced(), rocksdb::Slice(row.data(), row.size()), value),
      absl::StrCat("write ", row));
}

// An 8-byte counter row; 0 if absent.
absl::StatusOr<uint64_t> ReadCounter(rocksdb::DB* db, absl::string_view row) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(),
                              rocksdb::Slice(row.data(), row.size()), &value);
  if (s.IsNotFound()) return 0;
  VS_RETURN_IF_ERROR(FromRocksStatus(s, absl::StrCat("read ", row)));
  return keys::DecodeBigEndian(value);
}

// The last sequence, dot counter and clock reading the store wrote.
absl::Status ReadLastCounters(rocksdb::DB* db, uint64_t* seq, uint64_t* counter,
                              uint64_t* hlc) {
  VS_ASSIGN_OR_RETURN(*seq, ReadCounter(db, keys::kLastSeq));
  VS_ASSIGN_OR_RETURN(*counter, ReadCounter(db, keys::kLastCounter));
  VS_ASSIGN_OR_RETURN(*hlc, ReadCounter(db, keys::kLastHlc));
  return absl::OkStatus();
}

// The replica id, created (randomly, once) for a new store.
absl::StatusOr<uint64_t> LoadReplicaId(
    rocksdb::DB* db, const std::function<uint64_t()>& random_ids) {
  VS_ASSIGN_OR_RETURN(uint64_t id, ReadCounter(db, keys::kReplicaId));
  if (id != 0) return id;
  id = RandomNonZero(random_ids);
  VS_RETURN_IF_ERROR(
      WriteRowSynced(db, keys::kReplicaId, keys::EncodeBigEndian(id)));
  return id;
}

// The key sealing this replica's own writes, created (randomly, once) with
// the first opening that seals.
absl::StatusOr<std::string> LoadSealKey(rocksdb::DB* db) {
  const rocksdb::Slice row(keys::kSealKey.data(), keys::kSealKey.size());
  std::string key;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), row, &key);
  if (s.ok() && key.size() == kSealKeyBytes) return key;
  if (!s.ok() && !s.IsNotFound()) {
    return FromRocksStatus(s, "read sealing key");
  }
  key = NewSealKey();
  if (key.empty()) return absl::UnavailableError("sealing key: no randomness");
  VS_RETURN_IF_ERROR(WriteRowSynced(db, keys::kSealKey, key));
  return key;
}

// Stores made before the known-counter rows existed: derives them, once,
// from every record's contexts (which hold the highest counter of each
// writer they have seen).
absl::Status BuildKnownCounters(rocksdb::DB* db) {
  const rocksdb::Slice built(keys::kKnownBuilt.data(),
                             keys::kKnownBuilt.size());
  const rocksdb::Slice records(keys::kRecordPrefix.data(),
                               keys::kRecordPrefix.size());
  std::string marker;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), built, &marker);
  if (s.ok()) return absl::OkStatus();
  if (!s.IsNotFound()) return FromRocksStatus(s, "read known counters");
  std::map<uint64_t, uint64_t> known;
  auto note = [&known](const v1::FieldState& state) {
    for (const v1::Dot& d : state.context()) {
      known[d.replica()] = std::max(known[d.replica()], d.counter());
    }
  };
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(records); it->Valid() && it->key().starts_with(records);
       it->Next()) {
    storage::StoredRecord record;
    if (!record.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError("corrupt record row " + it->key().ToString());
    }
    for (const storage::StoredField& f : record.fields()) note(f.state());
    note(record.deletion().state());
  }
  VS_RETURN_IF_ERROR(FromRocksStatus(it->status(), "scan records"));
  rocksdb::WriteBatch batch;
  for (const auto& [replica, counter] : known) {
    batch.Merge(keys::KnownCounterRow(replica), keys::EncodeBigEndian(counter));
  }
  batch.Put(built, "");
  return FromRocksStatus(db->Write(Synced(), &batch), "build known counters");
}

// Closes the previous incarnation at `last_seq` and starts a new one.
absl::StatusOr<storage::IncarnationHistory> StartIncarnation(
    rocksdb::DB* db, uint64_t last_seq,
    const std::function<uint64_t()>& random_ids) {
  storage::IncarnationHistory history;
  VS_RETURN_IF_ERROR(ReadRow(db, keys::kIncarnations, &history).status());
  int n = history.incarnations_size();
  if (n > 0) history.mutable_incarnations(n - 1)->set_end_seq(last_seq);
  storage::Incarnation* current = history.add_incarnations();
  current->set_id(RandomNonZero(random_ids));
  current->set_first_seq(last_seq);
  VS_RETURN_IF_ERROR(
      WriteRowSynced(db, keys::kIncarnations, history.SerializeAsString()));
  return history;
}

}  // namespace

struct RecordStore::Persisted {
  uint64_t replica_id = 0;
  std::string seal_key;  // empty unless sealing
  uint64_t last_seq = 0;
  uint64_t last_counter = 0;
  uint64_t last_hlc = 0;
  storage::IncarnationHistory history;
};

RecordStore::RecordStore(std::string dir, std::unique_ptr<rocksdb::DB> db,
                         StoreOptions options, const Persisted& persisted)
    : dir_(std::move(dir)),
      min_free_bytes_(options.min_free_bytes),
      read_only_because_(options.read_only_because),
      db_(std::move(db)),
      schemas_(options.schemas ? options.schemas : SchemaRegistry::Builtin()),
      aggregator_(options.aggregator),
      on_commit_(options.on_commit),
      random_ids_(options.random_ids),
      incarnation_(persisted.history
                       .incarnations(persisted.history.incarnations_size() - 1)
                       .id()),
      history_(persisted.history),
      replica_id_(persisted.replica_id),
      writer_id_(options.new_writer_each_open
                     ? RandomNonZero(options.random_ids)
                     : persisted.replica_id),
      locks_(std::make_unique<RecordLocks>()),
      sequencer_(std::make_unique<Sequencer>(persisted.last_seq,
                                             persisted.last_counter)),
      clock_(persisted.last_hlc, options.wall_millis) {
  if (!persisted.seal_key.empty()) {
    sealer_ = Sealer{persisted.seal_key, persisted.replica_id};
  }
}

RecordStore::~RecordStore() = default;

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(
    absl::string_view dir, StoreOptions options) {
  LogDamage damage =
      options.refuse_damaged_log ? LogDamage::kRefuse : LogDamage::kKeepPrefix;
  if (!options.read_only_because.ok()) {
    return OpenReadOnly(dir, std::move(options), damage);
  }
  VS_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> db,
                      OpenDb(std::string(dir), damage, options.verify_at_open));
  Persisted persisted;
  VS_ASSIGN_OR_RETURN(persisted.replica_id,
                      LoadReplicaId(db.get(), options.random_ids));
  VS_RETURN_IF_ERROR(ReadLastCounters(db.get(), &persisted.last_seq,
                                      &persisted.last_counter,
                                      &persisted.last_hlc));
  VS_ASSIGN_OR_RETURN(
      persisted.history,
      StartIncarnation(db.get(), persisted.last_seq, options.random_ids));
  VS_RETURN_IF_ERROR(BuildKnownCounters(db.get()));
  if (options.seal_own_writes) {
    VS_ASSIGN_OR_RETURN(persisted.seal_key, LoadSealKey(db.get()));
  }
  return std::unique_ptr<RecordStore>(new RecordStore(
      std::string(dir), std::move(db), std::move(options), persisted));
}

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::OpenReadOnly(
    absl::string_view dir, StoreOptions options, LogDamage damage) {
  VS_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> db,
                      OpenDbReadOnly(std::string(dir), damage));
  Persisted persisted;
  VS_ASSIGN_OR_RETURN(persisted.replica_id,
                      ReadCounter(db.get(), keys::kReplicaId));
  VS_RETURN_IF_ERROR(ReadLastCounters(db.get(), &persisted.last_seq,
                                      &persisted.last_counter,
                                      &persisted.last_hlc));
  VS_ASSIGN_OR_RETURN(
      bool found, ReadRow(db.get(), keys::kIncarnations, &persisted.history));
  if (persisted.replica_id == 0 || !found ||
      persisted.history.incarnations().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir, " was never opened for writing"));
  }
  return std::unique_ptr<RecordStore>(new RecordStore(
      std::string(dir), std::move(db), std::move(options), persisted));
}

uint64_t RecordStore::last_seq() const { return sequencer_->complete(); }

absl::Status RecordStore::Backup(absl::string_view dir) const {
  std::error_code error;
  if (std::filesystem::exists(std::string(dir), error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("destination: ", dir, " exists already"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  VS_RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::Checkpoint::Create(db_.get(), &raw), "backup"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocksStatus(checkpoint->CreateCheckpoint(std::string(dir)),
                         "backup");
}

absl::optional<uint64_t> RecordStore::IntProperty(
    absl::string_view name) const {
  uint64_t value = 0;
  if (!db_->GetIntProperty(rocksdb::Slice(name.data(), name.size()), &value)) {
    return absl::nullopt;
  }
  return value;
}

uint64_t RecordStore::dot_counter() const { return sequencer_->last_counter(); }

namespace {

// The record rows a job reads and writes, which it must hold locked.
std::vector<std::string> RowsOf(const WriteJob& job) {
  std::vector<std::string> rows;
  switch (job.kind) {
    case WriteJob::Kind::kApply:
      rows.reserve(job.changes.size());
      for (const v1::Change* c : job.changes) {
        rows.push_back(keys::RecordRow(c->key()));
      }
      break;
    case WriteJob::Kind::kPut:
      rows.push_back(keys::RecordRow(job.edit->key));
      break;
    case WriteJob::Kind::kDelete:
      rows.push_back(keys::RecordRow(*job.key));
      break;
    case WriteJob::Kind::kResolve:
      rows.push_back(keys::RecordRow(job.resolution->key));
      break;
    case WriteJob::Kind::kReidentify:
      for (const v1::RecordKey& key : job.outbox) {
        rows.push_back(keys::RecordRow(key));
      }
      break;
  }
  return rows;
}

}  // namespace

absl::Status RecordStore::Submit(WriteJob* job) {
  VS_RETURN_IF_ERROR(CheckFreeSpace(dir_, min_free_bytes_));
  RecordLocks::Held held = locks_->Acquire(RowsOf(*job));
  WritePlanner planner(db_.get(), *schemas_, sequencer_.get(), &clock_,
                       writer_id(), aggregator_.get(),
                       sealer_ ? &*sealer_ : nullptr);
  planner.Plan(job);
  absl::Status status;
  // A job that failed as a whole (a reused dot in a device's push) writes
  // nothing, whatever it planned before failing.
  if (job->status.ok() && !planner.empty()) {
    rocksdb::WriteBatch batch;
    status = planner.Build(&batch);
    if (status.ok()) {
      absl::Time start = absl::Now();
      status = WriteSynced(&batch, "commit");
      if (on_commit_) on_commit_(absl::Now() - start);
    }
  }
  // Committed or abandoned: either way readers may now pass these sequences.
  sequencer_->Finish(planner.seqs());
  if (!status.ok()) {
    job->status = status;
    job->results.clear();
  }
  return job->status;
}

absl::Status RecordStore::WriteSynced(rocksdb::WriteBatch* batch,
                                      absl::string_view what) {
  if (!read_only_because_.ok()) return read_only_because_;
  // RocksDB stops writing after a write met a full disk, until resumed.
  if (stopped_by_full_disk_.load()) {
    // (Its own recovery is off: see ResumeOnNextWrite.)
    VS_RETURN_IF_ERROR(FromRocksStatus(db_->Resume(), what));
    stopped_by_full_disk_.store(false);
  }
  rocksdb::Status s;
  {
    UninstrumentedCall group_commit;
    s = db_->Write(Synced(), batch);
  }
  if (s.IsNoSpace()) stopped_by_full_disk_.store(true);
  return FromRocksStatus(s, what);
}

absl::StatusOr<v1::Change> RecordStore::Put(const LocalEdit& edit) {
  WriteJob job;
  job.kind = WriteJob::Kind::kPut;
  job.edit = &edit;
  VS_RETURN_IF_ERROR(Submit(&job));
  return std::move(job.change);
}

absl::StatusOr<v1::Change> RecordStore::Delete(const v1::RecordKey& key,
                                               absl::string_view author) {
  WriteJob job;
  job.kind = WriteJob::Kind::kDelete;
  job.key = &key;
  job.author = std::string(author);
  VS_RETURN_IF_ERROR(Submit(&job));
  return std::move(job.change);
}

absl::StatusOr<v1::Change> RecordStore::Resolve(const Resolution& resolution) {
  WriteJob job;
  job.kind = WriteJob::Kind::kResolve;
  job.resolution = &resolution;
  VS_RETURN_IF_ERROR(Submit(&job));
  return std::move(job.change);
}

absl::StatusOr<std::vector<v1::ApplyResult>> RecordStore::Apply(
    absl::Span<const v1::Change> changes, uint64_t source_replica) {
  std::vector<const v1::Change*> pointers;
  pointers.reserve(changes.size());
  for (const v1::Change& c : changes) pointers.push_back(&c);
  return ApplyAll(std::move(pointers), source_replica);
}

absl::StatusOr<std::vector<v1::ApplyResult>> RecordStore::Apply(
    const google::protobuf::RepeatedPtrField<v1::Change>& changes,
    uint64_t source_replica) {
  std::vector<const v1::Change*> pointers;
  pointers.reserve(changes.size());
  for (const v1::Change& c : changes) pointers.push_back(&c);
  return ApplyAll(std::move(pointers), source_replica);
}

absl::StatusOr<std::vector<v1::ApplyResult>> RecordStore::ApplyFromDevice(
    const google::protobuf::RepeatedPtrField<v1::Change>& changes,
    const DevicePush& device) {
  std::vector<const v1::Change*> pointers;
  pointers.reserve(changes.size());
  for (const v1::Change& c : changes) pointers.push_back(&c);
  return ApplyAll(std::move(pointers), device.replica, &device);
}

absl::StatusOr<std::vector<v1::ApplyResult>> RecordStore::ApplyFromDevice(
    absl::Span<const v1::Change> changes, const DevicePush& device) {
  std::vector<const v1::Change*> pointers;
  pointers.reserve(changes.size());
  for (const v1::Change& c : changes) pointers.push_back(&c);
  return ApplyAll(std::move(pointers), device.replica, &device);
}

absl::StatusOr<std::vector<v1::ApplyResult>> RecordStore::ApplyAll(
    std::vector<const v1::Change*> changes, uint64_t source_replica,
    const DevicePush* device) {
  WriteJob job;
  job.kind = WriteJob::Kind::kApply;
  job.changes = std::move(changes);
  job.source_replica = source_replica;
  job.device = device;
  VS_RETURN_IF_ERROR(Submit(&job));
  return std::move(job.results);
}

absl::StatusOr<uint64_t> RecordStore::KnownCounter(uint64_t replica) const {
  return ReadCounter(db_.get(), keys::KnownCounterRow(replica));
}

absl::StatusOr<uint64_t> RecordStore::TakeNewIdentity(
    absl::string_view outbox_after, uint64_t acked_counter) {
  WriteJob job;
  job.kind = WriteJob::Kind::kReidentify;
  job.old_writer = writer_id();
  job.acked_counter = acked_counter;
  ChangeQuery query;
  query.after = std::string(outbox_after);
  query.own_writes_only = true;
  for (bool more = true; more;) {
    VS_ASSIGN_OR_RETURN(ChangePage page, ReadChanges(query));
    for (const v1::Change& c : page.changes) job.outbox.push_back(c.key());
    query.after = std::move(page.checkpoint);
    more = page.more;
  }
  uint64_t fresh = RandomNonZero(random_ids_);
  uint64_t old_counter = sequencer_->last_counter();
  replica_id_ = writer_id_ = fresh;
  sequencer_->SetCounter(0);
  absl::Status status = Submit(&job);
  if (!status.ok()) {
    replica_id_ = writer_id_ = job.old_writer;
    sequencer_->SetCounter(old_counter);
    return status;
  }
  return fresh;
}

absl::StatusOr<Record> RecordStore::Get(const v1::RecordKey& key) const {
  Record record;
  record.key = key;
  std::string row = keys::RecordRow(key);
  VS_ASSIGN_OR_RETURN(bool found, ReadRow(db_.get(), row, &record.stored));
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no record ", key.collection(), "/",
                                            key.id(), " in village ",
                                            key.village()));
  }
  return record;
}

absl::StatusOr<std::vector<Record>> RecordStore::List(
    absl::string_view collection, absl::string_view village_prefix,
    size_t limit, absl::string_view start_after) const {
  std::string prefix = keys::RecordRangePrefix(collection, village_prefix);
  std::string start =
      start_after.empty()
          ? prefix
          : absl::StrCat(keys::RecordRangePrefix(collection, ""), start_after,
                         std::string(1, '\0'));
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  std::vector<Record> records;
  for (it->Seek(start); it->Valid() && records.size() < limit; it->Next()) {
    absl::string_view row(it->key().data(), it->key().size());
    if (!absl::StartsWith(row, prefix)) break;
    Record& record = records.emplace_back();
    if (!keys::ParseRecordPath(row.substr(keys::kRecordPrefix.size()),
                               &record.key) ||
        !record.stored.ParseFromArray(it->value().data(),
                                      static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("corrupt row ", row));
    }
  }
  VS_RETURN_IF_ERROR(FromRocksStatus(it->status(), "list records"));
  return records;
}

absl::Status RecordStore::CheckCheckpoint(
    const storage::Checkpoint& after) const {
  for (const storage::Incarnation& inc : history_.incarnations()) {
    if (inc.id() != after.incarnation()) continue;
    uint64_t end = inc.id() == incarnation_ ? last_seq() : inc.end_seq();
    if (after.seq() <= end) return absl::OkStatus();
    break;
  }
  return absl::FailedPreconditionError(
      "checkpoint: it comes from another lineage of this store (another "
      "server, or a copy restored from an older backup); read again from the "
      "start");
}

absl::StatusOr<ChangePage> RecordStore::ReadChanges(
    const ChangeQuery& query) const {
  storage::Checkpoint after;
  if (!query.after.empty()) {
    if (!after.ParseFromString(query.after) || after.incarnation() == 0) {
      return absl::InvalidArgumentError("checkpoint: malformed");
    }
    VS_RETURN_IF_ERROR(CheckCheckpoint(after));
  }
  // Read the complete point before the snapshot: everything at or below it
  // is then in the snapshot.
  uint64_t complete = last_seq();
  ChangePage page;
  PagePosition from{after.seq(),
                    after.has_floor() ? after.floor() : after.seq()};
  VS_ASSIGN_OR_RETURN(PageEnd end,
                      ReadChangePage(db_.get(), query, from, complete, &page));
  storage::Checkpoint next;
  next.set_incarnation(incarnation_);
  next.set_seq(end.last);
  next.set_floor(end.reached_end ? end.last : from.floor);
  page.checkpoint = next.SerializeAsString();
  return page;
}

absl::StatusOr<std::string> RecordStore::CheckpointAt(uint64_t seq) const {
  if (seq > last_seq()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seq: ", seq, " is beyond the change log (", last_seq(), ")"));
  }
  // Floor 0: the records changed after `seq` come whole. Which of their
  // fields the reader has is unknown: a record changed again during the
  // reader's last pass carries fields changed at or below `seq` that it
  // never read (see storage::Checkpoint).
  storage::Checkpoint checkpoint;
  checkpoint.set_incarnation(incarnation_);
  checkpoint.set_seq(seq);
  checkpoint.set_floor(0);
  return checkpoint.SerializeAsString();
}

namespace {

// The checkpoint in `bytes` ("" is the start: incarnation 0, seq 0).
absl::StatusOr<storage::Checkpoint> ParseCheckpoint(absl::string_view bytes) {
  storage::Checkpoint parsed;
  if (!bytes.empty() &&
      !parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("checkpoint: malformed");
  }
  return parsed;
}

}  // namespace

absl::StatusOr<uint64_t> RecordStore::CheckpointSeq(
    absl::string_view checkpoint) {
  VS_ASSIGN_OR_RETURN(storage::Checkpoint parsed, ParseCheckpoint(checkpoint));
  return parsed.seq();
}

absl::StatusOr<uint64_t> RecordStore::CheckpointIncarnation(
    absl::string_view checkpoint) {
  VS_ASSIGN_OR_RETURN(storage::Checkpoint parsed, ParseCheckpoint(checkpoint));
  return parsed.incarnation();
}

std::string RecordStore::CurrentCheckpoint() const {
  storage::Checkpoint checkpoint;
  checkpoint.set_incarnation(incarnation_);
  checkpoint.set_seq(last_seq());
  return checkpoint.SerializeAsString();
}

absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>>
RecordStore::Watermarks() const {
  VS_ASSIGN_OR_RETURN(auto rows, ScanRows(keys::kWatermarkPrefix));
  std::vector<std::pair<uint64_t, uint64_t>> marks;
  for (const auto& [key, value] : rows) {
    marks.emplace_back(keys::DecodeBigEndian(absl::string_view(key).substr(
                           keys::kWatermarkPrefix.size())),
                       keys::DecodeBigEndian(value));
  }
  return marks;
}

absl::Status RecordStore::RaiseWatermarks(
    const std::vector<std::pair<uint64_t, uint64_t>>& watermarks) {
  if (watermarks.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  for (const auto& [replica, seq] : watermarks) {
    batch.Merge(keys::WatermarkRow(replica), keys::EncodeBigEndian(seq));
  }
  return WriteSynced(&batch, "raise watermarks");
}

absl::StatusOr<uint64_t> RecordStore::Watermark(uint64_t source_replica) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(),
                               keys::WatermarkRow(source_replica), &value);
  if (s.IsNotFound()) return 0;
  VS_RETURN_IF_ERROR(FromRocksStatus(s, "read watermark"));
  return keys::DecodeBigEndian(value);
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
RecordStore::ReadCounters(absl::string_view prefix) const {
  VS_ASSIGN_OR_RETURN(auto rows,
                      ScanRows(absl::StrCat(keys::kAggregatePrefix, prefix)));
  std::vector<std::pair<std::string, int64_t>> counters;
  counters.reserve(rows.size());
  for (auto& [key, value] : rows) {
    counters.emplace_back(key.substr(keys::kAggregatePrefix.size()),
                          static_cast<int64_t>(keys::DecodeBigEndian(value)));
  }
  return counters;
}

absl::Status RecordStore::PutMeta(absl::string_view key,
                                  absl::string_view value,
                                  const v1::AuditEntry* audit) {
  rocksdb::WriteBatch batch;
  batch.Put(absl::StrCat(keys::kMetaPrefix, key),
            rocksdb::Slice(value.data(), value.size()));
  if (audit != nullptr) {
    // The change log is not involved: a counter of its own keeps two audit
    // rows of one microsecond apart.
    batch.Put(keys::AuditRow(audit->micros(), ++meta_audit_rows_),
              audit->SerializeAsString());
  }
  return WriteSynced(&batch, "write metadata");
}

absl::Status RecordStore::PutMetaRows(
    const std::vector<std::pair<std::string, std::string>>& rows) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : rows) {
    batch.Put(absl::StrCat(keys::kMetaPrefix, key), value);
  }
  return WriteSynced(&batch, "write metadata");
}

bool RecordStore::HandsBackSealedWrites(const v1::Change& change) const {
  if (!sealer_) return false;
  SealCheck sealed_here = [&](absl::string_view field,
                              const v1::Sibling& sibling) {
    return HasValidSeal(sealer_->key, sealer_->server, change.key(), field,
                        sibling);
  };
  for (const v1::FieldState& f : change.fields()) {
    if (!IsReturnedRegister(f, f.name(), sealed_here)) return false;
  }
  const v1::FieldState& deletion = change.deletion();
  bool deletion_empty =
      deletion.siblings_size() == 0 && deletion.context_size() == 0;
  return (change.fields_size() > 0 || !deletion_empty) &&
         (deletion_empty || IsReturnedRegister(deletion, "", sealed_here));
}

absl::StatusOr<absl::optional<std::string>> RecordStore::GetMeta(
    absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(),
                               absl::StrCat(keys::kMetaPrefix, key), &value);
  if (s.IsNotFound()) return absl::optional<std::string>();
  VS_RETURN_IF_ERROR(FromRocksStatus(s, "read metadata"));
  return absl::optional<std::string>(std::move(value));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
RecordStore::ScanMeta(absl::string_view prefix) const {
  VS_ASSIGN_OR_RETURN(auto rows,
                      ScanRows(absl::StrCat(keys::kMetaPrefix, prefix)));
  for (auto& row : rows) row.first.erase(0, keys::kMetaPrefix.size());
  return rows;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
RecordStore::ScanRows(absl::string_view prefix) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  std::vector<std::pair<std::string, std::string>> rows;
  rocksdb::Slice start(prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start);
       it->Next()) {
    rows.emplace_back(it->key().ToString(), it->value().ToString());
  }
  VS_RETURN_IF_ERROR(FromRocksStatus(it->status(), "scan"));
  return rows;
}

absl::StatusOr<std::vector<v1::Conflict>> RecordStore::ListConflicts(
    const ConflictQuery& query) const {
  return ListConflictRows(db_.get(), query);
}

absl::StatusOr<v1::Conflict> RecordStore::GetConflict(
    const v1::RecordKey& key, absl::string_view field) const {
  return ReadConflictRow(db_.get(), key, field);
}

absl::StatusOr<std::vector<v1::AuditEntry>> RecordStore::ListAudit(
    int64_t since_micros, size_t limit) const {
  return ListAuditRows(db_.get(), since_micros, limit);
}

}  // namespace villagesync
