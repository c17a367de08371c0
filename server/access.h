// Who may do what (SPEC §6): scopes are village-code prefixes; roles decide
// which records and fields a user may write, whether `pii` fields are shown,
// and which users an administrator may create. Pure functions of the user,
// the schema and the request.
#ifndef VILLAGESYNC_SERVER_ACCESS_H_
#define VILLAGESYNC_SERVER_ACCESS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/admin.pb.h"
#include "proto/records.pb.h"
#include "storage/schema_registry.h"

namespace villagesync {

// True if `village` (a code or a prefix) lies inside the user's scope.
bool InScope(const v1::UserInfo& user, absl::string_view village);

// OK if `user` may write everything `change` writes: the record's village in
// scope, every field writable by the role, and the deletion marker (a delete,
// or an undelete superseding one) only by a role that may delete.
// PERMISSION_DENIED naming the village or field otherwise.
absl::Status CheckCanWrite(const v1::UserInfo& user, const v1::Change& change,
                           const SchemaRegistry& schemas);

// OK if `user` may read (pull) `village_prefix`: it must lie inside the
// scope (a shorter prefix would reach beyond it). PERMISSION_DENIED otherwise.
absl::Status CheckCanRead(const v1::UserInfo& user,
                          absl::string_view village_prefix);

// The region a caller asks about: `requested`, or the caller's whole scope
// if empty. INVALID_ARGUMENT naming "region_prefix" if it is not 0-12
// digits; PERMISSION_DENIED if it reaches beyond the scope.
absl::StatusOr<std::string> RegionFor(const v1::UserInfo& user,
                                      absl::string_view requested);

// OK if the user is `county` or `admin`; PERMISSION_DENIED saying `what`
// they may not do otherwise.
absl::Status CheckCountyOrAdmin(const v1::UserInfo& user,
                                absl::string_view what);

// True if the role sees `pii` fields.
bool CanReadPii(const v1::UserInfo& user);

// Removes the `pii` fields from `change` (for roles that may not read them).
// A change that loses fields no longer carries the whole record.
void WithholdPii(v1::Change* change, const SchemaRegistry& schemas);

// OK if `actor` may create or revoke a user with `role` and `scope`: the
// actor is admin or county, the scope lies inside the actor's, and the role
// is not above the actor's (only admins grant admin or replica).
// PERMISSION_DENIED otherwise.
absl::Status CheckCanAdminister(const v1::UserInfo& actor,
                                absl::string_view role,
                                absl::string_view scope);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_ACCESS_H_
