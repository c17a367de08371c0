// UserStore keeps users and their token hashes durably: tokens authenticate
// until revoked or rotated, a re-scoped user keeps its token, only hashes reach
// the disk, bad input and failed writes change nothing, and a corrupt file
// (one flipped bit is enough) is reported rather than believed.
#include "storage/user_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::StatusIs;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteBytes(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto store = UserStore::Open(path_);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.Sub("users");
  std::unique_ptr<UserStore> store_;
};

TEST_F(UserStoreTest, AddedUserAuthenticatesWithItsToken) {
  VS_ASSERT_OK_AND_ASSIGN(std::string token,
                          store_->Add("wang", "county", "4401", "root"));
  EXPECT_THAT(token, MatchesRegex("vs_[0-9a-f]{64}"));

  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo user, store_->Authenticate(token));
  EXPECT_EQ(user.name(), "wang");
  EXPECT_EQ(user.role(), "county");
  EXPECT_EQ(user.scope(), "4401");
  EXPECT_FALSE(user.revoked());
  EXPECT_GT(user.created_micros(), 0);
}

TEST_F(UserStoreTest, UnknownTokenIsUnauthenticated) {
  ASSERT_THAT(store_->Add("wang", "county", "4401", "root"), IsOk());
  EXPECT_THAT(store_->Authenticate("vs_" + std::string(64, '0')),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
  EXPECT_THAT(store_->Authenticate(""),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
}

TEST_F(UserStoreTest, StoredFileHoldsTheHashButNeverTheToken) {
  VS_ASSERT_OK_AND_ASSIGN(std::string token,
                          store_->Add("wang", "county", "4401", "root"));
  std::string bytes = ReadBytes(path_);
  EXPECT_THAT(bytes, Not(HasSubstr(token)));
  EXPECT_THAT(bytes, Not(HasSubstr(token.substr(3))));
  EXPECT_THAT(bytes, HasSubstr(HashToken(token)));
}

TEST_F(UserStoreTest, RevokedTokenFailsUnauthenticatedAtOnce) {
  VS_ASSERT_OK_AND_ASSIGN(std::string token,
                          store_->Add("wang", "county", "4401", "root"));
  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo revoked, store_->Revoke("wang", "root"));
  EXPECT_TRUE(revoked.revoked());
  EXPECT_EQ(revoked.name(), "wang");

  EXPECT_THAT(store_->Authenticate(token),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
}

TEST_F(UserStoreTest, RevokingAnUnknownOrRevokedUserIsNotFound) {
  ASSERT_THAT(store_->Add("wang", "county", "4401", "root"), IsOk());
  ASSERT_THAT(store_->Revoke("wang", "root"), IsOk());
  EXPECT_THAT(store_->Revoke("wang", "root"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("wang")));
  EXPECT_THAT(store_->Revoke("li", "root"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("li")));
}

TEST_F(UserStoreTest, UsersAndAuditSurviveReopen) {
  VS_ASSERT_OK_AND_ASSIGN(std::string wang,
                          store_->Add("wang", "county", "4401", "bootstrap"));
  VS_ASSERT_OK_AND_ASSIGN(std::string li,
                          store_->Add("li", "field_worker", "", "wang"));
  ASSERT_THAT(store_->Revoke("li", "wang"), IsOk());

  Reopen();

  EXPECT_THAT(store_->Authenticate(wang), IsOk());
  EXPECT_THAT(store_->Authenticate(li),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
  std::vector<v1::UserInfo> users = store_->List();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name(), "li");
  EXPECT_TRUE(users[0].revoked());
  EXPECT_GE(users[0].revoked_micros(), users[0].created_micros());
  EXPECT_EQ(users[1].name(), "wang");
  EXPECT_FALSE(users[1].revoked());

  std::vector<v1::AuditEntry> audit = store_->Audit();
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0].actor(), "bootstrap");
  EXPECT_EQ(audit[0].action(), "user.add");
  EXPECT_EQ(audit[0].target(), "wang");
  EXPECT_EQ(audit[0].detail(), "role=county scope=4401");
  EXPECT_EQ(audit[1].detail(), "role=field_worker scope=");
  EXPECT_EQ(audit[2].actor(), "wang");
  EXPECT_EQ(audit[2].action(), "user.revoke");
  EXPECT_EQ(audit[2].target(), "li");
  EXPECT_LE(audit[0].micros(), audit[2].micros());
  EXPECT_GT(audit[0].micros(), 0);
}

