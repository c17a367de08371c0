#include "storage/internal/write_planner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/causal_context.h"
#include "storage/field_merge.h"
#include "storage/internal/conflict_rows.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"
#include "storage/local_change.h"
#include "storage/resolution.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

// True if the record may hold a conflict (several values in some register):
// the common case, a record with one value per field, skips deriving them.
bool MayConflict(const storage::StoredRecord& stored) {
  if (stored.deletion().state().siblings_size() > 0) return true;
  for (const storage::StoredField& f : stored.fields()) {
    if (f.state().siblings_size() > 1) return true;
  }
  return false;
}

std::vector<v1::Conflict> ConflictsOf(const Record& record,
                                      const SchemaRegistry& schemas) {
  if (!MayConflict(record.stored)) return {};
  return DeriveConflicts(record,
                         *schemas.FindCollection(record.key.collection()));
}

// A register with nothing in it: joining it changes nothing.
bool IsEmpty(const v1::FieldState& state) {
  return state.siblings_size() == 0 && state.context_size() == 0;
}

// Remembers the value `incoming` supersedes in `field` (the latest of the
// local values its context covers and it does not keep), for the three-way
// view of a conflict and for "keep" after a delete.
void NotePrevious(storage::StoredField* field, const v1::FieldState& incoming) {
  google::protobuf::RepeatedPtrField<v1::Sibling> superseded;
  for (const v1::Sibling& s : field->state().siblings()) {
    if (IsCleared(s.value()) || !Covers(incoming.context(), s.dot())) continue;
    bool kept = false;
    for (const v1::Sibling& i : incoming.siblings()) {
      kept = kept || DotEqual(i.dot(), s.dot());
    }
    if (!kept) *superseded.Add() = s;
  }
  if (!superseded.empty())
    *field->mutable_previous() = ProvisionalWinner(superseded);
}

// The stored field named `name`, inserted in name order if missing.
storage::StoredField* FieldSlot(storage::StoredRecord* stored,
                                const std::string& name) {
  auto* fields = stored->mutable_fields();
  auto it =
      std::lower_bound(fields->begin(), fields->end(), name,
                       [](const storage::StoredField& f, const std::string& n) {
                         return f.state().name() < n;
                       });
  if (it != fields->end() && it->state().name() == name) return &*it;
  int index = static_cast<int>(it - fields->begin());
  fields->Add()->mutable_state()->set_name(name);
  for (int i = fields->size() - 1; i > index; --i)
    fields->SwapElements(i, i - 1);
  return fields->Mutable(index);
}

bool OpensConflict(const v1::Change& change,
                   const std::vector<v1::Conflict>& conflicts) {
  for (const v1::Conflict& c : conflicts) {
    if (c.status() != v1::CONFLICT_STATUS_OPEN) continue;
    if (c.field().empty()) return true;
    for (const v1::FieldState& f : change.fields()) {
      if (f.name() == c.field()) return true;
    }
  }
  return false;
}

v1::ApplyResult Outcome(v1::ApplyOutcome outcome, const absl::Status& status) {
  v1::ApplyResult result;
  result.set_outcome(outcome);
  result.set_reason(std::string(status.message()));
  result.set_code(static_cast<int>(status.code()));
  return result;
}

v1::ApplyResult Rejected(const absl::Status& status) {
  return Outcome(v1::APPLY_OUTCOME_REJECTED, status);
}

v1::ApplyResult Deferred(const absl::Status& status) {
  return Outcome(v1::APPLY_OUTCOME_DEFERRED, status);
}

const storage::StoredField* FindStored(const storage::StoredRecord& stored,
                                       const std::string& name) {
  for (const storage::StoredField& f : stored.fields()) {
    if (f.state().name() == name) return &f;
  }
  return nullptr;
}

