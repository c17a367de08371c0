// The merge truth table of SPEC §4, row by row, through real stores that
// exchange their change logs: causally newer, older, duplicate, concurrent
// equal, concurrent different under each policy, delete versus edit, and
// edits to different fields of one record.
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/record_store.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using testing::Edit;
using ::testing::ElementsAre;
using testing::Enum;
using testing::FullSync;
using testing::Int;
using ::testing::IsEmpty;
using testing::IsOk;
using testing::Key;
using testing::List;
using testing::NewMember;
using ::testing::SizeIs;
using testing::Str;
using testing::Visible;

constexpr char kVillage[] = "440101001001";

class MergeTruthTableTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStores(nullptr); }

  void OpenStores(std::shared_ptr<const SchemaRegistry> schemas) {
    for (int i = 0; i < 3; ++i) {
      StoreOptions options;
      options.schemas = schemas;
      // Replica i's wall clock; tests move it to order `lww` writes.
      options.wall_millis = [this, i] { return clock_ms_[i]; };
      stores_[i].reset();
      auto store = RecordStore::Open(
          dir_.Sub("r" + std::to_string(i) + (schemas ? "p" : "")), options);
      ASSERT_THAT(store, IsOk());
      stores_[i] = std::move(store).value();
    }
  }

  RecordStore& a() { return *stores_[0]; }
  RecordStore& b() { return *stores_[1]; }
  RecordStore& c() { return *stores_[2]; }

  std::vector<v1::Conflict> Conflicts(const RecordStore& store,
                                      v1::ConflictStatus status) {
    ConflictQuery query;
    query.status = status;
    auto conflicts = store.ListConflicts(query);
    EXPECT_THAT(conflicts, IsOk());
    return conflicts.ok() ? *conflicts : std::vector<v1::Conflict>{};
  }

  RecordView View(const RecordStore& store, const v1::RecordKey& key) {
    auto record = store.Get(key);
    EXPECT_THAT(record, IsOk());
    if (!record.ok()) return {};
    return ViewRecord(*record,
                      *store.schemas().FindCollection(key.collection()));
  }

  testing::TempDir dir_;
  int64_t clock_ms_[3] = {1'700'000'000'000, 1'700'000'000'000,
                          1'700'000'000'000};
  std::unique_ptr<RecordStore> stores_[3];
  v1::RecordKey member_ = Key(kVillage, "members", "m1");
};

TEST_F(MergeTruthTableTest, CausallyNewerWriteReplacesTheValue) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"occupation", Str("教师")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  EXPECT_EQ(Visible(a(), member_, "occupation"), "教师");
  EXPECT_THAT(Conflicts(a(), v1::CONFLICT_STATUS_UNSPECIFIED), IsEmpty());
}

TEST_F(MergeTruthTableTest, CausallyOlderWriteIsIgnored) {
  auto first = a().Put(Edit(member_, {{"name", Str("李建国")},
                                      {"join_date", testing::Date(1995, 7, 1)},
                                      {"status", Enum("预备党员")}}));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"status", Enum("正式党员")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  uint64_t seq_before = b().last_seq();
  auto results = b().Apply({*first});
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ((*results)[0].outcome(), v1::APPLY_OUTCOME_DUPLICATE);
  EXPECT_EQ(Visible(b(), member_, "status"), "正式党员");
  EXPECT_EQ(b().last_seq(), seq_before);
}

TEST_F(MergeTruthTableTest, DuplicateDeliveryChangesNothing) {
  auto change = a().Put(NewMember(kVillage, "m1", "李建国"));
  ASSERT_THAT(change, IsOk());
  auto once = b().Apply({*change});
  ASSERT_THAT(once, IsOk());
  EXPECT_EQ((*once)[0].outcome(), v1::APPLY_OUTCOME_APPLIED);
  uint64_t seq_before = b().last_seq();
  auto twice = b().Apply({*change, *change});
  ASSERT_THAT(twice, IsOk());
  EXPECT_EQ((*twice)[0].outcome(), v1::APPLY_OUTCOME_DUPLICATE);
  EXPECT_EQ((*twice)[1].outcome(), v1::APPLY_OUTCOME_DUPLICATE);
  EXPECT_EQ(b().last_seq(), seq_before);
}

TEST_F(MergeTruthTableTest, ConcurrentEqualValuesMergeSilently) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    EXPECT_EQ(Visible(*s, member_, "occupation"), "农民");
    EXPECT_THAT(View(*s, member_).conflict_fields, IsEmpty());
  }
}

TEST_F(MergeTruthTableTest,
       ConcurrentDifferentValuesUnderReviewOpenOneConflict) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  clock_ms_[0] += 10;  // a writes later: its value is the provisional winner
  ASSERT_THAT(a().Put(Edit(member_, {{"occupation", Str("教师")}})), IsOk());
  auto from_b = b().Put(Edit(member_, {{"occupation", Str("农民")}}));
  ASSERT_THAT(from_b, IsOk());
  auto results = a().Apply({*from_b});
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ((*results)[0].outcome(), v1::APPLY_OUTCOME_CONFLICT);
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    EXPECT_EQ(Visible(*s, member_, "occupation"), "教师");
    EXPECT_THAT(View(*s, member_).conflict_fields, ElementsAre("occupation"));
    auto open = Conflicts(*s, v1::CONFLICT_STATUS_OPEN);
    ASSERT_THAT(open, SizeIs(1));
    EXPECT_EQ(open[0].field(), "occupation");
    EXPECT_THAT(open[0].siblings(), SizeIs(2));
  }
}

