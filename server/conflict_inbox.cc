#include "server/conflict_inbox.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "proto/status_macros.h"
#include "server/access.h"
#include "storage/resolution.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

constexpr absl::string_view kRecordField = "_record";
constexpr uint32_t kDefaultPage = 100;
constexpr uint32_t kMaxPage = 1000;

v1::ConflictInfo InfoOf(v1::Conflict conflict) {
  v1::ConflictInfo info;
  info.set_id(ConflictId(conflict.key(), conflict.field()));
  *info.mutable_conflict() = std::move(conflict);
  return info;
}

absl::StatusOr<Resolution> ResolutionOf(
    const v1::UserInfo& caller, const v1::ResolveConflictRequest& request) {
  Resolution r;
  VS_RETURN_IF_ERROR(ParseConflictId(request.id(), &r.key, &r.field));
  r.resolver = caller.name();
  r.reason = request.reason();
  switch (request.choice_case()) {
    case v1::ResolveConflictRequest::kPick:
      r.choice = Resolution::Choice::kPick;
      r.pick = static_cast<int>(request.pick());
      break;
    case v1::ResolveConflictRequest::kValue:
      r.choice = Resolution::Choice::kValue;
      r.value = request.value();
      break;
    case v1::ResolveConflictRequest::kKeep:
      r.choice = Resolution::Choice::kKeep;
      break;
    case v1::ResolveConflictRequest::kDelete:
      r.choice = Resolution::Choice::kDelete;
      break;
    default:
      return absl::InvalidArgumentError(
          "choice: give one of pick, value, keep or delete");
  }
  return r;
}

}  // namespace

std::string ConflictId(const v1::RecordKey& key, absl::string_view field) {
  return absl::StrCat(key.collection(), "/", key.village(), "/", key.id(), "/",
                      field.empty() ? kRecordField : field);
}

absl::Status ParseConflictId(absl::string_view id, v1::RecordKey* key,
                             std::string* field) {
  std::vector<std::string> parts = absl::StrSplit(id, '/');
  if (parts.size() != 4 || !IsVillageCode(parts[1]) || !IsRecordId(parts[2]) ||
      parts[3].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("id: ", Quoted(id),
                     " is not <collection>/<village>/<record id>/<field>"));
  }
  key->set_collection(parts[0]);
  key->set_village(parts[1]);
  key->set_id(parts[2]);
  *field = parts[3] == kRecordField ? "" : parts[3];
  return absl::OkStatus();
}

ConflictInbox::ConflictInbox(RecordStore* store, const UserStore* users)
    : store_(store), users_(users) {}

absl::Status ConflictInbox::List(const v1::UserInfo& caller,
                                 const v1::ListConflictsRequest& request,
                                 v1::ListConflictsResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "view the conflict inbox"));
  VS_ASSIGN_OR_RETURN(std::string region,
                      RegionFor(caller, request.region_prefix()));
  if (!request.collection().empty() &&
      store_->schemas().FindCollection(request.collection()) == nullptr) {
    return InvalidField(
        "collection",
        absl::StrCat("unknown collection ", Quoted(request.collection())));
  }
  ConflictQuery query;
  query.village_prefix = region;
  query.collection = request.collection();
  query.status = request.status();
  if (request.min_age_days() > 0) {
    query.opened_before_micros = absl::ToUnixMicros(
        absl::Now() - absl::Hours(24) * request.min_age_days());
  }
  query.start_after = request.page_token();
  query.limit = request.page_size() == 0
                    ? kDefaultPage
                    : std::min(request.page_size(), kMaxPage);
  VS_ASSIGN_OR_RETURN(std::vector<v1::Conflict> conflicts,
                      store_->ListConflicts(query));
  for (v1::Conflict& c : conflicts)
    *response->add_conflicts() = InfoOf(std::move(c));
  if (conflicts.size() == query.limit) {
    const v1::ConflictInfo& last =
        response->conflicts(response->conflicts_size() - 1);
    v1::RecordKey key;
    std::string field;
    VS_RETURN_IF_ERROR(ParseConflictId(last.id(), &key, &field));
    response->set_next_page_token(absl::StrCat(
        key.collection(), "/", key.village(), "/", key.id(), "/", field));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ConflictInfo> ConflictInbox::Load(
    const v1::UserInfo& caller, absl::string_view id) const {
  v1::RecordKey key;
  std::string field;
  VS_RETURN_IF_ERROR(ParseConflictId(id, &key, &field));
  if (!InScope(caller, key.village())) {
    // Outside the scope is indistinguishable from absent.
    return absl::NotFoundError(
        absl::StrCat("no conflict ", id, " in your scope"));
  }
  VS_ASSIGN_OR_RETURN(v1::Conflict conflict, store_->GetConflict(key, field));
  return InfoOf(std::move(conflict));
}

absl::Status ConflictInbox::Show(const v1::UserInfo& caller,
                                 const v1::ShowConflictRequest& request,
                                 v1::ConflictInfo* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "view the conflict inbox"));
  VS_ASSIGN_OR_RETURN(*response, Load(caller, request.id()));
  return absl::OkStatus();
}

absl::Status ConflictInbox::Resolve(const v1::UserInfo& caller,
                                    const v1::ResolveConflictRequest& request,
                                    v1::ResolveConflictResponse* response) {
  if (caller.role() != "admin") {
    return absl::PermissionDeniedError(
        absl::StrCat("user \"", caller.name(), "\" (", caller.role(),
                     ") may not resolve conflicts: admins only"));
  }
  VS_ASSIGN_OR_RETURN(Resolution resolution, ResolutionOf(caller, request));
  if (!InScope(caller, resolution.key.village())) {
    return absl::PermissionDeniedError(
        absl::StrCat("user \"", caller.name(),
                     "\" may not resolve conflicts in "
                     "village ",
                     resolution.key.village()));
  }
  VS_ASSIGN_OR_RETURN(*response->mutable_change(), store_->Resolve(resolution));
  VS_ASSIGN_OR_RETURN(*response->mutable_conflict(),
                      Load(caller, request.id()));
  return absl::OkStatus();
}

absl::Status ConflictInbox::Audit(const v1::UserInfo& caller,
                                  const v1::ListAuditRequest& request,
                                  v1::ListAuditResponse* response) const {
  VS_RETURN_IF_ERROR(CheckCountyOrAdmin(caller, "read the audit log"));
  size_t limit = request.limit() == 0 ? 1000 : request.limit();
  // Entries are scoped like records: a caller sees those about its region
  // (an entry from before regions were recorded counts as everywhere's).
  VS_ASSIGN_OR_RETURN(std::vector<v1::AuditEntry> all,
                      store_->ListAudit(request.since_micros(),
                                        std::numeric_limits<size_t>::max()));
  for (v1::AuditEntry& e : users_->Audit()) {
    if (e.micros() >= request.since_micros()) all.push_back(std::move(e));
  }
  std::vector<v1::AuditEntry> entries;
  for (v1::AuditEntry& e : all) {
    if (InScope(caller, e.region())) entries.push_back(std::move(e));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const v1::AuditEntry& a, const v1::AuditEntry& b) {
                     return a.micros() < b.micros();
                   });
  if (entries.size() > limit) entries.resize(limit);
  for (v1::AuditEntry& e : entries) *response->add_entries() = std::move(e);
  return absl::OkStatus();
}

}  // namespace villagesync