// FAILED_PRECONDITION if `stored` holds a value with the dot of one of
// `incoming`'s values but different content: the writer issued that dot
// twice (its store was restored from an older copy).
absl::Status CheckNotReused(const v1::FieldState& stored,
                            const v1::FieldState& incoming,
                            absl::string_view name) {
  for (const v1::Sibling& in : incoming.siblings()) {
    for (const v1::Sibling& held : stored.siblings()) {
      if (!DotEqual(held.dot(), in.dot())) continue;
      if (ValueEquals(held.value(), in.value()) && held.hlc() == in.hlc()) {
        continue;
      }
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s.dot: replica %016x already wrote something else with counter %d: "
          "its store was restored from an older copy; it must take a new "
          "replica id (villagesync does so at its next sync)",
          name, in.dot().replica(), in.dot().counter()));
    }
  }
  return absl::OkStatus();
}

// INVALID_ARGUMENT unless every value of `incoming` is one `stored` has
// already seen: an append-only record is written once.
absl::Status CheckWrittenOnce(const storage::StoredField* stored,
                              const v1::FieldState& incoming) {
  for (const v1::Sibling& s : incoming.siblings()) {
    if (stored != nullptr && Covers(stored->state().context(), s.dot())) {
      continue;
    }
    return InvalidField("id",
                        "the record exists already, and its collection is "
                        "append-only: records are written once; write a new "
                        "record whose \"corrects\" field points at it");
  }
  return absl::OkStatus();
}

// INVALID_ARGUMENT if `change`, which writes no deletion marker, writes
// fields of a record deleted by a delete its contexts have seen: making a
// deleted record live again is a re-creation, which writes the marker (and
// so needs the right to delete).
absl::Status CheckNotAfterDelete(const storage::StoredRecord& stored,
                                 const v1::Change& change) {
  for (const v1::Dot& deleted : DeleteDots(stored)) {
    for (const v1::FieldState& f : change.fields()) {
      // A register with no value (a retraction) writes nothing.
      if (f.siblings_size() == 0 || !Covers(f.context(), deleted)) continue;
      return InvalidField("deletion",
                          "the record is deleted: writing it again re-creates "
                          "it, which sets the deletion marker");
    }
  }
  return absl::OkStatus();
}

// The author of every value the device wrote becomes `device.author` (the
// authenticated user); writes a device hands back keep theirs (sealed).
void StampAuthor(const DevicePush& device, v1::Change* change) {
  auto stamp = [&device](v1::FieldState* state) {
    for (v1::Sibling& s : *state->mutable_siblings()) {
      if (s.dot().replica() == device.replica) s.set_author(device.author);
    }
  };
  for (v1::FieldState& f : *change->mutable_fields()) stamp(&f);
  stamp(change->mutable_deletion());
}

// True if `retraction`, a register of `device`'s with no value, would
// remove a value `held` has (a value of `device`'s it covers). Such a
// retraction is not joined: it may only tell this store of writes it lost.
bool RemovesHeldValue(const v1::FieldState& retraction,
                      const v1::FieldState& held, uint64_t device) {
  for (const v1::Sibling& s : held.siblings()) {
    if (s.dot().replica() == device && Covers(retraction.context(), s.dot())) {
      return true;
    }
  }
  return false;
}

// Leaves out of `change`, a device's, every retraction that would remove a
// value `stored` holds (see KeepOwnValuesOnly): the value that superseded
// it has not reached this store yet, and will bring its own claims. With
// `stored` null (no such record here), leaves out every retraction: a
// record of contexts alone would show as an empty record. Returns how many
// were left out.
int DropRetractions(const storage::StoredRecord* stored, uint64_t device,
                    v1::Change* change) {
  static const storage::StoredField kNone;
  auto removes = [&](const v1::FieldState& f, const v1::FieldState& held) {
    return IsRetraction(f, device) &&
           (stored == nullptr || RemovesHeldValue(f, held, device));
  };
  int dropped = 0;
  auto* fields = change->mutable_fields();
  for (int i = fields->size() - 1; i >= 0; --i) {
    const storage::StoredField* held =
        stored != nullptr ? FindStored(*stored, fields->Get(i).name())
                          : nullptr;
    if (removes(fields->Get(i), (held != nullptr ? *held : kNone).state())) {
      fields->DeleteSubrange(i, 1);
      ++dropped;
    }
  }
  const v1::FieldState& deletion =
      (stored != nullptr ? stored->deletion() : kNone).state();
  if (removes(change->deletion(), deletion)) {
    change->clear_deletion();
    ++dropped;
  }
  return dropped;
}

