#include "client/cli.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/builtin_schemas.h"
#include "storage/record_store.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;
using ::villagesync::testing::IsOk;

constexpr char kVillage[] = "370102001001";

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

// Each RunCli call opens the device directory and closes it on return, as
// separate invocations of the command do.
class CliTest : public ::testing::Test {
 protected:
  // villagesync `args`, with no --store added.
  CliResult RunRaw(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    int code = RunCli(args, out, err);
    return {code, out.str(), err.str()};
  }

  // villagesync --store <device dir> `args`.
  CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", store_});
    return RunRaw(args);
  }

  // Runs a put that must succeed; returns the id it printed.
  std::string Put(std::vector<std::string> args) {
    args.insert(args.begin(), "put");
    CliResult result = Run(args);
    EXPECT_EQ(result.code, 0) << result.err;
    EXPECT_THAT(result.out, Not(IsEmpty()));
    return result.out.empty() ? ""
                              : result.out.substr(0, result.out.size() - 1);
  }

  // The member 王秀兰 of DOMAIN.md sample 3, with a phone number.
  std::string PutWangXiulan(const std::string& id) {
    return Put({"members", "--village", kVillage, "--id", id, "name=王秀兰",
                "join_date=1963-05-04", "status=正式党员",
                "care_flags=老党员，生活困难党员", "phone=13800000000"});
  }

  // Gives the device a concurrent edit of `key` from another replica:
  // `device_edit` is made on the device's store (as `put` would) and
  // `other_edit` on a second store that has seen the same history, then the
  // two exchange changes. The device's store is closed again on return.
  void EditConcurrently(
      const v1::RecordKey& key,
      std::vector<std::pair<std::string, v1::Value>> device_edit,
      std::vector<std::pair<std::string, v1::Value>> other_edit,
      bool device_deletes = false) {
    auto device = RecordStore::Open(store_ + "/store");
    auto other = RecordStore::Open(dir_.Sub("other"));
    ASSERT_THAT(device, IsOk());
    ASSERT_THAT(other, IsOk());
    ASSERT_THAT(villagesync::testing::FullSync(**device, **other), IsOk());
    if (device_deletes) {
      ASSERT_THAT((*device)->Delete(key, "device"), IsOk());
    } else {
      ASSERT_THAT((*device)->Put(villagesync::testing::Edit(key, device_edit)),
                  IsOk());
    }
    ASSERT_THAT((*other)->Put(villagesync::testing::Edit(key, other_edit)),
                IsOk());
    ASSERT_THAT(villagesync::testing::FullSync(**device, **other), IsOk());
  }

  villagesync::testing::TempDir dir_{villagesync::testing::TempDir::kInMemory};
  const std::string store_ = dir_.Sub("device");
};

// A device initialized with a server that never answers (port 1 on
// loopback): every local command works offline.
class OfflineCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliResult init = Run({"init", "--server", "127.0.0.1:1", "--token", "t"});
    ASSERT_EQ(init.code, 0) << init.err;
  }
};

