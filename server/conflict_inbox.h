// The conflict inbox of AdminService (SPEC §7): conflict ids, and listing,
// showing and resolving conflicts inside an administrator's scope.
#ifndef VILLAGESYNC_SERVER_CONFLICT_INBOX_H_
#define VILLAGESYNC_SERVER_CONFLICT_INBOX_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/admin.pb.h"
#include "storage/record_store.h"
#include "storage/user_store.h"

namespace villagesync {

// "<collection>/<village>/<record id>/<field>", field "_record" for a
// delete-versus-edit conflict.
std::string ConflictId(const v1::RecordKey& key, absl::string_view field);

// Parses a conflict id. INVALID_ARGUMENT naming "id" if malformed.
absl::Status ParseConflictId(absl::string_view id, v1::RecordKey* key,
                             std::string* field);

// Thread-safe; `store` and `users` must outlive it.
class ConflictInbox {
 public:
  ConflictInbox(RecordStore* store, const UserStore* users);

  // See AdminService in proto/admin.proto for the contracts.
  absl::Status List(const v1::UserInfo& caller,
                    const v1::ListConflictsRequest& request,
                    v1::ListConflictsResponse* response) const;
  absl::Status Show(const v1::UserInfo& caller,
                    const v1::ShowConflictRequest& request,
                    v1::ConflictInfo* response) const;
  absl::Status Resolve(const v1::UserInfo& caller,
                       const v1::ResolveConflictRequest& request,
                       v1::ResolveConflictResponse* response);
  // User changes (from the user store) and resolutions, by time.
  absl::Status Audit(const v1::UserInfo& caller,
                     const v1::ListAuditRequest& request,
                     v1::ListAuditResponse* response) const;

 private:
  absl::StatusOr<v1::ConflictInfo> Load(const v1::UserInfo& caller,
                                        absl::string_view id) const;

  RecordStore* const store_;
  const UserStore* const users_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_CONFLICT_INBOX_H_