// Lowers `replica`'s entry of `context` to at most `counter` (0 removes it).
void LowerContext(CausalContext* context, uint64_t replica, uint64_t counter) {
  for (int i = 0; i < context->size(); ++i) {
    v1::Dot* entry = context->Mutable(i);
    if (entry->replica() != replica) continue;
    entry->set_counter(std::min(entry->counter(), counter));
    if (entry->counter() == 0) context->DeleteSubrange(i, 1);
    return;
  }
}

void PutRow(rocksdb::WriteBatch* batch, absl::string_view row,
            const std::string& value) {
  batch->Put(rocksdb::Slice(row.data(), row.size()), value);
}

void MergeMax(rocksdb::WriteBatch* batch, absl::string_view row,
              uint64_t value) {
  batch->Merge(rocksdb::Slice(row.data(), row.size()),
               keys::EncodeBigEndian(value));
}

}  // namespace

WritePlanner::WritePlanner(rocksdb::DB* db, const SchemaRegistry& schemas,
                           Sequencer* sequencer, HybridClock* clock,
                           uint64_t replica_id, const Aggregator* aggregator,
                           const Sealer* sealer)
    : db_(db),
      schemas_(schemas),
      sequencer_(sequencer),
      clock_(clock),
      replica_id_(replica_id),
      aggregator_(aggregator),
      sealer_(sealer) {}

Contribution WritePlanner::ContributionOf(const Record& record) const {
  Contribution contribution;
  const v1::CollectionSchema* schema =
      schemas_.FindCollection(record.key.collection());
  if (aggregator_ != nullptr && schema != nullptr &&
      aggregator_->Wants(record.key.collection())) {
    aggregator_->Contribute(ViewRecord(record, *schema), &contribution);
  }
  return contribution;
}

void WritePlanner::WriteCounters(rocksdb::WriteBatch* batch) const {
  if (aggregator_ == nullptr) return;
  Contribution deltas;
  for (const Slot* slot : dirty_) {
    for (const auto& [key, amount] : slot->old_contribution)
      deltas[key] -= amount;
    for (const auto& [key, amount] : ContributionOf(slot->record)) {
      deltas[key] += amount;
    }
  }
  for (const auto& [key, delta] : deltas) {
    if (delta == 0) continue;
    batch->Merge(absl::StrCat(keys::kAggregatePrefix, key),
                 keys::EncodeBigEndian(static_cast<uint64_t>(delta)));
  }
}

absl::StatusOr<WritePlanner::Slot*> WritePlanner::Adopt(
    const std::string& row, const v1::RecordKey& key,
    const rocksdb::Slice* stored) {
  Slot& slot = slots_[row];
  slot.record.key = key;
  if (stored == nullptr) return &slot;
  if (!slot.record.stored.ParseFromArray(stored->data(),
                                         static_cast<int>(stored->size()))) {
    slots_.erase(row);
    return absl::DataLossError(absl::StrCat("corrupt row ", row));
  }
  slot.exists = true;
  slot.logged_seq = slot.record.stored.seq();
  slot.own_logged_seq = slot.record.stored.own_seq();
  slot.old_conflicts = ConflictsOf(slot.record, schemas_);
  slot.old_contribution = ContributionOf(slot.record);
  return &slot;
}

absl::StatusOr<WritePlanner::Slot*> WritePlanner::Load(
    const v1::RecordKey& key) {
  std::string row = keys::RecordRow(key);
  auto it = slots_.find(row);
  if (it != slots_.end()) return &it->second;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), row, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocksStatus(s, "read " + row);
  rocksdb::Slice stored(value);
  return Adopt(row, key, s.ok() ? &stored : nullptr);
}