TEST_F(CliTest, ATimeoutBoundsACommandAgainstAnUnreachableServer) {
  // Port 1 on loopback: nothing listens, every attempt is refused.
  ASSERT_EQ(Run({"init", "--server", "127.0.0.1:1", "--token", "t"}).code, 0);
  absl::Time start = absl::Now();
  CliResult sync = RunRaw({"--timeout", "1", "--store", store_, "sync"});
  EXPECT_EQ(sync.code, 3) << sync.err;
  EXPECT_THAT(sync.err, HasSubstr("--timeout"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(RunRaw({"--timeout", "soon", "--store", store_, "sync"}).code, 2);
}

TEST_F(CliTest, ATokenComesFromAFileOrTheEnvironmentNotOnlyArgv) {
  std::string file = dir_.Sub("token");
  std::ofstream(file) << "vs_from_file\n";
  // Nothing answers on port 1: the settings are kept, to check at the sync.
  ASSERT_EQ(Run({"init", "--server", "127.0.0.1:1", "--token_file", file}).code,
            0);
  setenv("VILLAGESYNC_TOKEN", "vs_from_env", 1);
  EXPECT_EQ(Run({"init", "--server", "127.0.0.1:1"}).code, 0);
  unsetenv("VILLAGESYNC_TOKEN");
  CliResult none = Run({"init", "--server", "127.0.0.1:1"});
  EXPECT_EQ(none.code, 2);
  EXPECT_THAT(none.err, HasSubstr("--token_file"));
}

TEST_F(OfflineCliTest, PutPrintsANewIdAndGetJsonShowsTheMemberExactly) {
  std::string id =
      Put({"members", "--village", kVillage, "name=王秀兰",
           "join_date=1963-05-04", "status=正式党员",
           "care_flags=老党员，生活困难党员", "phone=13800000000"});
  EXPECT_THAT(id, MatchesRegex("[0-9A-HJKMNP-TV-Z]{26}"));

  CliResult get = Run({"get", "members", id, "--json"});
  EXPECT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(get.out,
            absl::StrCat(R"({"collection":"members","id":")", id,
                         R"(","village":"370102001001","fields":{)",
                         R"("name":"王秀兰","phone":"13800000000",)",
                         R"("join_date":"1963-05-04","status":"正式党员",)",
                         R"("care_flags":["老党员","生活困难党员"]},)",
                         R"("conflicts":[],"deleted":false})", "\n"));
  EXPECT_THAT(get.err, IsEmpty());
}

TEST_F(OfflineCliTest, MoneyInYuanIsStoredAndShownInFen) {
  std::string id = Put({"dues", "--village", kVillage, "--id", "dues-2024h1",
                        "member=李建国", "months=2024-01..2024-06",
                        "amount=6.00", "paid_date=2024-06-28"});
  EXPECT_EQ(id, "dues-2024h1");

  CliResult get = Run({"get", "dues", "dues-2024h1", "--json"});
  EXPECT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(
      get.out,
      R"({"collection":"dues","id":"dues-2024h1","village":"370102001001",)"
      R"("fields":{"member":"李建国","months":"2024-01..2024-06",)"
      R"("amount":600,"paid_date":"2024-06-28"},"conflicts":[],)"
      R"("deleted":false})"
      "\n");
}

TEST_F(OfflineCliTest, PutWithTheIdOfAnExistingRecordChangesOnlyTheNamedField) {
  PutWangXiulan("wxl");
  std::string before = Run({"get", "members", "wxl", "--json"}).out;

  EXPECT_EQ(Put({"members", "--village", kVillage, "--id", "wxl",
                 "phone=13900000000"}),
            "wxl");

  std::string after = Run({"get", "members", "wxl", "--json"}).out;
  std::string expected = before;
  expected.replace(expected.find("13800000000"), 11, "13900000000");
  EXPECT_EQ(after, expected);
}

TEST_F(OfflineCliTest, AnEmptyValueClearsTheField) {
  PutWangXiulan("wxl");
  Put({"members", "--village", kVillage, "--id", "wxl", "phone="});
  CliResult get = Run({"get", "members", "wxl", "--json"});
  EXPECT_THAT(get.out, Not(HasSubstr("phone")));
  EXPECT_THAT(get.out, HasSubstr(R"("name":"王秀兰")"));
}

TEST_F(OfflineCliTest, AnImpossibleDateFailsNamingTheFieldAndWritesNothing) {
  CliResult put =
      Run({"put", "members", "--village", kVillage, "--id", "m1", "name=李建国",
           "join_date=2024-13-40", "status=正式党员"});
  EXPECT_EQ(put.code, 1);
  EXPECT_THAT(put.err, AllOf(HasSubstr("join_date"), HasSubstr("2024-13-40")));
  EXPECT_THAT(put.out, IsEmpty());
  EXPECT_EQ(Run({"get", "members", "m1"}).code, 1);
}

TEST_F(OfflineCliTest, AnUnknownFieldFailsNamingTheField) {
  CliResult put =
      Run({"put", "members", "--village", kVillage, "name=李建国",
           "join_date=1995-07-01", "status=正式党员", "nickname=老李"});
  EXPECT_EQ(put.code, 1);
  EXPECT_THAT(put.err,
              AllOf(HasSubstr("nickname"), HasSubstr("unknown field")));
}

TEST_F(OfflineCliTest, AValueOutsideTheEnumFailsNamingTheField) {
  CliResult put = Run({"put", "members", "--village", kVillage, "name=李建国",
                       "join_date=1995-07-01", "status=群众"});
  EXPECT_EQ(put.code, 1);
  EXPECT_THAT(put.err, AllOf(HasSubstr("status"), HasSubstr("正式党员")));
}

TEST_F(OfflineCliTest, AMissingRequiredFieldOnCreateFailsNamingTheField) {
  CliResult put = Run({"put", "members", "--village", kVillage, "name=李建国",
                       "status=正式党员"});
  EXPECT_EQ(put.code, 1);
  EXPECT_THAT(put.err, HasSubstr("join_date"));
}

TEST_F(OfflineCliTest, AnUnknownCollectionFailsListingTheKnownOnes) {
  CliResult put = Run({"put", "memberz", "--village", kVillage, "name=x"});
  EXPECT_EQ(put.code, 1);
  EXPECT_THAT(put.err, AllOf(HasSubstr("memberz"), HasSubstr("members")));
}

TEST_F(OfflineCliTest, AnAppendOnlyRecordIsNeverEdited) {
  Put({"dues", "--village", kVillage, "--id", "d1", "member=李建国",
       "months=2024-01..2024-06", "amount=6.00"});
  CliResult edit =
      Run({"put", "dues", "--village", kVillage, "--id", "d1", "amount=7.00"});
  EXPECT_EQ(edit.code, 1);
  EXPECT_THAT(edit.err, HasSubstr("append-only"));
}

TEST_F(OfflineCliTest, DeleteThenGetShowsTheRecordAsDeletedAndListOmitsIt) {
  PutWangXiulan("wxl");
  CliResult del = Run({"delete", "members", "wxl"});
  EXPECT_EQ(del.code, 0) << del.err;
  EXPECT_THAT(del.out, HasSubstr("wxl"));

  CliResult get = Run({"get", "members", "wxl", "--json"});
  EXPECT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(get.out,
            R"({"collection":"members","id":"wxl","village":"370102001001",)"
            R"("fields":{},"conflicts":[],"deleted":true})"
            "\n");
  EXPECT_THAT(Run({"get", "members", "wxl"}).out, HasSubstr("deleted: true"));
  EXPECT_EQ(Run({"list", "members"}).out, "");
}

TEST_F(OfflineCliTest, DeletingARecordTwiceFailsWithNotFound) {
  PutWangXiulan("wxl");
  EXPECT_EQ(Run({"delete", "members", "wxl"}).code, 0);
  CliResult again = Run({"delete", "members", "wxl"});
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err, HasSubstr("no record members/wxl"));
}