TEST_F(MergeTruthTableTest,
       ThreeConcurrentValuesMakeOneConflictWithThreeSiblings) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(FullSync(a(), c()), IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"occupation", Str("教师")}})), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(c().Put(Edit(member_, {{"occupation", Str("医生")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(FullSync(b(), c()), IsOk());
  ASSERT_THAT(FullSync(a(), c()), IsOk());
  for (RecordStore* s : {&a(), &b(), &c()}) {
    auto open = Conflicts(*s, v1::CONFLICT_STATUS_OPEN);
    ASSERT_THAT(open, SizeIs(1));
    EXPECT_THAT(open[0].siblings(), SizeIs(3));
  }
  EXPECT_EQ(Visible(a(), member_, "occupation"),
            Visible(c(), member_, "occupation"));
}

TEST_F(MergeTruthTableTest,
       AWriteThatSawEverySiblingResolvesTheConflictEverywhere) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"occupation", Str("教师")}})), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"occupation", Str("乡村教师")}})),
              IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    EXPECT_EQ(Visible(*s, member_, "occupation"), "乡村教师");
    EXPECT_THAT(Conflicts(*s, v1::CONFLICT_STATUS_OPEN), IsEmpty());
    EXPECT_THAT(Conflicts(*s, v1::CONFLICT_STATUS_RESOLVED), SizeIs(1));
  }
}

TEST_F(MergeTruthTableTest,
       ConcurrentDifferentValuesUnderLwwTakeTheLatestAndLogIt) {
  OpenStores(testing::NotesRegistry());
  v1::RecordKey note = Key(kVillage, "notes", "n1");
  ASSERT_THAT(a().Put(Edit(note, {{"body", Str("草稿")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  clock_ms_[0] += 5000;  // a's write is five seconds later
  ASSERT_THAT(a().Put(Edit(note, {{"score", Int(90)}})), IsOk());
  ASSERT_THAT(b().Put(Edit(note, {{"score", Int(60)}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    EXPECT_EQ(Visible(*s, note, "score"), "90");
    EXPECT_THAT(Conflicts(*s, v1::CONFLICT_STATUS_OPEN), IsEmpty());
    auto logged = Conflicts(*s, v1::CONFLICT_STATUS_AUTO_RESOLVED);
    ASSERT_THAT(logged, SizeIs(1));
    EXPECT_EQ(logged[0].field(), "score");
  }
}

TEST_F(MergeTruthTableTest, ConcurrentListsUnderUnionAreUnitedWithoutConflict) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "王秀兰")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"care_flags", List({"老党员"})}})),
              IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"care_flags", List({"生活困难党员"})}})),
              IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  std::string on_a = Visible(a(), member_, "care_flags");
  EXPECT_THAT(on_a, ::testing::HasSubstr("老党员"));
  EXPECT_THAT(on_a, ::testing::HasSubstr("生活困难党员"));
  EXPECT_EQ(on_a, Visible(b(), member_, "care_flags"));
  EXPECT_THAT(Conflicts(a(), v1::CONFLICT_STATUS_UNSPECIFIED), IsEmpty());
}

TEST_F(MergeTruthTableTest, EditsToDifferentFieldsOfOneRecordBothSurvive) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Put(Edit(member_, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"phone", Str("13800000000")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    EXPECT_EQ(Visible(*s, member_, "occupation"), "农民");
    EXPECT_EQ(Visible(*s, member_, "phone"), "13800000000");
    EXPECT_THAT(View(*s, member_).conflict_fields, IsEmpty());
  }
}

TEST_F(MergeTruthTableTest,
       DeleteConcurrentWithAnEditIsAConflictNotASilentWinner) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Delete(member_, "甲"), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"occupation", Str("外出务工")}})),
              IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    RecordView view = View(*s, member_);
    EXPECT_FALSE(view.deleted);
    EXPECT_TRUE(view.delete_conflict);
    EXPECT_EQ(Visible(*s, member_, "occupation"), "外出务工");
    auto open = Conflicts(*s, v1::CONFLICT_STATUS_OPEN);
    ASSERT_THAT(open, SizeIs(1));
    EXPECT_EQ(open[0].field(), "");
  }
}

TEST_F(MergeTruthTableTest, DeleteThatSawTheEditWinsAndReplicates) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(b().Put(Edit(member_, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  ASSERT_THAT(a().Delete(member_, "甲"), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    RecordView view = View(*s, member_);
    EXPECT_TRUE(view.deleted);
    EXPECT_FALSE(view.delete_conflict);
    EXPECT_THAT(Conflicts(*s, v1::CONFLICT_STATUS_UNSPECIFIED), IsEmpty());
  }
}

TEST_F(MergeTruthTableTest, PutAfterDeleteRecreatesTheRecordEverywhere) {
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  ASSERT_THAT(a().Delete(member_, "甲"), IsOk());
  ASSERT_THAT(a().Put(NewMember(kVillage, "m1", "李建军")), IsOk());
  ASSERT_THAT(FullSync(a(), b()), IsOk());
  for (RecordStore* s : {&a(), &b()}) {
    EXPECT_FALSE(View(*s, member_).deleted);
    EXPECT_EQ(Visible(*s, member_, "name"), "李建军");
  }
}

}  // namespace
}  // namespace villagesync