absl::Status WritePlanner::Prefetch(
    const std::vector<const v1::Change*>& changes) {
  std::vector<std::string> rows;
  std::vector<const v1::RecordKey*> row_keys;
  for (const v1::Change* c : changes) {
    std::string row = keys::RecordRow(c->key());
    if (slots_.contains(row)) continue;
    rows.push_back(std::move(row));
    row_keys.push_back(&c->key());
  }
  std::vector<rocksdb::Slice> slices(rows.begin(), rows.end());
  std::vector<rocksdb::PinnableSlice> values(rows.size());
  std::vector<rocksdb::Status> statuses(rows.size());
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                slices.size(), slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (slots_.contains(rows[i])) continue;  // a repeated key in this batch
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return FromRocksStatus(statuses[i], "read " + rows[i]);
    }
    VS_RETURN_IF_ERROR(
        Adopt(rows[i], *row_keys[i], statuses[i].ok() ? &values[i] : nullptr)
            .status());
  }
  return absl::OkStatus();
}

bool WritePlanner::Join(Slot* slot, const v1::Change& change, bool local) {
  storage::StoredRecord& stored = slot->record.stored;
  // Element addresses of a RepeatedPtrField survive inserts, so the pointers
  // collected here stay valid while more fields are added.
  std::vector<storage::StoredField*> touched;
  for (const v1::FieldState& incoming : change.fields()) {
    if (IsEmpty(incoming)) continue;
    storage::StoredField* field = FieldSlot(&stored, incoming.name());
    NotePrevious(field, incoming);
    if (JoinFieldState(field->mutable_state(), incoming))
      touched.push_back(field);
  }
  if (!IsEmpty(change.deletion())) {
    storage::StoredField* deletion = stored.mutable_deletion();
    if (JoinFieldState(deletion->mutable_state(), change.deletion())) {
      touched.push_back(deletion);
    }
  }
  if (touched.empty()) return false;
  MarkChanged(slot, touched, local);
  NoteKnown(change);
  return true;
}

void WritePlanner::MarkChanged(
    Slot* slot, const std::vector<storage::StoredField*>& touched, bool local) {
  storage::StoredRecord& stored = slot->record.stored;
  uint64_t seq = sequencer_->NextSeq();
  seqs_.push_back(seq);
  for (storage::StoredField* field : touched) {
    field->set_seq(seq);
    if (local) field->set_own_seq(seq);
  }
  if (local) stored.set_own_seq(seq);
  if (!slot->exists) stored.set_created_seq(seq);
  slot->exists = true;
  stored.set_seq(seq);
  if (!slot->dirty) {
    slot->dirty = true;
    dirty_.push_back(slot);
  }
}

void WritePlanner::NoteKnown(const v1::Change& change) {
  // Every value's dot is in its register's context (validation): the
  // contexts hold the highest counter of each writer.
  auto note = [this](const v1::FieldState& state) {
    for (const v1::Dot& d : state.context()) {
      uint64_t& known = raise_known_[d.replica()];
      known = std::max(known, d.counter());
    }
  };
  for (const v1::FieldState& f : change.fields()) note(f);
  note(change.deletion());
}

v1::ApplyResult WritePlanner::ApplyOne(const v1::Change& change) {
  absl::Status valid = ValidateChange(schemas_, change);
  if (!valid.ok()) return Rejected(valid);
  return JoinRemote(change);
}