TEST_F(OfflineCliTest, ListVillagePrefixKeepsOnlyThatRegion) {
  for (const char* village : {"370102001001", "370102001002", "370103002001"}) {
    Put({"members", "--village", village, "--id", absl::StrCat("m", village),
         "name=李建国", "join_date=1995-07-01", "status=正式党员"});
  }
  CliResult township = Run({"list", "members", "--village", "370102001"});
  EXPECT_EQ(township.code, 0) << township.err;
  std::vector<std::string> lines =
      absl::StrSplit(township.out, '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[0],
              AllOf(HasSubstr("m370102001001"), HasSubstr("name=李建国"),
                    HasSubstr("status=正式党员")));
  EXPECT_THAT(lines[1], HasSubstr("370102001002"));
  EXPECT_THAT(Run({"list", "members"}).out,
              HasSubstr("m370103002001  370103002001"));
}

TEST_F(OfflineCliTest, ListJsonIsAnArrayOfTheObjectsGetPrints) {
  PutWangXiulan("a1");
  PutWangXiulan("a2");
  CliResult list = Run({"list", "members", "--json"});
  EXPECT_EQ(list.code, 0) << list.err;
  std::string a1 = Run({"get", "members", "a1", "--json"}).out;
  std::string a2 = Run({"get", "members", "a2", "--json"}).out;
  a1.pop_back();  // the newline after the object
  EXPECT_EQ(list.out, absl::StrCat("[\n", a1, ",\n", a2, "]\n"));
  EXPECT_EQ(Run({"list", "talks", "--json"}).out, "[]\n");
}

