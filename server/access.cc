#include "server/access.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

// Roles that write records and every field that names no writers.
constexpr absl::string_view kRecordWriters[] = {
    "field_worker", "first_secretary", "village_secretary", "admin", "replica"};

bool WritesRecords(absl::string_view role) {
  return std::find(std::begin(kRecordWriters), std::end(kRecordWriters),
                   role) != std::end(kRecordWriters);
}

bool MayWriteField(const v1::UserInfo& user, const v1::FieldSpec& spec) {
  if (user.role() == "admin" || user.role() == "replica") return true;
  if (spec.writable_by().empty()) return WritesRecords(user.role());
  return std::find(spec.writable_by().begin(), spec.writable_by().end(),
                   user.role()) != spec.writable_by().end();
}

absl::Status Denied(const v1::UserInfo& user, absl::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat("user \"", user.name(), "\" (", user.role(), ", scope \"",
                   user.scope(), "\") may not ", what));
}

}  // namespace

bool InScope(const v1::UserInfo& user, absl::string_view village) {
  return absl::StartsWith(village, user.scope());
}

absl::Status CheckCanWrite(const v1::UserInfo& user, const v1::Change& change,
                           const SchemaRegistry& schemas) {
  const v1::RecordKey& key = change.key();
  if (!InScope(user, key.village())) {
    return Denied(user, absl::StrCat("write village ", Quoted(key.village())));
  }
  // Writing the deletion marker at all (a delete, or superseding one: an
  // undelete) needs the right to delete.
  const v1::FieldState& marker = change.deletion();
  bool touches_marker = marker.siblings_size() > 0 || marker.context_size() > 0;
  if (touches_marker && !WritesRecords(user.role())) {
    return Denied(user,
                  absl::StrCat("delete or undelete ", Bounded(key.collection()),
                               "/", Bounded(key.id())));
  }
  for (const v1::FieldState& f : change.fields()) {
    const v1::FieldSpec* spec = schemas.FindField(key.collection(), f.name());
    // Unknown fields are validation's to reject, with INVALID_ARGUMENT.
    if (spec == nullptr || MayWriteField(user, *spec)) continue;
    return Denied(user, absl::StrCat("write field ", Bounded(f.name()), " of ",
                                     Bounded(key.collection())));
  }
  return absl::OkStatus();
}

absl::Status CheckCanRead(const v1::UserInfo& user,
                          absl::string_view village_prefix) {
  if (InScope(user, village_prefix)) return absl::OkStatus();
  return Denied(user, absl::StrCat("read region ", Quoted(village_prefix)));
}

absl::StatusOr<std::string> RegionFor(const v1::UserInfo& user,
                                      absl::string_view requested) {
  std::string region =
      requested.empty() ? user.scope() : std::string(requested);
  if (!IsVillagePrefix(region)) {
    return absl::InvalidArgumentError(
        absl::StrCat("region_prefix: ", Quoted(region), " is not 0-12 digits"));
  }
  absl::Status readable = CheckCanRead(user, region);
  if (!readable.ok()) return readable;
  return region;
}

absl::Status CheckCountyOrAdmin(const v1::UserInfo& user,
                                absl::string_view what) {
  if (user.role() == "admin" || user.role() == "county")
    return absl::OkStatus();
  return Denied(user, absl::StrCat(what, " (county or admin only)"));
}

bool CanReadPii(const v1::UserInfo& user) {
  return user.role() != "field_worker";
}

void WithholdPii(v1::Change* change, const SchemaRegistry& schemas) {
  auto* fields = change->mutable_fields();
  int before = fields->size();
  fields->erase(std::remove_if(fields->begin(), fields->end(),
                               [&](const v1::FieldState& f) {
                                 const v1::FieldSpec* spec = schemas.FindField(
                                     change->key().collection(), f.name());
                                 return spec != nullptr && spec->pii();
                               }),
                fields->end());
  if (fields->size() != before) change->set_creates(false);
}

absl::Status CheckCanAdminister(const v1::UserInfo& actor,
                                absl::string_view role,
                                absl::string_view scope) {
  if (actor.role() != "admin" && actor.role() != "county") {
    return Denied(actor, "manage users");
  }
  if (!InScope(actor, scope)) {
    return Denied(actor, absl::StrCat("manage users of scope ", Quoted(scope)));
  }
  if (actor.role() != "admin" &&
      (role == "admin" || role == "replica" || role == "county")) {
    return Denied(actor, absl::StrCat("manage users with the role ", role,
                                      " (admins only)"));
  }
  return absl::OkStatus();
}

}  // namespace villagesync