absl::Status WritePlanner::CheckAgainstStored(const Slot& slot,
                                              const v1::Change& change,
                                              const DevicePush& device,
                                              const SealCheck& sealed_here) {
  const storage::StoredRecord& stored = slot.record.stored;
  const v1::CollectionSchema& schema =
      *schemas_.FindCollection(change.key().collection());
  bool append_only = schema.kind() == v1::COLLECTION_KIND_APPEND_ONLY;
  static const CausalContext kNothing;
  // Rejections first; a deferral only if nothing is wrong with the change.
  absl::Status deferral;
  auto claims = [&](const v1::FieldState& incoming, const CausalContext& held,
                    absl::string_view field, const std::string& name) {
    if (deferral.ok() && !IsReturnedRegister(incoming, field, sealed_here)) {
      deferral = CheckClaims(incoming, held, name, device.replica);
    }
  };
  for (const v1::FieldState& f : change.fields()) {
    std::string name = absl::StrCat("fields.", f.name());
    const storage::StoredField* held =
        slot.exists ? FindStored(stored, f.name()) : nullptr;
    if (held != nullptr) {
      VS_RETURN_IF_ERROR(CheckNotReused(held->state(), f, name));
    }
    if (append_only && slot.exists) {
      VS_RETURN_IF_ERROR(CheckWrittenOnce(held, f));
    }
    claims(f, held != nullptr ? held->state().context() : kNothing, f.name(),
           name);
  }
  if (!IsEmpty(change.deletion())) {
    VS_RETURN_IF_ERROR(CheckNotReused(stored.deletion().state(),
                                      change.deletion(), "deletion"));
    claims(change.deletion(), stored.deletion().state().context(), "",
           "deletion");
  } else if (slot.exists) {
    absl::Status after_delete = CheckNotAfterDelete(stored, change);
    if (!after_delete.ok()) {
      // Refused only if the deletion marker here has seen all the change
      // claims: otherwise the device may have seen a re-creation this store
      // has not received (yet, or lost in a restore), and the change waits
      // for it rather than being refused for good.
      for (const v1::FieldState& f : change.fields()) {
        VS_RETURN_IF_ERROR(CheckClaims(f, stored.deletion().state().context(),
                                       "deletion", device.replica));
      }
      return after_delete;
    }
  }
  return deferral;
}

v1::ApplyResult WritePlanner::ApplyFromDevice(const v1::Change& change,
                                              const DevicePush& device,
                                              absl::Status* abort) {
  SealCheck sealed_here;
  if (sealer_ != nullptr) {
    sealed_here = [this, &change](absl::string_view field,
                                  const v1::Sibling& sibling) {
      return HasValidSeal(sealer_->key, sealer_->server, change.key(), field,
                          sibling);
    };
  }
  absl::Status valid = ValidateChange(schemas_, change);
  if (valid.ok()) {
    valid =
        CheckDeviceChange(*schemas_.FindCollection(change.key().collection()),
                          change, device.replica, known_, sealed_here);
  }
  if (absl::IsUnavailable(valid)) return Deferred(valid);
  if (!valid.ok()) return Rejected(valid);
  absl::StatusOr<Slot*> slot = Load(change.key());
  if (!slot.ok()) return Rejected(slot.status());
  absl::Status stored = CheckAgainstStored(**slot, change, device, sealed_here);
  if (absl::IsFailedPrecondition(stored)) *abort = stored;
  if (absl::IsUnavailable(stored)) {
    return JoinBelievable(**slot, change, device, sealed_here, stored);
  }
  if (!stored.ok()) return Rejected(stored);
  return JoinFromDevice(**slot, change, device);
}

v1::ApplyResult WritePlanner::JoinFromDevice(const Slot& slot,
                                             const v1::Change& change,
                                             const DevicePush& device) {
  v1::Change stamped = change;
  StampAuthor(device, &stamped);
  bool exists = slot.exists;
  int dropped = DropRetractions(exists ? &slot.record.stored : nullptr,
                                device.replica, &stamped);
  bool left = stamped.fields_size() > 0 ||
              stamped.deletion().siblings_size() > 0 ||
              stamped.deletion().context_size() > 0;
  v1::ApplyResult joined;
  joined.set_outcome(v1::APPLY_OUTCOME_DUPLICATE);
  if (left) joined = JoinRemote(stamped);
  if (exists || dropped == 0 ||
      joined.outcome() == v1::APPLY_OUTCOME_REJECTED) {
    return joined;
  }
  // Retractions of writes to a record not here yet go again later.
  return Deferred(absl::UnavailableError(
      "fields: retracts writes to a record this server does not hold yet; "
      "send it again later"));
}

