#include "storage/user_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/status_macros.h"
#include "storage/durable_file.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

// The user file: kFileMagic, the SHA-256 of the rest, then a serialized
// storage::UserFile. A file without the magic is from before the checksum
// and is rewritten with it when opened.
constexpr absl::string_view kFileMagic = "VSUSERS1";
constexpr size_t kDigestBytes = 32;

constexpr size_t kMaxNameLength = 64;
constexpr int kTokenBytes = 32;
constexpr size_t kHashHexLength = 64;

bool IsUserName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace

absl::Status ValidateUser(absl::string_view name, absl::string_view role,
                          absl::string_view scope) {
  if (!IsUserName(name)) {
    return absl::InvalidArgumentError(
        "name: must be 1-64 characters of [A-Za-z0-9_.-]");
  }
  if (!IsRole(role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("role: must be one of ", absl::StrJoin(kRoles, ", ")));
  }
  if (!IsVillagePrefix(scope)) {
    return absl::InvalidArgumentError("scope: must be 0-12 digits");
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[kTokenBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::UnavailableError("token: random generator failed");
  }
  return absl::StrCat(
      "vs_", absl::BytesToHexString(absl::string_view(
                 reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

// Active users' hashes must be well formed and unique, or Authenticate could
// admit the wrong user.
absl::Status CheckFile(const storage::UserFile& file) {
  absl::flat_hash_set<std::string> seen;
  for (const storage::StoredUser& user : file.users()) {
    if (user.info().revoked()) continue;
    if (user.token_sha256().size() != kHashHexLength ||
        !seen.insert(user.token_sha256()).second) {
      return absl::DataLossError("user file: bad token hash for " +
                                 user.info().name());
    }
  }
  return absl::OkStatus();
}

// An audit row about a user: its region is the user's scope.
v1::AuditEntry MakeAudit(int64_t micros, absl::string_view actor,
                         absl::string_view action, absl::string_view target,
                         absl::string_view detail, absl::string_view scope) {
  v1::AuditEntry entry;
  entry.set_region(std::string(scope));
  entry.set_micros(micros);
  entry.set_actor(std::string(actor));
  entry.set_action(std::string(action));
  entry.set_target(std::string(target));
  entry.set_detail(std::string(detail));
  return entry;
}

// The raw SHA-256 of `bytes`; "" if OpenSSL fails.
std::string Sha256(absl::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &md_len, EVP_sha256(),
                 nullptr) != 1) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(md), md_len);
}

absl::StatusOr<std::string> EncodeFile(const storage::UserFile& file) {
  std::string payload;
  if (!file.SerializeToString(&payload)) {
    return absl::UnavailableError("user file: serialize failed");
  }
  std::string digest = Sha256(payload);
  if (digest.size() != kDigestBytes) {
    return absl::UnavailableError("user file: hashing failed");
  }
  return absl::StrCat(kFileMagic, digest, payload);
}

// `*legacy` is set for a file written before the checksum existed.
absl::StatusOr<storage::UserFile> DecodeFile(absl::string_view data,
                                             bool* legacy) {
  storage::UserFile file;
  *legacy = !absl::ConsumePrefix(&data, kFileMagic);
  if (*legacy && data.empty()) {
    // Even an old server never wrote an empty file once it had a user.
    return absl::DataLossError(
        "user file: empty (damaged: restore it from a backup; if this "
        "server never had a user, delete it and bootstrap)");
  }
  if (!*legacy) {
    if (data.size() < kDigestBytes ||
        Sha256(data.substr(kDigestBytes)) != data.substr(0, kDigestBytes)) {
      return absl::DataLossError(
          "user file: checksum mismatch (the file is damaged; restore it "
          "from a backup)");
    }
    data.remove_prefix(kDigestBytes);
  }
  if (!file.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return absl::DataLossError("user file: does not parse");
  }
  return file;
}

absl::Status Allowed(const UserStore::Authorize& authorize,
                     const storage::StoredUser& before,
                     const storage::StoredUser& after) {
  if (!authorize) return absl::OkStatus();
  return authorize(before.info(), after.info());
}

// An active admin of every region: the one user nothing else stands in for.
bool IsRootAdmin(const v1::UserInfo& user) {
  return user.role() == "admin" && user.scope().empty() && !user.revoked();
}

}  // namespace

bool IsRole(absl::string_view role) {
  return std::find(std::begin(kRoles), std::end(kRoles), role) !=
         std::end(kRoles);
}

std::string HashToken(absl::string_view token) {
  // "" if hashing fails: it never matches a stored hash; Add refuses it.
  return absl::BytesToHexString(Sha256(token));
}

absl::StatusOr<std::unique_ptr<UserStore>> UserStore::Open(std::string path) {
  storage::UserFile file;
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  bool missing = absl::IsNotFound(data.status());
  if (!data.ok() && !missing) return data.status();
  bool legacy = false;
  if (!missing) {
    VS_ASSIGN_OR_RETURN(file, DecodeFile(*data, &legacy));
  }
  VS_RETURN_IF_ERROR(CheckFile(file));
  std::unique_ptr<UserStore> store(
      new UserStore(std::move(path), std::move(file)));
  if (missing || legacy) {
    // Creating the file now reports an unwritable data dir at startup; an
    // old file gets its checksum at once.
    absl::MutexLock lock(&store->mu_);
    VS_RETURN_IF_ERROR(store->Save());
  }
  return store;
}

UserStore::UserStore(std::string path, storage::UserFile file)
    : path_(std::move(path)), file_(std::move(file)) {
  for (int i = 0; i < file_.users_size(); ++i) {
    const storage::StoredUser& user = file_.users(i);
    if (!user.info().revoked()) by_hash_[user.token_sha256()] = i;
  }
}

absl::StatusOr<std::string> UserStore::Add(absl::string_view name,
                                           absl::string_view role,
                                           absl::string_view scope,
                                           absl::string_view actor) {
  VS_RETURN_IF_ERROR(ValidateUser(name, role, scope));
  VS_ASSIGN_OR_RETURN(std::string token, NewToken());
  std::string hash = HashToken(token);
  if (hash.empty()) return absl::InternalError("token: hashing failed");
  int64_t now = absl::ToUnixMicros(absl::Now());

  absl::MutexLock lock(&mu_);
  if (ActiveIndex(name).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("name: ", name, " exists"));
  }
  storage::StoredUser* user = file_.add_users();
  user->mutable_info()->set_name(std::string(name));
  user->mutable_info()->set_role(std::string(role));
  user->mutable_info()->set_scope(std::string(scope));
  user->mutable_info()->set_created_micros(now);
  user->set_token_sha256(hash);
  *file_.add_audit() =
      MakeAudit(now, actor, "user.add", name,
                absl::StrCat("role=", role, " scope=", scope), scope);
  if (absl::Status s = Save(); !s.ok()) {
    file_.mutable_users()->RemoveLast();
    file_.mutable_audit()->RemoveLast();
    return s;
  }
  by_hash_[hash] = file_.users_size() - 1;
  return token;
}

