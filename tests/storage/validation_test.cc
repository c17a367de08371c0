// Bad input never changes a store: every validation error path, through a
// local write (Put/Delete) and through a remote Apply, returns the right code
// with the offending field named, and the store stays exactly as it was.
#include "storage/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/record_store.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using ::testing::AllOf;
using testing::Edit;
using testing::Enum;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::Key;
using testing::List;
using testing::NewMember;
using testing::StatusIs;
using testing::Str;

constexpr char kVillage[] = "440101001001";

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = RecordStore::Open(dir_.Sub("store"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
    auto other = RecordStore::Open(dir_.Sub("other"));
    ASSERT_THAT(other, IsOk());
    other_ = std::move(other).value();
    ASSERT_THAT(store_->Put(NewMember(kVillage, "existing", "李建国")), IsOk());
    seq_before_ = store_->last_seq();
  }

  // The store holds what SetUp wrote and nothing else.
  void ExpectUnchanged() {
    EXPECT_EQ(store_->last_seq(), seq_before_);
    auto records = store_->List("members", "", 100);
    ASSERT_THAT(records, IsOk());
    EXPECT_EQ(records->size(), 1u);
    auto log = store_->ReadChanges({});
    ASSERT_THAT(log, IsOk());
    EXPECT_EQ(log->changes.size(), 1u);
  }

  // A valid change made on another replica, to corrupt in tests.
  v1::Change RemoteMember(const std::string& id) {
    auto change = other_->Put(NewMember(kVillage, id, "王秀兰"));
    EXPECT_THAT(change, IsOk());
    return change.ok() ? *change : v1::Change();
  }

  // Applies `bad` alone, expects one rejection naming `field`, and checks
  // nothing was written.
  void ExpectRejected(const v1::Change& bad, absl::StatusCode code,
                      const std::string& field) {
    auto results = store_->Apply({bad}, other_->replica_id());
    ASSERT_THAT(results, IsOk());
    ASSERT_EQ(results->size(), 1u);
    EXPECT_EQ((*results)[0].outcome(), v1::APPLY_OUTCOME_REJECTED);
    EXPECT_EQ((*results)[0].code(), static_cast<int>(code));
    EXPECT_THAT((*results)[0].reason(), HasSubstr(field));
    ExpectUnchanged();
  }

  testing::TempDir dir_;
  std::unique_ptr<RecordStore> store_;
  std::unique_ptr<RecordStore> other_;
  uint64_t seq_before_ = 0;
  v1::RecordKey existing_ = Key(kVillage, "members", "existing");
};