v1::ApplyResult WritePlanner::JoinBelievable(const Slot& slot,
                                             const v1::Change& change,
                                             const DevicePush& device,
                                             const SealCheck& sealed_here,
                                             const absl::Status& deferral) {
  static const CausalContext kNothing;
  v1::Change believable = change;
  const storage::StoredRecord& stored = slot.record.stored;
  for (v1::FieldState& f : *believable.mutable_fields()) {
    if (IsReturnedRegister(f, f.name(), sealed_here)) continue;
    const storage::StoredField* held =
        slot.exists ? FindStored(stored, f.name()) : nullptr;
    LimitClaims(held != nullptr ? held->state().context() : kNothing,
                device.replica, &f);
  }
  if (!IsReturnedRegister(change.deletion(), "", sealed_here)) {
    LimitClaims(stored.deletion().state().context(), device.replica,
                believable.mutable_deletion());
  }
  if (!CheckAgainstStored(slot, believable, device, sealed_here).ok()) {
    return Deferred(deferral);
  }
  v1::ApplyResult joined = JoinFromDevice(slot, believable, device);
  if (joined.outcome() == v1::APPLY_OUTCOME_REJECTED) return joined;
  return Deferred(absl::UnavailableError(
      absl::StrCat(deferral.message(),
                   "; its values are kept meanwhile, as concurrent with "
                   "what it claims")));
}

v1::ApplyResult WritePlanner::JoinRemote(const v1::Change& change) {
  absl::StatusOr<Slot*> slot = Load(change.key());
  if (!slot.ok()) return Rejected(slot.status());
  for (const v1::FieldState& f : change.fields()) {
    for (const v1::Sibling& s : f.siblings()) clock_->Observe(s.hlc());
  }
  v1::ApplyResult result;
  if (!Join(*slot, change)) {
    result.set_outcome(v1::APPLY_OUTCOME_DUPLICATE);
    return result;
  }
  bool conflict = OpensConflict(change, ConflictsOf((*slot)->record, schemas_));
  result.set_outcome(conflict ? v1::APPLY_OUTCOME_CONFLICT
                              : v1::APPLY_OUTCOME_APPLIED);
  return result;
}

absl::Status WritePlanner::PrefetchKnown(uint64_t device) {
  std::string value;
  std::string row = keys::KnownCounterRow(device);
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), row, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  VS_RETURN_IF_ERROR(FromRocksStatus(s, "read " + row));
  known_[device] = keys::DecodeBigEndian(value);
  return absl::OkStatus();
}

void WritePlanner::PlanApply(WriteJob* job) {
  job->status = Prefetch(job->changes);
  if (job->status.ok() && job->device != nullptr) {
    job->status = PrefetchKnown(job->device->replica);
  }
  if (!job->status.ok()) return;
  job->results.reserve(job->changes.size());
  uint64_t high = 0;
  bool deferring = false;
  for (const v1::Change* change : job->changes) {
    absl::Status abort;
    job->results.push_back(
        job->device == nullptr
            ? ApplyOne(*change)
            : ApplyFromDevice(*change, *job->device, &abort));
    if (!abort.ok()) {
      job->status = abort;
      return;
    }
    // A device re-sends from its first deferred change: the watermark must
    // not pass it (the changes after it are applied all the same).
    deferring = deferring ||
                job->results.back().outcome() == v1::APPLY_OUTCOME_DEFERRED;
    if (!deferring) high = std::max(high, change->seq());
  }
  if (job->source_replica != 0 && high > 0) {
    uint64_t& mark = watermarks_[job->source_replica];
    mark = std::max(mark, high);
  }
}

void WritePlanner::SealOwn(const v1::Dot& dot, v1::Change* change) const {
  if (sealer_ == nullptr) return;
  auto seal = [&](absl::string_view field, v1::FieldState* state) {
    for (v1::Sibling& s : *state->mutable_siblings()) {
      if (!DotEqual(s.dot(), dot)) continue;
      s.set_seal(Seal(sealer_->key, sealer_->server, change->key(), field, s));
    }
  };
  for (v1::FieldState& f : *change->mutable_fields()) seal(f.name(), &f);
  seal("", change->mutable_deletion());
}