absl::StatusOr<v1::UserInfo> UserStore::Revoke(absl::string_view name,
                                               absl::string_view actor,
                                               const Authorize& authorize) {
  int64_t now = absl::ToUnixMicros(absl::Now());
  absl::MutexLock lock(&mu_);
  VS_ASSIGN_OR_RETURN(int index, ActiveIndex(name));
  storage::StoredUser changed = file_.users(index);
  changed.mutable_info()->set_revoked(true);
  changed.mutable_info()->set_revoked_micros(now);
  VS_RETURN_IF_ERROR(Allowed(authorize, file_.users(index), changed));
  VS_RETURN_IF_ERROR(Replace(
      index, changed,
      MakeAudit(now, actor, "user.revoke", name, "", changed.info().scope())));
  return changed.info();
}

absl::StatusOr<v1::UserInfo> UserStore::Set(absl::string_view name,
                                            std::optional<std::string> role,
                                            std::optional<std::string> scope,
                                            absl::string_view actor,
                                            const Authorize& authorize) {
  int64_t now = absl::ToUnixMicros(absl::Now());
  absl::MutexLock lock(&mu_);
  VS_ASSIGN_OR_RETURN(int index, ActiveIndex(name));
  storage::StoredUser changed = file_.users(index);
  v1::UserInfo& info = *changed.mutable_info();
  std::string before =
      absl::StrCat("role=", info.role(), " scope=", info.scope());
  if (role.has_value()) info.set_role(*role);
  if (scope.has_value()) info.set_scope(*scope);
  VS_RETURN_IF_ERROR(ValidateUser(name, info.role(), info.scope()));
  VS_RETURN_IF_ERROR(Allowed(authorize, file_.users(index), changed));
  std::string after =
      absl::StrCat("role=", info.role(), " scope=", info.scope());
  if (after == before) {
    return absl::InvalidArgumentError(
        absl::StrCat("role: user ", name, " already has ", before));
  }
  // Audited where the auditors of both the old and the new scope see it.
  const std::string& old_scope = file_.users(index).info().scope();
  std::string region(old_scope.begin(),
                     std::mismatch(old_scope.begin(), old_scope.end(),
                                   info.scope().begin(), info.scope().end())
                         .first);
  VS_RETURN_IF_ERROR(
      Replace(index, changed,
              MakeAudit(now, actor, "user.set", name,
                        absl::StrCat(before, " -> ", after), region)));
  return changed.info();
}