TEST_F(OfflineCliTest, AnIdInTwoVillagesNeedsTheVillageNamed) {
  Put({"members", "--village", "370102001001", "--id", "same", "name=甲",
       "join_date=1995-07-01", "status=正式党员"});
  Put({"members", "--village", "370102001002", "--id", "same", "name=乙",
       "join_date=1995-07-01", "status=正式党员"});
  CliResult ambiguous = Run({"get", "members", "same"});
  EXPECT_EQ(ambiguous.code, 1);
  EXPECT_THAT(ambiguous.err,
              AllOf(HasSubstr("--village"), HasSubstr("370102001002")));
  CliResult named =
      Run({"get", "members", "same", "--village", "370102001002", "--json"});
  EXPECT_EQ(named.code, 0) << named.err;
  EXPECT_THAT(named.out, HasSubstr(R"("name":"乙")"));
}

TEST_F(OfflineCliTest, GetShowsOneFieldPerLineForPeople) {
  PutWangXiulan("wxl");
  CliResult get = Run({"get", "members", "wxl"});
  EXPECT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(get.out,
            "members/wxl (village 370102001001)\n"
            "name: 王秀兰\n"
            "phone: 13800000000\n"
            "join_date: 1963-05-04\n"
            "status: 正式党员\n"
            "care_flags: 老党员,生活困难党员\n");
}

TEST_F(OfflineCliTest, FieldsInConflictAreListedAndMarked) {
  PutWangXiulan("wxl");
  v1::RecordKey key = villagesync::testing::Key(kVillage, "members", "wxl");
  EditConcurrently(key, {{"status", villagesync::testing::Enum("停止党籍")}},
                   {{"status", villagesync::testing::Enum("死亡")}});

  CliResult json = Run({"get", "members", "wxl", "--json"});
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out,
              HasSubstr(R"("conflicts":["status"],"deleted":false})"));
  CliResult text = Run({"get", "members", "wxl"});
  EXPECT_THAT(text.out, MatchesRegex(".*\nstatus: [^\n]*\\[conflict.*"));
  EXPECT_THAT(Run({"list", "members"}).out, HasSubstr("[conflict: status]"));
}

TEST_F(OfflineCliTest, ADeleteMeetingAConcurrentEditIsShownAsADeleteConflict) {
  PutWangXiulan("wxl");
  v1::RecordKey key = villagesync::testing::Key(kVillage, "members", "wxl");
  EditConcurrently(key, {}, {{"phone", villagesync::testing::Str("139")}},
                   /*device_deletes=*/true);

  CliResult json = Run({"get", "members", "wxl", "--json"});
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out,
              HasSubstr(R"("deleted":false,"delete_conflict":true})"));
  EXPECT_THAT(Run({"get", "members", "wxl"}).out, HasSubstr("delete conflict"));
  EXPECT_THAT(Run({"list", "members"}).out, HasSubstr("[delete conflict]"));
}