v1::Dot WritePlanner::NextDot() {
  last_counter_ = sequencer_->NextCounter();
  v1::Dot dot;
  dot.set_replica(replica_id_);
  dot.set_counter(last_counter_);
  return dot;
}

absl::Status WritePlanner::PlanPut(const LocalEdit& edit, v1::Change* out) {
  VS_RETURN_IF_ERROR(ValidateKey(schemas_, edit.key));
  VS_ASSIGN_OR_RETURN(Slot * slot, Load(edit.key));
  const Record* current = slot->exists ? &slot->record : nullptr;
  VS_RETURN_IF_ERROR(CheckPut(schemas_, current, edit));
  WriteStamp stamp{NextDot(), clock_->Tick(), edit.author};
  *out = MakePut(current, edit, stamp);
  SealOwn(stamp.dot, out);
  Join(slot, *out, /*local=*/true);
  out->set_seq(slot->record.stored.seq());
  return absl::OkStatus();
}

absl::Status WritePlanner::PlanDelete(const v1::RecordKey& key,
                                      absl::string_view author,
                                      v1::Change* out) {
  VS_RETURN_IF_ERROR(ValidateKey(schemas_, key));
  VS_ASSIGN_OR_RETURN(Slot * slot, Load(key));
  const Record* current = slot->exists ? &slot->record : nullptr;
  VS_RETURN_IF_ERROR(CheckDelete(schemas_, current, key));
  WriteStamp stamp{NextDot(), clock_->Tick(), std::string(author)};
  *out = MakeDelete(slot->record, stamp);
  SealOwn(stamp.dot, out);
  Join(slot, *out, /*local=*/true);
  out->set_seq(slot->record.stored.seq());
  return absl::OkStatus();
}

absl::Status WritePlanner::PlanResolve(const Resolution& resolution,
                                       v1::Change* out) {
  VS_RETURN_IF_ERROR(ValidateKey(schemas_, resolution.key));
  VS_ASSIGN_OR_RETURN(Slot * slot, Load(resolution.key));
  if (!slot->exists) {
    return absl::NotFoundError(absl::StrCat(
        "no record ", resolution.key.collection(), "/", resolution.key.id()));
  }
  WriteStamp stamp{NextDot(), clock_->Tick(), resolution.resolver};
  VS_ASSIGN_OR_RETURN(
      *out, MakeResolution(schemas_, slot->record, resolution, stamp));
  SealOwn(stamp.dot, out);
  Join(slot, *out, /*local=*/true);
  out->set_seq(slot->record.stored.seq());
  slot->resolution = &resolution;
  v1::AuditEntry& entry = audit_.emplace_back();
  entry.set_micros(absl::ToUnixMicros(absl::Now()));
  entry.set_actor(resolution.resolver);
  entry.set_action("conflict.resolve");
  entry.set_region(resolution.key.village());
  entry.set_target(
      absl::StrCat(keys::RecordPath(resolution.key), "/",
                   resolution.field.empty() ? "_record" : resolution.field));
  entry.set_detail(DescribeResolution(resolution));
  return absl::OkStatus();
}

bool WritePlanner::Restamp(v1::FieldState* state, const WriteJob& job) {
  bool changed = false;
  for (v1::Sibling& s : *state->mutable_siblings()) {
    if (s.dot().replica() != job.old_writer) continue;
    *s.mutable_dot() = NextDot();
    s.set_hlc(clock_->Tick());
    AddDot(state->mutable_context(), s.dot());
    changed = true;
  }
  if (!changed) return false;
  LowerContext(state->mutable_context(), job.old_writer, job.acked_counter);
  std::sort(state->mutable_siblings()->begin(),
            state->mutable_siblings()->end(),
            [](const v1::Sibling& a, const v1::Sibling& b) {
              return DotLess(a.dot(), b.dot());
            });
  return true;
}