absl::StatusOr<std::string> UserStore::Rotate(absl::string_view name,
                                              absl::string_view actor,
                                              const Authorize& authorize) {
  VS_ASSIGN_OR_RETURN(std::string token, NewToken());
  std::string hash = HashToken(token);
  if (hash.empty()) return absl::InternalError("token: hashing failed");
  int64_t now = absl::ToUnixMicros(absl::Now());
  absl::MutexLock lock(&mu_);
  VS_ASSIGN_OR_RETURN(int index, ActiveIndex(name));
  storage::StoredUser changed = file_.users(index);
  changed.set_token_sha256(hash);
  VS_RETURN_IF_ERROR(Allowed(authorize, file_.users(index), changed));
  VS_RETURN_IF_ERROR(Replace(
      index, changed,
      MakeAudit(now, actor, "user.rotate", name, "", changed.info().scope())));
  return token;
}

absl::StatusOr<int> UserStore::ActiveIndex(absl::string_view name) const {
  for (int i = 0; i < file_.users_size(); ++i) {
    const v1::UserInfo& info = file_.users(i).info();
    if (info.name() == name && !info.revoked()) return i;
  }
  return absl::NotFoundError(
      absl::StrCat("name: no active user \"", Bounded(name), "\""));
}

absl::Status UserStore::KeepsAnAdmin(int index,
                                     const storage::StoredUser& changed) const {
  if (!IsRootAdmin(file_.users(index).info()) || IsRootAdmin(changed.info())) {
    return absl::OkStatus();
  }
  for (int i = 0; i < file_.users_size(); ++i) {
    if (i != index && IsRootAdmin(file_.users(i).info())) {
      return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "name: ", Quoted(changed.info().name()),
      " is the last admin of every region; add another one first (nobody "
      "could manage the server without one)"));
}

absl::Status UserStore::Replace(int index, storage::StoredUser changed,
                                v1::AuditEntry audit) {
  VS_RETURN_IF_ERROR(KeepsAnAdmin(index, changed));
  storage::StoredUser& user = *file_.mutable_users(index);
  std::swap(user, changed);  // `changed` now holds the old user
  *file_.add_audit() = std::move(audit);
  if (absl::Status saved = Save(); !saved.ok()) {
    std::swap(user, changed);
    file_.mutable_audit()->RemoveLast();
    return saved;
  }
  by_hash_.erase(changed.token_sha256());
  if (!user.info().revoked()) by_hash_[user.token_sha256()] = index;
  return absl::OkStatus();
}

absl::StatusOr<v1::UserInfo> UserStore::Authenticate(
    absl::string_view token) const {
  std::string hash = HashToken(token);
  absl::ReaderMutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    return absl::UnauthenticatedError("unknown or revoked token");
  }
  return file_.users(it->second).info();
}

std::vector<v1::UserInfo> UserStore::List() const {
  std::vector<v1::UserInfo> users;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const storage::StoredUser& user : file_.users()) {
      users.push_back(user.info());
    }
  }
  // Stable: a reused name lists its revoked predecessors first.
  std::stable_sort(users.begin(), users.end(),
                   [](const v1::UserInfo& a, const v1::UserInfo& b) {
                     return a.name() < b.name();
                   });
  return users;
}

std::vector<v1::AuditEntry> UserStore::Audit() const {
  absl::ReaderMutexLock lock(&mu_);
  return {file_.audit().begin(), file_.audit().end()};
}

bool UserStore::empty() const {
  absl::ReaderMutexLock lock(&mu_);
  return file_.users_size() == 0;
}

absl::Status UserStore::CopyTo(const std::string& path) const {
  std::string data;
  {
    absl::MutexLock lock(&mu_);
    VS_ASSIGN_OR_RETURN(data, EncodeFile(file_));
  }
  return WriteFileDurably(path, data);
}

absl::Status UserStore::Save() {
  VS_ASSIGN_OR_RETURN(std::string data, EncodeFile(file_));
  return WriteFileDurably(path_, data);
}

}  // namespace villagesync