TEST_F(UserStoreTest, DuplicateActiveNameIsAlreadyExists) {
  ASSERT_THAT(store_->Add("wang", "county", "4401", "root"), IsOk());
  EXPECT_THAT(store_->Add("wang", "admin", "", "root"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("wang")));
  EXPECT_EQ(store_->List().size(), 1u);
  EXPECT_EQ(store_->Audit().size(), 1u);
}

TEST_F(UserStoreTest, RevokedNameMayBeReusedWithANewToken) {
  VS_ASSERT_OK_AND_ASSIGN(std::string old_token,
                          store_->Add("wang", "county", "4401", "root"));
  ASSERT_THAT(store_->Revoke("wang", "root"), IsOk());
  VS_ASSERT_OK_AND_ASSIGN(std::string new_token,
                          store_->Add("wang", "township", "440101", "root"));

  EXPECT_THAT(store_->Authenticate(old_token),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo user, store_->Authenticate(new_token));
  EXPECT_EQ(user.role(), "township");
  std::vector<v1::UserInfo> users = store_->List();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_TRUE(users[0].revoked());
  EXPECT_FALSE(users[1].revoked());
}

TEST_F(UserStoreTest, BadNameRoleOrScopeIsInvalidArgumentNamingTheField) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  for (const std::string& name :
       {std::string(), std::string(65, 'a'), std::string("a b"),
        std::string("wang/li"), std::string("王")}) {
    EXPECT_THAT(store_->Add(name, "county", "4401", "root"),
                StatusIs(kInvalid, ::testing::StartsWith("name: ")))
        << name;
  }
  EXPECT_THAT(
      store_->Add("wang", "boss", "4401", "root"),
      StatusIs(kInvalid, ::testing::AllOf(::testing::StartsWith("role: "),
                                          HasSubstr("field_worker"),
                                          HasSubstr("replica"))));
  for (const char* scope : {"44a1", "4401010010011", "-1", " "}) {
    EXPECT_THAT(store_->Add("wang", "county", scope, "root"),
                StatusIs(kInvalid, ::testing::StartsWith("scope: ")))
        << scope;
  }
  EXPECT_TRUE(store_->empty());
  EXPECT_TRUE(store_->Audit().empty());
}

TEST_F(UserStoreTest, LimitsOfNameAndScopeAreAccepted) {
  EXPECT_THAT(store_->Add(std::string(64, 'a'), "admin", "", "root"), IsOk());
  EXPECT_THAT(store_->Add("A-z_0.9", "replica", "440101001001", "root"),
              IsOk());
}

TEST_F(UserStoreTest, EmptyUntilTheFirstUserIsAdded) {
  EXPECT_TRUE(store_->empty());
  Reopen();
  EXPECT_TRUE(store_->empty());

  ASSERT_THAT(store_->Add("wang", "admin", "4401", "bootstrap"), IsOk());
  EXPECT_FALSE(store_->empty());
  ASSERT_THAT(store_->Revoke("wang", "wang"), IsOk());
  EXPECT_FALSE(store_->empty());
  Reopen();
  EXPECT_FALSE(store_->empty());
}

TEST_F(UserStoreTest, CorruptFileIsDataLoss) {
  ASSERT_THAT(store_->Add("wang", "admin", "", "bootstrap"), IsOk());
  store_.reset();
  WriteBytes(path_, "not a user file");

  EXPECT_THAT(UserStore::Open(path_),
              StatusIs(absl::StatusCode::kDataLoss, Not(HasSubstr(path_))));
}

// One flipped bit used to widen a scope or un-revoke a user silently.
TEST_F(UserStoreTest, AFlippedBitAnywhereInTheFileIsDataLoss) {
  ASSERT_THAT(store_->Add("wang", "admin", "", "bootstrap"), IsOk());
  ASSERT_THAT(store_->Add("li", "field_worker", "440101001", "wang"), IsOk());
  ASSERT_THAT(store_->Revoke("li", "wang"), IsOk());
  store_.reset();
  const std::string good = ReadBytes(path_);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit : {0, 5}) {
      std::string damaged = good;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      WriteBytes(path_, damaged);
      EXPECT_THAT(UserStore::Open(path_),
                  StatusIs(absl::StatusCode::kDataLoss, _))
          << "byte " << i << " bit " << bit;
    }
  }
  WriteBytes(path_, good);
  EXPECT_THAT(UserStore::Open(path_), IsOk());
}

