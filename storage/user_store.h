// UserStore keeps a server's users (SPEC §6): name, role, village-code scope
// and the SHA-256 hash of their bearer token (the token itself is never
// stored), plus the audit log of user changes. Persisted in one file under
// the data dir, replaced atomically (write, fsync, rename) on every change,
// with a SHA-256 checksum: a damaged file is refused, never half believed.
#ifndef VILLAGESYNC_STORAGE_USER_STORE_H_
#define VILLAGESYNC_STORAGE_USER_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "proto/admin.pb.h"
#include "storage/user_format.pb.h"

namespace villagesync {

// The roles of SPEC §6, lowest to highest authority.
inline constexpr const char* kRoles[] = {
    "field_worker", "first_secretary", "village_secretary",
    "township",     "county",          "admin",
    "replica"};

// True if `role` is one of kRoles.
bool IsRole(absl::string_view role);

// OK if a user may have these: INVALID_ARGUMENT naming "name", "role" or
// "scope" (0-12 digits) otherwise.
absl::Status ValidateUser(absl::string_view name, absl::string_view role,
                          absl::string_view scope);

// Thread-safe. Changes are durable before the call returns; revocation takes
// effect for the very next Authenticate.
class UserStore {
 public:
  // Decides, under the store's lock, whether a change of a user from
  // `before` to `after` may go ahead (so that nothing changes the user
  // between the check and the change); its error is returned as is. An
  // empty function allows every change.
  using Authorize = std::function<absl::Status(const v1::UserInfo& before,
                                               const v1::UserInfo& after)>;

  // Opens (or creates, empty) the user file `path`. DATA_LOSS if it exists
  // but its checksum does not match or it does not parse; UNAVAILABLE if it
  // cannot be read. A file from before the checksum is rewritten with one.
  static absl::StatusOr<std::unique_ptr<UserStore>> Open(std::string path);

  // Creates a user with a fresh random 256-bit token and returns the token.
  // INVALID_ARGUMENT naming "name", "role" or "scope" (scope must be 0-12
  // digits); ALREADY_EXISTS if an active user has the name (a revoked name
  // may be reused). `actor` is recorded in the audit log.
  absl::StatusOr<std::string> Add(absl::string_view name,
                                  absl::string_view role,
                                  absl::string_view scope,
                                  absl::string_view actor)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Revokes the user's token. NOT_FOUND if no active user has the name;
  // FAILED_PRECONDITION for the last admin of every region (as for Set).
  absl::StatusOr<v1::UserInfo> Revoke(absl::string_view name,
                                      absl::string_view actor,
                                      const Authorize& authorize = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  // Changes an active user's role and/or scope (nullopt keeps it); the
  // token stays valid. INVALID_ARGUMENT naming "role" or "scope", or
  // "role" if nothing would change; NOT_FOUND if no active user has the
  // name; FAILED_PRECONDITION if it would leave no active admin of every
  // region. Audited as user.set with the old and new values.
  absl::StatusOr<v1::UserInfo> Set(absl::string_view name,
                                   std::optional<std::string> role,
                                   std::optional<std::string> scope,
                                   absl::string_view actor,
                                   const Authorize& authorize = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  // Gives an active user a fresh token and returns it; the old token fails
  // from the very next Authenticate. NOT_FOUND if no active user has the
  // name. Audited as user.rotate.
  absl::StatusOr<std::string> Rotate(absl::string_view name,
                                     absl::string_view actor,
                                     const Authorize& authorize = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  // The active user whose token is `token`. UNAUTHENTICATED if none (unknown
  // or revoked token). Compares hashes only.
  absl::StatusOr<v1::UserInfo> Authenticate(absl::string_view token) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Every user (active and revoked), sorted by name.
  std::vector<v1::UserInfo> List() const ABSL_LOCKS_EXCLUDED(mu_);

  // The audit log of user changes, oldest first.
  std::vector<v1::AuditEntry> Audit() const ABSL_LOCKS_EXCLUDED(mu_);

  // Writes a copy of the user file to `path`, durably (for a backup).
  absl::Status CopyTo(const std::string& path) const ABSL_LOCKS_EXCLUDED(mu_);

  // True if no user was ever created (bootstrap allowed).
  bool empty() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  UserStore(std::string path, storage::UserFile file);
  // Writes file_ durably (temp file, fsync, rename, fsync dir).
  absl::Status Save() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The index in file_.users() of the active user named `name`; NOT_FOUND
  // naming "name" if none.
  absl::StatusOr<int> ActiveIndex(absl::string_view name) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // FAILED_PRECONDITION if user `index` is the last active admin of every
  // region (role admin, scope "") and `changed` would not be.
  absl::Status KeepsAnAdmin(int index, const storage::StoredUser& changed) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Replaces user `index` with `changed`, appends `audit` and saves. On a
  // failed save restores both, so memory never holds what the file does not.
  // FAILED_PRECONDITION (see KeepsAnAdmin) changes nothing.
  absl::Status Replace(int index, storage::StoredUser changed,
                       v1::AuditEntry audit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  const std::string path_;

  mutable absl::Mutex mu_;
  storage::UserFile file_ ABSL_GUARDED_BY(mu_);
  // Token hash -> index into file_.users(), active users only.
  absl::flat_hash_map<std::string, int> by_hash_ ABSL_GUARDED_BY(mu_);
};

// The lowercase hex SHA-256 of `token` (what the store keeps).
std::string HashToken(absl::string_view token);

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_USER_STORE_H_