void WritePlanner::PlanReidentify(WriteJob* job) {
  new_identity_ = true;
  for (const v1::RecordKey& key : job->outbox) {
    absl::StatusOr<Slot*> slot = Load(key);
    if (!slot.ok()) {
      job->status = slot.status();
      return;
    }
    storage::StoredRecord& stored = (*slot)->record.stored;
    std::vector<storage::StoredField*> touched;
    for (storage::StoredField& f : *stored.mutable_fields()) {
      if (Restamp(f.mutable_state(), *job)) touched.push_back(&f);
    }
    if (stored.has_deletion() &&
        Restamp(stored.mutable_deletion()->mutable_state(), *job)) {
      touched.push_back(stored.mutable_deletion());
    }
    if (!touched.empty()) MarkChanged(*slot, touched, /*local=*/true);
  }
}

void WritePlanner::Plan(WriteJob* job) {
  switch (job->kind) {
    case WriteJob::Kind::kApply:
      PlanApply(job);
      return;
    case WriteJob::Kind::kPut:
      job->status = PlanPut(*job->edit, &job->change);
      return;
    case WriteJob::Kind::kDelete:
      job->status = PlanDelete(*job->key, job->author, &job->change);
      return;
    case WriteJob::Kind::kResolve:
      job->status = PlanResolve(*job->resolution, &job->change);
      return;
    case WriteJob::Kind::kReidentify:
      PlanReidentify(job);
      return;
  }
}

absl::Status WritePlanner::WriteConflicts(const Slot& slot,
                                          rocksdb::WriteBatch* batch) {
  std::vector<v1::Conflict> now = ConflictsOf(slot.record, schemas_);
  ConflictUpdate update;
  update.record = &slot.record;
  update.before = &slot.old_conflicts;
  update.now = &now;
  update.seq = slot.record.stored.seq();
  update.micros = absl::ToUnixMicros(absl::Now());
  if (slot.resolution != nullptr) {
    update.resolved_field = &slot.resolution->field;
    update.resolver = slot.resolution->resolver;
    update.reason = slot.resolution->reason;
  }
  return WriteConflictRows(db_, update, batch);
}

absl::Status WritePlanner::Build(rocksdb::WriteBatch* batch) {
  for (const Slot* dirty : dirty_) {
    const Slot& slot = *dirty;
    std::string row = keys::RecordRow(slot.record.key);
    std::string path = keys::RecordPath(slot.record.key);
    if (slot.logged_seq != 0) batch->Delete(keys::LogRow(slot.logged_seq));
    batch->Put(keys::LogRow(slot.record.stored.seq()), path);
    uint64_t own = slot.record.stored.own_seq();
    if (own != slot.own_logged_seq) {
      if (slot.own_logged_seq != 0) {
        batch->Delete(keys::OwnLogRow(slot.own_logged_seq));
      }
      batch->Put(keys::OwnLogRow(own), path);
    }
    batch->Put(row, slot.record.stored.SerializeAsString());
    VS_RETURN_IF_ERROR(WriteConflicts(slot, batch));
  }
  for (const auto& [replica, seq] : watermarks_) {
    MergeMax(batch, keys::WatermarkRow(replica), seq);
  }
  for (const auto& [replica, counter] : raise_known_) {
    MergeMax(batch, keys::KnownCounterRow(replica), counter);
  }
  WriteCounters(batch);
  for (const v1::AuditEntry& entry : audit_) {
    batch->Put(keys::AuditRow(entry.micros(), seqs_.back()),
               entry.SerializeAsString());
  }
  // Concurrent batches commit in any order: max-merge keeps the counters
  // from going back.
  if (!seqs_.empty()) MergeMax(batch, keys::kLastSeq, seqs_.back());
  if (new_identity_) {
    // The counter starts again under the new id: a Put, not a max-merge.
    PutRow(batch, keys::kReplicaId, keys::EncodeBigEndian(replica_id_));
    PutRow(batch, keys::kLastCounter, keys::EncodeBigEndian(last_counter_));
  } else if (last_counter_ != 0) {
    MergeMax(batch, keys::kLastCounter, last_counter_);
  }
  MergeMax(batch, keys::kLastHlc, clock_->last());
  return absl::OkStatus();
}

}  // namespace villagesync