// A file written before the checksum existed: read, and given one at once.
TEST_F(UserStoreTest, AFileWithoutAChecksumIsReadAndRewrittenWithOne) {
  storage::UserFile legacy;
  storage::StoredUser* user = legacy.add_users();
  user->mutable_info()->set_name("wang");
  user->mutable_info()->set_role("admin");
  user->set_token_sha256(HashToken("vs_old"));
  WriteBytes(path_, legacy.SerializeAsString());

  Reopen();

  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo wang, store_->Authenticate("vs_old"));
  EXPECT_EQ(wang.name(), "wang");
  EXPECT_THAT(ReadBytes(path_), ::testing::StartsWith("VSUSERS1"));
  std::string rewritten = ReadBytes(path_);
  rewritten.back() = static_cast<char>(rewritten.back() ^ 1);
  WriteBytes(path_, rewritten);
  EXPECT_THAT(UserStore::Open(path_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum")));
}

TEST_F(UserStoreTest, TwoTokensDiffer) {
  VS_ASSERT_OK_AND_ASSIGN(std::string a,
                          store_->Add("wang", "admin", "", "root"));
  VS_ASSERT_OK_AND_ASSIGN(std::string b,
                          store_->Add("li", "admin", "", "root"));
  EXPECT_NE(a, b);
  EXPECT_NE(HashToken(a), HashToken(b));
}

// A directory where the temp file goes makes every Save fail, even as root.
TEST_F(UserStoreTest, FailedSaveChangesNothing) {
  VS_ASSERT_OK_AND_ASSIGN(std::string token,
                          store_->Add("wang", "admin", "4401", "root"));
  std::string before = ReadBytes(path_);
  ASSERT_EQ(mkdir((path_ + ".tmp").c_str(), 0700), 0);

  EXPECT_THAT(
      store_->Add("li", "county", "4401", "wang"),
      StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr(dir_.path()))));
  EXPECT_THAT(store_->Revoke("wang", "wang"),
              StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_THAT(store_->Set("wang", "county", "4401", "wang"),
              StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_THAT(store_->Rotate("wang", "wang"),
              StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_THAT(store_->Authenticate(token), IsOk());
  EXPECT_EQ(store_->List()[0].role(), "admin");
  EXPECT_EQ(store_->List().size(), 1u);
  EXPECT_FALSE(store_->List()[0].revoked());
  EXPECT_EQ(store_->Audit().size(), 1u);
  EXPECT_EQ(ReadBytes(path_), before);

  ASSERT_EQ(rmdir((path_ + ".tmp").c_str()), 0);
  EXPECT_THAT(store_->Add("li", "county", "4401", "wang"), IsOk());
  EXPECT_THAT(store_->Revoke("wang", "wang"), IsOk());
}

// Nobody could manage the server without an admin of every region (and
// bootstrap runs once): the last one is never demoted, narrowed or revoked.
TEST_F(UserStoreTest, TheLastAdminOfEveryRegionStaysOne) {
  ASSERT_THAT(store_->Add("root", "admin", "", "bootstrap"), IsOk());
  ASSERT_THAT(store_->Add("wang", "admin", "4401", "root"), IsOk());
  auto last = StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("last admin of every region"));
  EXPECT_THAT(store_->Set("root", "county", std::nullopt, "root"), last);
  EXPECT_THAT(store_->Set("root", std::nullopt, "4401", "root"), last);
  EXPECT_THAT(store_->Revoke("root", "root"), last);
  EXPECT_EQ(store_->Audit().size(), 2u);
  // With a second one, either may go; then the other is the last.
  ASSERT_THAT(store_->Set("wang", std::nullopt, "", "root"), IsOk());
  EXPECT_THAT(store_->Set("root", "county", std::nullopt, "root"), IsOk());
  EXPECT_THAT(store_->Revoke("wang", "wang"), last);
  EXPECT_THAT(store_->Rotate("wang", "wang"), IsOk());
}

// The caller's authorization runs under the store's lock, on the user as
// it is then: a refusal changes nothing.
TEST_F(UserStoreTest, ARefusedChangeChangesNothing) {
  VS_ASSERT_OK_AND_ASSIGN(std::string token,
                          store_->Add("li", "field_worker", "4401", "root"));
  int calls = 0;
  UserStore::Authorize refuse = [&](const v1::UserInfo& before,
                                    const v1::UserInfo& after) {
    ++calls;
    EXPECT_EQ(before.name(), "li");
    EXPECT_EQ(after.name(), "li");
    return absl::PermissionDeniedError("no");
  };
  EXPECT_THAT(store_->Set("li", "county", std::nullopt, "x", refuse),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_THAT(store_->Rotate("li", "x", refuse),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_THAT(store_->Revoke("li", "x", refuse),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_EQ(calls, 3);
  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo li, store_->Authenticate(token));
  EXPECT_EQ(li.role(), "field_worker");
  EXPECT_EQ(store_->Audit().size(), 1u);
}

TEST_F(UserStoreTest, AnEmptyFileIsDataLoss) {
  ASSERT_THAT(store_->Add("root", "admin", "", "bootstrap"), IsOk());
  store_.reset();
  WriteBytes(path_, "");
  EXPECT_THAT(UserStore::Open(path_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("empty")));
}

TEST_F(UserStoreTest, ASetUserKeepsItsTokenAndTheChangeSurvivesReopen) {
  VS_ASSERT_OK_AND_ASSIGN(std::string token,
                          store_->Add("li", "field_worker", "4401", "root"));
  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo set,
                          store_->Set("li", std::nullopt, "440102", "wang"));
  EXPECT_EQ(set.role(), "field_worker");
  EXPECT_EQ(set.scope(), "440102");

  Reopen();

  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo user, store_->Authenticate(token));
  EXPECT_EQ(user.scope(), "440102");
  ASSERT_EQ(store_->Audit().size(), 2u);
  EXPECT_EQ(store_->Audit()[1].action(), "user.set");
  EXPECT_EQ(store_->Audit()[1].actor(), "wang");
  EXPECT_EQ(store_->Audit()[1].detail(),
            "role=field_worker scope=4401 -> role=field_worker scope=440102");
}

TEST_F(UserStoreTest, ASetToNothingNewOrToABadValueChangesNothing) {
  ASSERT_THAT(store_->Add("li", "field_worker", "4401", "root"), IsOk());
  EXPECT_THAT(
      store_->Set("li", "field_worker", std::nullopt, "root"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already has")));
  EXPECT_THAT(store_->Set("li", "mayor", std::nullopt, "root"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role")));
  EXPECT_THAT(store_->Set("li", std::nullopt, "44a", "root"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scope")));
  EXPECT_THAT(store_->Set("zhao", "county", std::nullopt, "root"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("zhao")));
  EXPECT_EQ(store_->List()[0].scope(), "4401");
  EXPECT_EQ(store_->Audit().size(), 1u);
}

TEST_F(UserStoreTest, ARotatedTokenReplacesTheOldOneAcrossReopen) {
  VS_ASSERT_OK_AND_ASSIGN(std::string old_token,
                          store_->Add("li", "field_worker", "4401", "root"));
  VS_ASSERT_OK_AND_ASSIGN(std::string new_token, store_->Rotate("li", "root"));
  EXPECT_THAT(new_token, MatchesRegex("vs_[0-9a-f]{64}"));
  EXPECT_THAT(store_->Authenticate(old_token),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
  EXPECT_THAT(store_->Authenticate(new_token), IsOk());

  Reopen();

  EXPECT_THAT(store_->Authenticate(old_token),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
  VS_ASSERT_OK_AND_ASSIGN(v1::UserInfo user, store_->Authenticate(new_token));
  EXPECT_EQ(user.name(), "li");
  EXPECT_EQ(store_->Audit().back().action(), "user.rotate");
  // A revoked user has no token to rotate.
  ASSERT_THAT(store_->Revoke("li", "root"), IsOk());
  EXPECT_THAT(store_->Rotate("li", "root"),
              StatusIs(absl::StatusCode::kNotFound, _));
  EXPECT_THAT(store_->Authenticate(new_token),
              StatusIs(absl::StatusCode::kUnauthenticated, _));
}

TEST(UserStoreHashTest, HashTokenIsLowercaseHexSha256) {
  EXPECT_EQ(HashToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(UserStoreRoleTest, IsRoleAcceptsExactlyTheSpecRoles) {
  for (const char* role : kRoles) EXPECT_TRUE(IsRole(role)) << role;
  EXPECT_FALSE(IsRole(""));
  EXPECT_FALSE(IsRole("Admin"));
  EXPECT_FALSE(IsRole("admin "));
}

}  // namespace
}  // namespace villagesync