TEST_F(ValidationTest, WrongTypeIsRejectedNamingTheField) {
  LocalEdit edit = NewMember(kVillage, "m2", "王秀兰");
  edit.fields[1].second = Str("1995-07-01");  // join_date must be a DATE
  EXPECT_THAT(store_->Put(edit),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("join_date"), HasSubstr("DATE"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, ValueOutsideTheEnumIsRejectedListingTheAllowedValues) {
  EXPECT_THAT(store_->Put(Edit(existing_, {{"status", Enum("党员")}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("status"), HasSubstr("正式党员"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, ListItemOutsideTheEnumIsRejected) {
  EXPECT_THAT(
      store_->Put(Edit(existing_, {{"care_flags", List({"优秀"})}})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("care_flags")));
  ExpectUnchanged();
}

TEST_F(ValidationTest, MissingRequiredFieldOnCreateIsRejected) {
  LocalEdit edit = NewMember(kVillage, "m2", "王秀兰");
  edit.fields.pop_back();  // no status
  EXPECT_THAT(store_->Put(edit),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("status"), HasSubstr("required"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, ClearingARequiredFieldIsRejected) {
  EXPECT_THAT(store_->Put(Edit(existing_, {{"name", testing::Cleared()}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  ExpectUnchanged();
}

TEST_F(ValidationTest, UnknownFieldIsRejectedNotStored) {
  EXPECT_THAT(
      store_->Put(Edit(existing_, {{"nickname", Str("小李")}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("nickname"), HasSubstr("unknown field"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, BadVillageCodeIsRejected) {
  EXPECT_THAT(store_->Put(NewMember("4401", "m2", "王秀兰")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("village"), HasSubstr("12-digit"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, BadRecordIdIsRejected) {
  EXPECT_THAT(store_->Put(NewMember(kVillage, "a/b", "王秀兰")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_THAT(store_->Put(NewMember(kVillage, std::string(65, 'x'), "王秀兰")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  ExpectUnchanged();
}

TEST_F(ValidationTest, UnknownCollectionIsRejected) {
  EXPECT_THAT(
      store_->Put(Edit(Key(kVillage, "things", "t1"), {{"a", Str("b")}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("collection"), HasSubstr("things"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, OversizeValueIsRejectedWithTheLimit) {
  std::string huge(kMaxStringValueBytes + 1, 'x');
  EXPECT_THAT(store_->Put(Edit(existing_, {{"occupation", Str(huge)}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("occupation"), HasSubstr("16384"))));
  ExpectUnchanged();
}

TEST_F(ValidationTest, MalformedUtf8IsRejectedNamingTheField) {
  EXPECT_THAT(store_->Put(Edit(existing_, {{"occupation", Str("农\xff民")}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("occupation"), HasSubstr("UTF-8"))));
  ExpectUnchanged();
}

TEST(Utf8Test, AcceptsChineseAndRejectsOverlongSurrogateAndTruncatedForms) {
  EXPECT_TRUE(IsValidUtf8("杨家坪村 ok 🌾"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xe6\x9d"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(QuotedTest, InputInAMessageIsCutEscapedAndNeverRawBytes) {
  EXPECT_EQ(Quoted("杨家坪村"), "\"杨家坪村\"");
  EXPECT_EQ(Quoted("a\"b\\c\n"), "\"a\\\"b\\\\c\\x0a\"");
  EXPECT_EQ(Quoted("\xff\xe6\x9d"), "\"\\xff\\xe6\\x9d\"");
  std::string long_id(100 * 1024, 'x');
  std::string quoted = Quoted(long_id);
  EXPECT_EQ(quoted, "\"" + std::string(kMaxQuotedChars, 'x') + "…\"");
  // Characters, not bytes: 64 Chinese characters fit whole.
  std::string chinese;
  for (int i = 0; i < 70; ++i) chinese += "村";
  EXPECT_EQ(Bounded(chinese).size(), kMaxQuotedChars * 3 + 3);
  EXPECT_TRUE(IsValidUtf8(Bounded(chinese)));
}

TEST_F(ValidationTest, AnOversizeIdIsNotEchoedBack) {
  absl::Status status =
      store_->Put(NewMember(kVillage, std::string(100 * 1024, 'x'), "李"))
          .status();
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id: ")));
  EXPECT_LT(status.message().size(), 200u);
  ExpectUnchanged();
}

TEST_F(ValidationTest, EditOfAnAppendOnlyRecordIsAFailedPrecondition) {
  v1::RecordKey visit = Key(kVillage, "visits", "v1");
  ASSERT_THAT(store_->Put(Edit(visit, {{"date", testing::Date(2024, 5, 14)},
                                       {"household", Str("孙玉山")}})),
              IsOk());
  seq_before_ = store_->last_seq();
  EXPECT_THAT(store_->Put(Edit(visit, {{"notes", Str("改")}})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("append-only")));
  EXPECT_THAT(store_->Delete(visit, "甲"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("append-only")));
  EXPECT_EQ(store_->last_seq(), seq_before_);
}

TEST_F(ValidationTest, DeleteOfAnUnknownRecordIsNotFound) {
  EXPECT_THAT(store_->Delete(Key(kVillage, "members", "nobody"), "甲"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nobody")));
  ExpectUnchanged();
}

TEST_F(ValidationTest, RemoteChangeWithWrongTypeIsRejectedNamingTheField) {
  v1::Change bad = RemoteMember("m2");
  for (v1::FieldState& f : *bad.mutable_fields()) {
    if (f.name() == "status")
      f.mutable_siblings(0)->mutable_value()->set_int_value(1);
  }
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, "status");
}

TEST_F(ValidationTest, RemoteChangeWithUnknownFieldIsRejected) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_fields(0)->set_name("nickname");
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, "nickname");
}

TEST_F(ValidationTest, RemoteChangeWithBadVillageIsRejected) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_key()->set_village("44010100100X");
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, "village");
}

TEST_F(ValidationTest, RemoteCreateWithoutARequiredFieldIsRejected) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_fields()->RemoveLast();  // status: the last field NewMember sets
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, "status");
}

TEST_F(ValidationTest, RemoteValueWithoutADotIsRejected) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_fields(0)->mutable_siblings(0)->clear_dot();
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, bad.fields(0).name());
}

TEST_F(ValidationTest, RemoteValueWhoseDotIsOutsideItsContextIsRejected) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_fields(0)->clear_context();
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, bad.fields(0).name());
}

TEST_F(ValidationTest, RemoteOversizeValueIsRejected) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_fields(0)->mutable_siblings(0)->mutable_value()->set_string_value(
      std::string(kMaxStringValueBytes + 1, 'x'));
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, bad.fields(0).name());
}

TEST_F(ValidationTest, RemoteEditOfAnAppendOnlyRecordIsRejected) {
  auto visit = other_->Put(Edit(
      Key(kVillage, "visits", "v1"),
      {{"date", testing::Date(2024, 5, 14)}, {"household", Str("孙玉山")}}));
  ASSERT_THAT(visit, IsOk());
  v1::Change edit = *visit;
  edit.set_creates(false);
  ExpectRejected(edit, absl::StatusCode::kFailedPrecondition, "append-only");
}

TEST_F(ValidationTest, AReferenceToAnUnknownOrEmptyCollectionIsRejected) {
  v1::Value ref;
  *ref.mutable_ref_value() = Key(kVillage, "photos", "p1");
  EXPECT_THAT(store_->Put(Edit(Key(kVillage, "org_units", "o1"),
                               {{"name", Str("第一支部")},
                                {"kind", Enum("党支部")},
                                {"parent", ref}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("parent"), HasSubstr("photos"))));
  ref.mutable_ref_value()->clear_collection();
  EXPECT_THAT(
      store_->Put(
          Edit(Key(kVillage, "org_units", "o1"), {{"name", Str("第一支部")},
                                                  {"kind", Enum("党支部")},
                                                  {"parent", ref}})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent")));
  ExpectUnchanged();
}

TEST_F(ValidationTest, ARemoteDeletionMarkerCarryingAValueIsRejected) {
  v1::Change bad = RemoteMember("m2");
  v1::Sibling* marker = bad.mutable_deletion()->add_siblings();
  marker->mutable_value()->set_string_value("deleted, sort of");
  *marker->mutable_dot() = bad.fields(0).siblings(0).dot();
  *bad.mutable_deletion()->mutable_context() = bad.fields(0).context();
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, "deletion");
}

TEST_F(ValidationTest, CountsOutsideTheirBoundsAreRejectedNamingTheField) {
  v1::RecordKey meeting = Key(kVillage, "meetings", "mt1");
  auto Meeting = [&](int64_t due, int64_t present) {
    return Edit(meeting, {{"type", Enum("支委会")},
                          {"date", testing::Date(2024, 5, 1)},
                          {"topic", Str("学习")},
                          {"due", testing::Int(due)},
                          {"present", testing::Int(present)}});
  };
  EXPECT_THAT(store_->Put(Meeting(-1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("due")));
  EXPECT_THAT(store_->Put(Meeting(int64_t{1} << 62, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("due")));
  EXPECT_THAT(store_->Put(Meeting(5, 7)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("present"), HasSubstr("due"))));
  ExpectUnchanged();
  // The same from another replica: present above due in the create.
  auto remote = other_->Put(Meeting(5, 5));
  ASSERT_THAT(remote, IsOk());
  v1::Change bad = *remote;
  for (v1::FieldState& f : *bad.mutable_fields()) {
    if (f.name() == "present") {
      f.mutable_siblings(0)->mutable_value()->set_int_value(9);
    }
  }
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument, "present");
  EXPECT_THAT(store_->Put(Meeting(5, 5)), IsOk());
}

TEST_F(ValidationTest, AnEditCannotRaiseACountAboveItsBoundInTheRecord) {
  v1::RecordKey applicant = Key(kVillage, "development", "d1");
  ASSERT_THAT(store_->Put(Edit(applicant, {{"person", Str("赵")},
                                           {"stage", Enum("发展对象")},
                                           {"vote_due", testing::Int(10)},
                                           {"vote_present", testing::Int(8)}})),
              IsOk());
  EXPECT_THAT(
      store_->Put(Edit(applicant, {{"vote_present", testing::Int(11)}})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("vote_present")));
  EXPECT_THAT(
      store_->Put(Edit(applicant, {{"vote_due", testing::Int(7)}})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("vote_present")));
  EXPECT_THAT(store_->Put(Edit(applicant, {{"vote_yes", testing::Int(8)}})),
              IsOk());
}

TEST_F(ValidationTest, ARejectedChangeDoesNotBlockTheChangesBehindIt) {
  v1::Change bad = RemoteMember("m2");
  bad.mutable_key()->set_village("4401");
  v1::Change good = RemoteMember("m3");
  auto results = store_->Apply({bad, good}, other_->replica_id());
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ((*results)[0].outcome(), v1::APPLY_OUTCOME_REJECTED);
  EXPECT_EQ((*results)[1].outcome(), v1::APPLY_OUTCOME_APPLIED);
  EXPECT_THAT(store_->Get(good.key()), IsOk());
}

}  // namespace
}  // namespace villagesync
