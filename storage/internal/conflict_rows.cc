#include "storage/internal/conflict_rows.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/causal_context.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"

namespace villagesync {
namespace {

bool SameSiblings(const v1::Conflict& a, const v1::Conflict& b) {
  if (a.status() != b.status() || a.siblings_size() != b.siblings_size()) {
    return false;
  }
  for (int i = 0; i < a.siblings_size(); ++i) {
    if (!DotEqual(a.siblings(i).dot(), b.siblings(i).dot())) return false;
  }
  return true;
}

const v1::Conflict* Find(const std::vector<v1::Conflict>& conflicts,
                         const std::string& field) {
  for (const v1::Conflict& c : conflicts) {
    if (c.field() == field) return &c;
  }
  return nullptr;
}

// The stored row of (key, field); false if there is none.
absl::StatusOr<bool> ReadRow(rocksdb::DB* db, const std::string& row,
                             v1::Conflict* stored) {
  std::string bytes;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), row, &bytes);
  if (s.IsNotFound()) return false;
  VS_RETURN_IF_ERROR(FromRocksStatus(s, "read " + row));
  return stored->ParseFromString(bytes);
}

// When each sibling was first seen: kept from the stored row, or now.
void CarryReceiveTimes(const v1::Conflict& stored, int64_t now,
                       v1::Conflict* conflict) {
  for (const v1::Sibling& s : conflict->siblings()) {
    int64_t received = now;
    for (int i = 0; i < stored.siblings_size(); ++i) {
      if (DotEqual(stored.siblings(i).dot(), s.dot()) &&
          i < stored.received_micros_size()) {
        received = stored.received_micros(i);
      }
    }
    conflict->add_received_micros(received);
  }
}

const v1::Sibling* PreviousOf(const Record& record, const std::string& field) {
  for (const storage::StoredField& f : record.stored.fields()) {
    if (f.state().name() == field && f.has_previous()) return &f.previous();
  }
  return nullptr;
}

absl::Status WriteHeld(rocksdb::DB* db, const ConflictUpdate& u,
                       v1::Conflict conflict, rocksdb::WriteBatch* batch) {
  const v1::Conflict* before = Find(*u.before, conflict.field());
  if (before != nullptr && SameSiblings(*before, conflict))
    return absl::OkStatus();
  std::string row = keys::ConflictRow(conflict.key(), conflict.field());
  v1::Conflict stored;
  VS_ASSIGN_OR_RETURN(bool found, ReadRow(db, row, &stored));
  bool opens = !found || stored.status() == v1::CONFLICT_STATUS_RESOLVED;
  if (opens) {
    conflict.set_opened_seq(u.seq);
    conflict.set_opened_micros(u.micros);
    const v1::Sibling* ancestor = PreviousOf(*u.record, conflict.field());
    if (ancestor != nullptr) *conflict.mutable_ancestor() = *ancestor;
  } else {
    conflict.set_opened_seq(stored.opened_seq());
    conflict.set_opened_micros(stored.opened_micros());
    if (stored.has_ancestor()) *conflict.mutable_ancestor() = stored.ancestor();
  }
  CarryReceiveTimes(opens ? v1::Conflict() : stored, u.micros, &conflict);
  conflict.set_updated_seq(u.seq);
  conflict.set_updated_micros(u.micros);
  batch->Put(row, conflict.SerializeAsString());
  return absl::OkStatus();
}

absl::Status WriteGone(rocksdb::DB* db, const ConflictUpdate& u,
                       const v1::Conflict& gone, rocksdb::WriteBatch* batch) {
  std::string row = keys::ConflictRow(gone.key(), gone.field());
  v1::Conflict stored;
  VS_ASSIGN_OR_RETURN(bool found, ReadRow(db, row, &stored));
  if (!found) stored = gone;
  stored.set_status(v1::CONFLICT_STATUS_RESOLVED);
  stored.set_updated_seq(u.seq);
  stored.set_updated_micros(u.micros);
  if (u.resolved_field != nullptr && *u.resolved_field == gone.field()) {
    stored.set_resolved_by(u.resolver);
    stored.set_reason(u.reason);
  }
  batch->Put(row, stored.SerializeAsString());
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteConflictRows(rocksdb::DB* db, const ConflictUpdate& update,
                               rocksdb::WriteBatch* batch) {
  for (const v1::Conflict& c : *update.now) {
    VS_RETURN_IF_ERROR(WriteHeld(db, update, c, batch));
  }
  for (const v1::Conflict& gone : *update.before) {
    if (Find(*update.now, gone.field()) != nullptr) continue;
    VS_RETURN_IF_ERROR(WriteGone(db, update, gone, batch));
  }
  return absl::OkStatus();
}

namespace {

bool Matches(const ConflictQuery& query, const v1::Conflict& conflict) {
  if (!absl::StartsWith(conflict.key().village(), query.village_prefix)) {
    return false;
  }
  if (query.status != v1::CONFLICT_STATUS_UNSPECIFIED &&
      conflict.status() != query.status) {
    return false;
  }
  return query.opened_before_micros == 0 ||
         conflict.opened_micros() < query.opened_before_micros;
}

}  // namespace

absl::StatusOr<std::vector<v1::Conflict>> ListConflictRows(
    rocksdb::DB* db, const ConflictQuery& query) {
  std::string prefix =
      query.collection.empty()
          ? std::string(keys::kConflictPrefix)
          : absl::StrCat(keys::kConflictPrefix, query.collection, "/");
  std::string start =
      query.start_after.empty()
          ? prefix
          : absl::StrCat(keys::kConflictPrefix, query.start_after,
                         std::string(1, '\0'));
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  std::vector<v1::Conflict> conflicts;
  for (it->Seek(start); it->Valid() && conflicts.size() < query.limit;
       it->Next()) {
    if (!it->key().starts_with(prefix)) break;
    v1::Conflict conflict;
    if (!conflict.ParseFromArray(it->value().data(),
                                 static_cast<int>(it->value().size()))) {
      return absl::DataLossError("corrupt conflict row");
    }
    if (Matches(query, conflict)) conflicts.push_back(std::move(conflict));
  }
  VS_RETURN_IF_ERROR(FromRocksStatus(it->status(), "list conflicts"));
  return conflicts;
}

absl::StatusOr<v1::Conflict> ReadConflictRow(rocksdb::DB* db,
                                             const v1::RecordKey& key,
                                             absl::string_view field) {
  std::string row = keys::ConflictRow(key, field);
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), row, &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no conflict on ", key.collection(),
                                            "/", key.id(), " ", field));
  }
  VS_RETURN_IF_ERROR(FromRocksStatus(s, "read conflict"));
  v1::Conflict conflict;
  if (!conflict.ParseFromString(value)) {
    return absl::DataLossError("corrupt conflict row");
  }
  return conflict;
}

absl::StatusOr<std::vector<v1::AuditEntry>> ListAuditRows(rocksdb::DB* db,
                                                          int64_t since_micros,
                                                          size_t limit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  std::vector<v1::AuditEntry> entries;
  for (it->Seek(keys::AuditRow(std::max<int64_t>(since_micros, 0), 0));
       it->Valid() && entries.size() < limit; it->Next()) {
    if (!it->key().starts_with(rocksdb::Slice(keys::kAuditPrefix.data(),
                                              keys::kAuditPrefix.size()))) {
      break;
    }
    v1::AuditEntry& entry = entries.emplace_back();
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError("corrupt audit row");
    }
  }
  VS_RETURN_IF_ERROR(FromRocksStatus(it->status(), "list audit"));
  return entries;
}

}  // namespace villagesync