TEST_F(OfflineCliTest, StatusJsonOfANewDeviceCountsItsPendingEdits) {
  PutWangXiulan("wxl");
  CliResult status = Run({"status", "--json"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(
      status.out,
      MatchesRegex(R"(\{"server":"127.0.0.1:1","user":"","role":"","scope":"",)"
                   R"("replica_id":"[0-9a-f]{16}","pending":1,)"
                   R"("last_sync":null,"last_error":null\}
)"));
  EXPECT_THAT(Run({"status"}).out, HasSubstr("unknown until the server"));
}

TEST_F(OfflineCliTest, SchemaShowListsEveryFieldWithItsTypeOffline) {
  CliResult shown = Run({"schema", "show", "members", "--json"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  auto json = nlohmann::json::parse(shown.out);
  EXPECT_EQ(json["name"], "members");
  EXPECT_EQ(json["kind"], "mutable");
  const SchemaRegistry builtin(BuiltinSchemas());
  const v1::CollectionSchema* members = builtin.FindCollection("members");
  ASSERT_NE(members, nullptr);
  ASSERT_EQ(json["fields"].size(), members->fields().size());
  for (size_t i = 0; i < json["fields"].size(); ++i) {
    EXPECT_EQ(json["fields"][i]["name"], members->fields(i).name());
    EXPECT_FALSE(json["fields"][i]["type"].get<std::string>().empty());
  }
  auto field = [&](const std::string& name) {
    for (const auto& f : json["fields"]) {
      if (f["name"] == name) return f;
    }
    return nlohmann::json();
  };
  EXPECT_EQ(field("status")["type"], "enum");
  EXPECT_TRUE(field("status")["required"].get<bool>());
  EXPECT_FALSE(field("status")["enum_values"].empty());
  EXPECT_EQ(field("phone")["type"], "string");
  EXPECT_TRUE(field("phone")["pii"].get<bool>());
  EXPECT_EQ(field("join_date")["type"], "date");

  CliResult text = Run({"schema", "show", "members"});
  EXPECT_THAT(text.out, HasSubstr("  phone  string  pii  merge review"));
  CliResult list = Run({"schema", "list"});
  EXPECT_THAT(list.out, HasSubstr("members  mutable  "));
  EXPECT_THAT(list.out, HasSubstr("meetings  append-only  "));
  CliResult unknown = Run({"schema", "show", "memberz"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("unknown collection \"memberz\""));
}

// A mistyped --store must not become an empty store that seems to work.
TEST_F(CliTest, EveryCommandButInitRefusesAStoreNeverInitialized) {
  const std::vector<std::vector<std::string>> commands = {
      {"put", "members", "--village", kVillage, "name=李建国",
       "join_date=1995-07-01", "status=正式党员"},
      {"get", "members", "m1"},
      {"list", "members"},
      {"delete", "members", "m1"},
      {"status"},
      {"sync"},
      {"conflicts", "list"},
      {"report", "--region", "4401", "--period", "2024-05"},
      {"admin", "users", "list"},
  };
  std::string typo = dir_.Sub("devcie");
  for (std::vector<std::string> args : commands) {
    args.insert(args.begin(), {"--store", typo});
    CliResult result = RunRaw(args);
    EXPECT_EQ(result.code, 1) << args[2] << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("\"" + typo + "\" is not initialized"))
        << args[2];
    EXPECT_FALSE(std::filesystem::exists(typo)) << args[2];
  }
}

TEST_F(OfflineCliTest, ABadVillageCodeOrPrefixIsAUsageError) {
  CliResult list = Run({"list", "members", "--village", "44a"});
  EXPECT_EQ(list.code, 2) << list.err;
  EXPECT_THAT(list.err, HasSubstr("--village must be a village code or its "
                                  "first digits (up to 12), not \"44a\""));
  CliResult get = Run({"get", "members", "m1", "--village", "4401"});
  EXPECT_EQ(get.code, 2) << get.err;
  EXPECT_THAT(get.err, HasSubstr("a 12-digit village code"));
  EXPECT_EQ(Run({"delete", "members", "m1", "--village", "x"}).code, 2);
  EXPECT_EQ(Run({"list", "members", "--village", "4401"}).code, 0);
}

TEST_F(CliTest, SyncWithoutInitFailsAndSaysHowToInit) {
  CliResult sync = Run({"sync"});
  EXPECT_EQ(sync.code, 1);
  EXPECT_THAT(sync.err, HasSubstr("init --server"));
}

TEST_F(CliTest, InitWithAnUnreachableServerKeepsTheSettingsForTheNextSync) {
  // A bound socket that never listens: connections are refused at once.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::string server = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));

  CliResult init = Run({"init", "--server", server, "--token", "t0ken"});
  EXPECT_EQ(init.code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr("next sync"));
  EXPECT_THAT(Run({"status", "--json"}).out,
              HasSubstr(absl::StrCat(R"("server":")", server, R"(")")));
  close(fd);
}

TEST_F(OfflineCliTest, TheStoreMayFollowTheCommand) {
  CliResult put = RunRaw({"put", "members", "--store", store_, "--village",
                          kVillage, "--id", "m1", "name=李建国",
                          "join_date=1995-07-01", "status=正式党员"});
  EXPECT_EQ(put.code, 0) << put.err;
  EXPECT_EQ(RunRaw({"get", "members", "m1", "--store=" + store_}).code, 0);
}

TEST_F(CliTest, EveryCommandsHelpExitsZeroAndNamesItsFlags) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> mentions;
  };
  std::vector<Case> cases = {
      {{"init", "--help"}, {"--server", "--token"}},
      {{"put", "--help"}, {"--village", "--id", "FIELD=VALUE", "YYYY-MM-DD"}},
      {{"get", "-h"}, {"--village", "--json", "delete_conflict"}},
      {{"list", "--help"}, {"--village", "--json"}},
      {{"delete", "--help"}, {"--village"}},
      {{"sync", "--help"}, {"pushed N, pulled M, conflicts K"}},
      {{"status", "--help"}, {"--json", "last_sync", "replica_id"}},
      {{"admin", "--help"}, {"users add", "users revoke"}},
      {{"admin", "users", "add", "--help"}, {"--name", "--role", "--scope"}},
      {{"admin", "users", "revoke", "-h"}, {"revoke NAME"}},
      {{"admin", "audit", "--help"}, {"--since", "--json", "YYYY-MM-DD"}},
      {{"conflicts", "--help"}, {"conflicts list", "show ID", "_record"}},
      {{"conflicts", "list", "--help"},
       {"--region", "--collection", "--status", "--min-age-days", "--json"}},
      {{"conflicts", "show", "x", "--help"},
       {"ancestor", "(deleted)", "hlc_time", "--json"}},
      {{"conflicts", "resolve", "-h"},
       {"--pick", "--value", "--keep", "--delete", "--reason", "sync"}},
      {{"--store", "x", "put", "members", "--help"}, {"--village"}},
      {{"report", "--help"},
       {"--region", "--period", "--format", "YYYY-Qn", "csv", "byte order mark",
        "STALE", "docs/REPORT_JSON.md"}},
      {{"report", "--region", "370102", "-h"}, {"--period"}},
      {{"admin", "rules", "--help"}, {"rules list", "rules set"}},
      {{"admin", "rules", "list", "--help"}, {"--json", "≥N", "主题党日"}},
      {{"admin", "rules", "set", "-h"},
       {"--type", "--cadence", "--min", "--from", "quarterly", "audit log"}},
      {{"admin", "--help"}, {"admin rules list", "admin rules set"}},
      {{"admin", "users", "set", "--help"}, {"--name", "--role", "--scope"}},
      {{"schema", "--help"}, {"schema list", "schema show", "pii"}},
      {{"schema", "show", "-h"}, {"--json", "enum_values", "merge"}},
  };
  for (const Case& c : cases) {
    CliResult help = RunRaw(c.args);
    EXPECT_EQ(help.code, 0) << c.args[0];
    EXPECT_THAT(help.err, IsEmpty()) << c.args[0];
    EXPECT_THAT(help.out, HasSubstr("Exit codes")) << c.args[0];
    for (const std::string& mention : c.mentions) {
      EXPECT_THAT(help.out, HasSubstr(mention)) << c.args[0];
    }
  }
  EXPECT_FALSE(std::filesystem::exists("x"));
}

TEST_F(CliTest, GlobalHelpListsEveryCommandAndTheExitCodes) {
  for (const char* flag : {"--help", "-h"}) {
    CliResult help = RunRaw({flag});
    EXPECT_EQ(help.code, 0);
    for (const char* text : {"init",
                             "put",
                             "get",
                             "list",
                             "delete",
                             "sync",
                             "status",
                             "admin users add",
                             "admin users revoke",
                             "admin users show",
                             "admin users set",
                             "admin users rotate",
                             "schema list",
                             "schema show",
                             "admin audit",
                             "conflicts list",
                             "conflicts show",
                             "conflicts resolve",
                             "report",
                             "--period PERIOD",
                             "--format table|csv|json",
                             "admin rules list",
                             "admin rules set",
                             "--cadence monthly|quarterly|yearly",
                             "--store",
                             "--json",
                             "3  server unreachable",
                             "4  authentication"}) {
      EXPECT_THAT(help.out, HasSubstr(text));
    }
  }
}

TEST_F(CliTest, UsageErrorsExitWithTwoAndPointAtHelp) {
  std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"frobnicate"},
      {"--verbose", "list", "members"},
      {"list", "members", "--verbose"},
      {"list"},
      {"list", "members", "extra"},
      {"get", "members"},
      {"put", "members", "--village", kVillage},
      {"put", "members", "name=李建国"},
      {"put", "members", "--village", kVillage, "name"},
      {"put", "members", "--village", kVillage, "name=a", "name=b"},
      {"put", "members", "--village"},
      {"delete", "members", "x", "--json"},
      {"status", "--json=yes"},
      {"init", "--server", "127.0.0.1:7443"},
      {"admin"},
      {"admin", "users", "add", "--name", "bob", "--role", "admin"},
      {"admin", "users", "revoke"},
      {"admin", "audit", "--since", "2024-13-01"},
      {"admin", "audit", "extra"},
      {"conflicts"},
      {"conflicts", "frobnicate"},
      {"conflicts", "show"},
      {"conflicts", "list", "--status", "closed"},
      {"conflicts", "list", "--min-age-days", "-1"},
      {"conflicts", "resolve", "c1", "--reason", "checked"},
      {"conflicts", "resolve", "c1", "--pick", "1", "--keep", "--reason", "x"},
      {"conflicts", "resolve", "c1", "--value", "1", "--delete", "--reason",
       "x"},
      {"conflicts", "resolve", "c1", "--pick", "1"},
      {"conflicts", "resolve", "c1", "--pick", "1", "--reason", ""},
      {"conflicts", "resolve", "c1", "--pick", "0", "--reason", "x"},
      {"conflicts", "resolve", "c1", "--pick", "two", "--reason", "x"},
      {"conflicts", "resolve", "--pick", "1", "--reason", "x"},
      {"--store", store_, "list", "members", "--store", store_},
      {"report"},
      {"report", "--region", "370102"},
      {"report", "--period", "2024-05"},
      {"report", "--region", "370102", "--period", "2024-13"},
      {"report", "--region", "370102", "--period", "2024-00"},
      {"report", "--region", "370102", "--period", "2024-5"},
      {"report", "--region", "370102", "--period", "2024-Q5"},
      {"report", "--region", "370102", "--period", "2024-q2"},
      {"report", "--region", "370102", "--period", "24"},
      {"report", "--region", "370102", "--period", "2024-05-01"},
      {"report", "--region", "370102", "--period", ""},
      {"report", "--region", "370102", "--period", "2024", "--format", "xlsx"},
      {"report", "--region", "370102", "--period", "2024", "--format"},
      {"report", "--region", "370102", "--period", "2024", "--json"},
      {"report", "--region", "370102", "--period", "2024", "extra"},
      {"admin", "rules"},
      {"admin", "rules", "frobnicate"},
      {"admin", "rules", "list", "extra"},
      {"admin", "rules", "list", "--format", "json"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "1"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "weekly",
       "--min", "1", "--from", "2024-01"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "-1", "--from", "2024-01"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "one", "--from", "2024-01"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "99999999999", "--from", "2024-01"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "1", "--from", "2024-13"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "1", "--from", "2024"},
      {"admin", "rules", "set", "--type", "", "--cadence", "monthly", "--min",
       "1", "--from", "2024-01"},
  };
  for (const std::vector<std::string>& args : usage_errors) {
    std::vector<std::string> with_store = args;
    if (args.empty() || args[0] != "--store") {
      with_store.insert(with_store.begin(), {"--store", store_});
    }
    CliResult result = RunRaw(with_store);
    std::string shown = absl::StrJoin(args, " ");
    EXPECT_EQ(result.code, 2) << shown;
    EXPECT_THAT(result.err, HasSubstr("--help")) << shown;
    EXPECT_THAT(result.out, IsEmpty()) << shown;
  }
  EXPECT_EQ(RunRaw({"list", "members"}).code, 2);  // no --store at all
}

TEST_F(CliTest, AUsageErrorCreatesNoStore) {
  EXPECT_EQ(Run({"put", "members", "name=李建国"}).code, 2);
  EXPECT_EQ(Run({"conflicts", "resolve", "c1", "--keep", "--reason", ""}).code,
            2);
  EXPECT_EQ(Run({"report", "--region", "37", "--period", "2024-Q0"}).code, 2);
  EXPECT_EQ(Run({"admin", "rules", "set", "--type", "党课", "--cadence",
                 "monthly", "--min", "x", "--from", "2024-01"})
                .code,
            2);
  EXPECT_FALSE(std::filesystem::exists(store_));
}

TEST_F(CliTest, ABadReportOrRuleFlagValueIsAUsageErrorNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  std::vector<Case> cases = {
      {{"report", "--region", "370102", "--period", "2024-Q5"}, "--period"},
      {{"report", "--region", "370102", "--period", "2024-06", "--format",
        "xlsx"},
       "--format"},
      {{"admin", "rules", "set", "--type", "党课", "--cadence", "weekly",
        "--min", "1", "--from", "2024-01"},
       "--cadence"},
      {{"admin", "rules", "set", "--type", "党课", "--cadence", "quarterly",
        "--min", "-1", "--from", "2024-01"},
       "--min"},
      {{"admin", "rules", "set", "--type", "党课", "--cadence", "quarterly",
        "--min", "1", "--from", "2024-7"},
       "--from"},
      {{"report", "--region", "44a", "--period", "2024-06"}, "--region"},
      {{"conflicts", "list", "--region", "44a"}, "--region"},
      {{"admin", "devices", "list", "--region", "4401x"}, "--region"},
      {{"admin", "rules", "set", "--type", "党课", "--cadence", "quarterly",
        "--min", "1", "--from", "2024-07", "--region", "x"},
       "--region"},
  };
  for (const Case& c : cases) {
    CliResult result = Run(c.args);
    std::string shown = absl::StrJoin(c.args, " ");
    EXPECT_EQ(result.code, 2) << shown;
    EXPECT_THAT(result.err, HasSubstr(c.flag)) << shown;
  }
}

TEST_F(CliTest, EveryPeriodFormIsAcceptedBeforeAnyServerIsAsked) {
  for (const char* period :
       {"2024-05", "2024-12", "2024-Q1", "2024-Q4", "2024"}) {
    CliResult result =
        Run({"report", "--region", "", "--period", period, "--format", "csv"});
    EXPECT_EQ(result.code, 1) << period;  // not initialized, not usage
    EXPECT_THAT(result.err, HasSubstr("init --server")) << period;
  }
}

TEST_F(CliTest, ServerCommandsOnADeviceWithoutInitSayHowToInit) {
  std::vector<std::vector<std::string>> commands = {
      {"conflicts", "list"},
      {"conflicts", "show", "members/370102001001/wxl/phone"},
      {"conflicts", "resolve", "members/370102001001/wxl/phone", "--pick", "1",
       "--reason", "电话核实"},
      {"admin", "audit", "--since", "2024-05-01"},
      {"report", "--region", "370102", "--period", "2024-Q2"},
      {"admin", "rules", "list", "--json"},
      {"admin", "rules", "set", "--type", "主题党日", "--cadence", "monthly",
       "--min", "0", "--from", "2025-01"},
  };
  for (const std::vector<std::string>& args : commands) {
    CliResult result = Run(args);
    std::string shown = absl::StrJoin(args, " ");
    EXPECT_EQ(result.code, 1) << shown;
    EXPECT_THAT(result.err, HasSubstr("init --server")) << shown;
    EXPECT_THAT(result.out, IsEmpty()) << shown;
  }
}

}  // namespace
}  // namespace villagesync
