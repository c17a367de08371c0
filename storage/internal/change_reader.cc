#include "storage/internal/change_reader.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "rocksdb/db.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"

namespace villagesync {
namespace {

// How many log rows one page scans at most when few match its prefix.
constexpr size_t kMaxScannedPerPage = 100000;

// True if every value of `state` and every write its context has seen are
// `replica`'s: then `replica` holds `state` as it is. A register whose
// values are all `replica`'s but whose context has seen writes of others
// may tell `replica` that a value it still holds was superseded (this store
// learned it after `replica` wrote), so it is not left out.
bool OnlyWritesOf(const v1::FieldState& state, uint64_t replica) {
  for (const v1::Sibling& s : state.siblings()) {
    if (s.dot().replica() != replica) return false;
  }
  for (const v1::Dot& d : state.context()) {
    if (d.replica() != replica) return false;
  }
  return state.siblings_size() > 0;
}

// True if `query` wants `field` as of checkpoint `since`.
bool Wanted(const storage::StoredField& field, uint64_t since,
            const ChangeQuery& query) {
  if (field.seq() <= since) return false;
  if (query.own_writes_only && field.own_seq() <= since) return false;
  return query.skip_replica == 0 ||
         !OnlyWritesOf(field.state(), query.skip_replica);
}

// The part of `stored` that changed after `since` (see ChangeQuery).
v1::Change ChangeSince(const v1::RecordKey& key,
                       const storage::StoredRecord& stored, uint64_t since,
                       const ChangeQuery& query) {
  v1::Change change;
  *change.mutable_key() = key;
  // An outbox's changes carry their own-writes position: what the device
  // resumes from, and what the server's watermark for it counts.
  change.set_seq(query.own_writes_only ? stored.own_seq() : stored.seq());
  bool whole = stored.created_seq() > since;
  for (const storage::StoredField& f : stored.fields()) {
    if (Wanted(f, since, query)) {
      *change.add_fields() = f.state();
    } else {
      whole = false;
    }
  }
  const storage::StoredField& deletion = stored.deletion();
  if (Wanted(deletion, since, query)) {
    *change.mutable_deletion() = deletion.state();
  }
  change.set_creates(whole);
  return change;
}

bool IsEmptyChange(const v1::Change& change) {
  return change.fields_size() == 0 && change.deletion().siblings_size() == 0 &&
         change.deletion().context_size() == 0;
}

// Reads one page of a log index (the change log, or the own-writes index for
// an outbox) under a snapshot, stopping at the complete point.
class PageReader {
 public:
  PageReader(rocksdb::DB* db, const ChangeQuery& query, PagePosition from,
             uint64_t complete)
      : db_(db), query_(query), from_(from), complete_(complete) {
    options_.snapshot = db_->GetSnapshot();
  }
  ~PageReader() { db_->ReleaseSnapshot(options_.snapshot); }

  // Fills `page->changes` and `page->more`.
  absl::StatusOr<PageEnd> Read(ChangePage* page) {
    absl::string_view prefix =
        query_.own_writes_only ? keys::kOwnLogPrefix : keys::kLogPrefix;
    std::string start = query_.own_writes_only
                            ? keys::OwnLogRow(from_.since + 1)
                            : keys::LogRow(from_.since + 1);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options_));
    PageEnd end{from_.since, true};
    size_t bytes = 0, scanned = 0;
    for (it->Seek(start); it->Valid(); it->Next()) {
      absl::string_view row(it->key().data(), it->key().size());
      if (!absl::StartsWith(row, prefix)) break;
      uint64_t seq = keys::LogSeq(row);
      // A change above the complete point may have an earlier one still in
      // flight: stop before it, so the checkpoint never steps over a change.
      end.reached_end = false;
      if (seq > complete_) break;
      if (page->changes.size() >= query_.max_changes ||
          bytes >= query_.max_bytes || scanned >= kMaxScannedPerPage) {
        page->more = true;
        break;
      }
      end.reached_end = true;
      ++scanned;
      end.last = seq;
      absl::string_view path(it->value().data(), it->value().size());
      VS_RETURN_IF_ERROR(AddRecord(seq, path, page, &bytes));
    }
    VS_RETURN_IF_ERROR(FromRocksStatus(it->status(), "read change log"));
    return end;
  }

 private:
  absl::Status AddRecord(uint64_t seq, absl::string_view path, ChangePage* page,
                         size_t* bytes) {
    v1::RecordKey key;
    if (!keys::ParseRecordPath(path, &key)) {
      return absl::DataLossError(absl::StrCat("corrupt change-log row ", seq));
    }
    if (!absl::StartsWith(key.village(), query_.village_prefix)) {
      return absl::OkStatus();
    }
    std::string value;
    rocksdb::Status s = db_->Get(options_, keys::RecordRow(key), &value);
    VS_RETURN_IF_ERROR(FromRocksStatus(s, absl::StrCat("read ", path)));
    storage::StoredRecord stored;
    if (!stored.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("corrupt record ", path));
    }
    v1::Change change = ChangeSince(key, stored, from_.floor, query_);
    if (IsEmptyChange(change)) return absl::OkStatus();
    *bytes += change.ByteSizeLong();
    page->changes.push_back(std::move(change));
    return absl::OkStatus();
  }

  rocksdb::DB* db_;
  const ChangeQuery& query_;
  const PagePosition from_;
  const uint64_t complete_;
  rocksdb::ReadOptions options_;
};

}  // namespace

absl::StatusOr<PageEnd> ReadChangePage(rocksdb::DB* db,
                                       const ChangeQuery& query,
                                       PagePosition from, uint64_t complete,
                                       ChangePage* page) {
  PageReader reader(db, query, from, complete);
  return reader.Read(page);
}

}  // namespace villagesync
