// The change log, checkpoints, lineage and watermarks of RecordStore: pages
// in log order that resume from a checkpoint, supersession (a record changed
// many times is read once, with only the fields changed since the
// checkpoint), region filtering, the outbox query, refusal of checkpoints
// from another lineage, and persistence across reopen.
#include <filesystem>
#include <set>

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
using ::testing::HasSubstr;
using testing::IsOk;
using testing::Key;
using testing::NewMember;
using ::testing::SizeIs;
using testing::StatusIs;
using testing::Str;

constexpr char kVillage[] = "440101001001";
constexpr char kOtherVillage[] = "440102002001";

std::vector<std::string> FieldNames(const v1::Change& change) {
  std::vector<std::string> names;
  for (const v1::FieldState& f : change.fields()) names.push_back(f.name());
  return names;
}

class ChangeLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto store = RecordStore::Open(dir_.Sub("store"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
  }

  absl::StatusOr<ChangePage> Read(const std::string& after, size_t max = 1000,
                                  const std::string& prefix = "") {
    ChangeQuery query;
    query.after = after;
    query.max_changes = max;
    query.village_prefix = prefix;
    return store_->ReadChanges(query);
  }

  testing::TempDir dir_;
  std::unique_ptr<RecordStore> store_;
};

TEST_F(ChangeLogTest,
       ARecordChangedFiftyTimesIsReadOnceWithOnlyTheFieldsChangedSince) {
  v1::RecordKey key = Key(kVillage, "members", "m1");
  ASSERT_THAT(store_->Put(NewMember(kVillage, "m1", "李建国")), IsOk());
  auto first = Read("");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(first->changes, SizeIs(1));
  EXPECT_TRUE(first->changes[0].creates());
  for (int i = 0; i < 50; ++i) {
    ASSERT_THAT(store_->Put(Edit(
                    key, {{"occupation", Str("职业" + std::to_string(i))}})),
                IsOk());
  }
  auto since = Read(first->checkpoint);
  ASSERT_THAT(since, IsOk());
  ASSERT_THAT(since->changes, SizeIs(1));
  EXPECT_THAT(FieldNames(since->changes[0]), ElementsAre("occupation"));
  EXPECT_FALSE(since->changes[0].creates());
  EXPECT_EQ(since->changes[0].fields(0).siblings(0).value().string_value(),
            "职业49");
  auto whole = Read("");
  ASSERT_THAT(whole, IsOk());
  ASSERT_THAT(whole->changes, SizeIs(1));
  EXPECT_TRUE(whole->changes[0].creates());
  EXPECT_THAT(FieldNames(whole->changes[0]), SizeIs(4));
}

TEST_F(ChangeLogTest, PagesFollowTheLogAndResumeFromTheirCheckpoint) {
  for (int i = 0; i < 230; ++i) {
    ASSERT_THAT(
        store_->Put(NewMember(kVillage, "m" + std::to_string(i), "党员")),
        IsOk());
  }
  std::set<std::string> ids;
  std::string checkpoint;
  int pages = 0;
  bool more = true;
  while (more) {
    auto page = Read(checkpoint, 50);
    ASSERT_THAT(page, IsOk());
    for (const v1::Change& c : page->changes) {
      EXPECT_TRUE(ids.insert(c.key().id()).second)
          << "read twice: " << c.key().id();
    }
    checkpoint = page->checkpoint;
    more = page->more;
    ++pages;
  }
  EXPECT_EQ(ids.size(), 230u);
  EXPECT_EQ(pages, 5);
  auto after_all = Read(checkpoint);
  ASSERT_THAT(after_all, IsOk());
  EXPECT_THAT(after_all->changes, SizeIs(0));
  EXPECT_FALSE(after_all->more);
}

TEST_F(ChangeLogTest, AVillagePrefixReadsOnlyThatRegion) {
  ASSERT_THAT(store_->Put(NewMember(kVillage, "a", "甲")), IsOk());
  ASSERT_THAT(store_->Put(NewMember(kOtherVillage, "b", "乙")), IsOk());
  auto page = Read("", 1000, "440101");
  ASSERT_THAT(page, IsOk());
  ASSERT_THAT(page->changes, SizeIs(1));
  EXPECT_EQ(page->changes[0].key().id(), "a");
}

TEST_F(ChangeLogTest, TheOutboxQueryHoldsOnlyThisReplicasOwnWrites) {
  testing::TempDir other_dir;
  auto other = RecordStore::Open(other_dir.Sub("other"));
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT((*other)->Put(NewMember(kVillage, "theirs", "乙")), IsOk());
  ASSERT_THAT(store_->Put(NewMember(kVillage, "mine", "甲")), IsOk());
  std::string checkpoint;
  ASSERT_THAT(testing::Exchange(**other, *store_, &checkpoint), IsOk());
  ChangeQuery outbox;
  outbox.own_writes_only = true;
  auto page = store_->ReadChanges(outbox);
  ASSERT_THAT(page, IsOk());
  ASSERT_THAT(page->changes, SizeIs(1));
  EXPECT_EQ(page->changes[0].key().id(), "mine");
}

TEST_F(ChangeLogTest,
       MergingAnotherReplicasWriteIntoAnOwnFieldKeepsItOutOfTheOutbox) {
  testing::TempDir other_dir;
  auto other = RecordStore::Open(other_dir.Sub("other"));
  ASSERT_THAT(other, IsOk());
  v1::RecordKey key = Key(kVillage, "members", "m1");
  ASSERT_THAT(store_->Put(NewMember(kVillage, "m1", "甲")), IsOk());
  std::string to_other;
  ASSERT_THAT(testing::Exchange(*store_, **other, &to_other), IsOk());
  ChangeQuery outbox;
  outbox.own_writes_only = true;
  auto pushed = store_->ReadChanges(outbox);
  ASSERT_THAT(pushed, IsOk());
  ASSERT_THAT(pushed->changes, SizeIs(1));
  // The other replica edits the same field; merging it here opens a conflict
  // but is not an edit of ours to send again.
  ASSERT_THAT((*other)->Put(Edit(key, {{"name", Str("乙")}})), IsOk());
  std::string from_other;
  ASSERT_THAT(testing::Exchange(**other, *store_, &from_other), IsOk());
  outbox.after = pushed->checkpoint;
  auto again = store_->ReadChanges(outbox);
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->changes, SizeIs(0));
  // A new edit of ours is.
  ASSERT_THAT(store_->Put(Edit(key, {{"occupation", Str("农民")}})), IsOk());
  auto edited = store_->ReadChanges(outbox);
  ASSERT_THAT(edited, IsOk());
  ASSERT_THAT(edited->changes, SizeIs(1));
  EXPECT_THAT(FieldNames(edited->changes[0]), ElementsAre("occupation"));
}

TEST_F(ChangeLogTest, ACheckpointOfAnotherStoreIsAFailedPrecondition) {
  ASSERT_THAT(store_->Put(NewMember(kVillage, "a", "甲")), IsOk());
  auto page = Read("");
  ASSERT_THAT(page, IsOk());
  testing::TempDir other_dir;
  auto other = RecordStore::Open(other_dir.Sub("other"));
  ASSERT_THAT(other, IsOk());
  ChangeQuery query;
  query.after = page->checkpoint;
  EXPECT_THAT(
      (*other)->ReadChanges(query),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("checkpoint")));
  query.after = "garbage";
  EXPECT_THAT(
      (*other)->ReadChanges(query),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("checkpoint")));
}

TEST_F(ChangeLogTest,
       ACheckpointBeyondARestoredOlderCopyIsAFailedPrecondition) {
  ASSERT_THAT(store_->Put(NewMember(kVillage, "a", "甲")), IsOk());
  store_.reset();
  std::filesystem::copy(dir_.Sub("store"), dir_.Sub("backup"),
                        std::filesystem::copy_options::recursive);
  Reopen();
  ASSERT_THAT(store_->Put(NewMember(kVillage, "b", "乙")), IsOk());
  auto page = Read("");
  ASSERT_THAT(page, IsOk());
  std::string late_checkpoint = page->checkpoint;
  // Still valid after a plain restart.
  Reopen();
  EXPECT_THAT(Read(late_checkpoint), IsOk());
  // Restore the older copy: the checkpoint names sequences it never issued.
  store_.reset();
  std::filesystem::remove_all(dir_.Sub("store"));
  std::filesystem::rename(dir_.Sub("backup"), dir_.Sub("store"));
  Reopen();
  EXPECT_THAT(
      Read(late_checkpoint),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lineage")));
  auto from_start = Read("");
  ASSERT_THAT(from_start, IsOk());
  EXPECT_THAT(from_start->changes, SizeIs(1));
}

TEST_F(ChangeLogTest, WatermarkAndReplicaIdSurviveReopen) {
  testing::TempDir other_dir;
  auto other = RecordStore::Open(other_dir.Sub("other"));
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT((*other)->Put(NewMember(kVillage, "a", "甲")), IsOk());
  ASSERT_THAT((*other)->Put(NewMember(kVillage, "b", "乙")), IsOk());
  std::string checkpoint;
  ASSERT_THAT(testing::Exchange(**other, *store_, &checkpoint), IsOk());
  uint64_t replica = store_->replica_id();
  Reopen();
  EXPECT_EQ(store_->replica_id(), replica);
  auto mark = store_->Watermark((*other)->replica_id());
  ASSERT_THAT(mark, IsOk());
  EXPECT_EQ(*mark, (*other)->last_seq());
  auto unknown = store_->Watermark(12345);
  ASSERT_THAT(unknown, IsOk());
  EXPECT_EQ(*unknown, 0u);
}

TEST_F(ChangeLogTest, ARecordChangedAgainBeyondAPageKeepsItsEarlierFields) {
  // m0 gets an occupation first, then many other records, then a phone: its
  // one log row moves past the first page, which ends above the occupation.
  ASSERT_THAT(store_->Put(NewMember(kVillage, "m0", "李建国")), IsOk());
  for (int i = 1; i <= 5; ++i) {
    ASSERT_THAT(
        store_->Put(NewMember(kVillage, "m" + std::to_string(i), "党员")),
        IsOk());
  }
  v1::RecordKey m0 = Key(kVillage, "members", "m0");
  ASSERT_THAT(store_->Put(Edit(m0, {{"phone", Str("138")}})), IsOk());
  for (bool own : {false, true}) {
    std::set<std::string> fields;
    ChangeQuery query;
    query.max_changes = 2;
    query.own_writes_only = own;
    for (bool more = true; more;) {
      auto page = store_->ReadChanges(query);
      ASSERT_THAT(page, IsOk());
      for (const v1::Change& c : page->changes) {
        if (c.key().id() != "m0") continue;
        for (const v1::FieldState& f : c.fields()) fields.insert(f.name());
      }
      query.after = page->checkpoint;
      more = page->more;
    }
    EXPECT_THAT(fields, ::testing::Contains("name")) << "outbox " << own;
    EXPECT_THAT(fields, ::testing::Contains("phone")) << "outbox " << own;
  }
}

TEST_F(ChangeLogTest, ARewindToASequenceReadsTheRecordsChangedAfterItWhole) {
  // A reader's pass has read m1 (row 2) and stops at m2 (row 4), while m0's
  // occupation (3) is unread: m0 moved to row 5 with a phone. A server that
  // acknowledged up to 4 then loses it; the rewind to 4 must still bring
  // the occupation.
  v1::RecordKey m0 = Key(kVillage, "members", "m0");
  ASSERT_THAT(store_->Put(NewMember(kVillage, "m0", "李建国")), IsOk());
  ASSERT_THAT(store_->Put(NewMember(kVillage, "m1", "党员")), IsOk());
  auto first = Read("");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(store_->Put(Edit(m0, {{"occupation", Str("农民")}})), IsOk());
  ASSERT_THAT(store_->Put(NewMember(kVillage, "m2", "党员")), IsOk());
  ASSERT_THAT(store_->Put(Edit(m0, {{"phone", Str("138")}})), IsOk());
  auto stopped = Read(first->checkpoint, 1);
  ASSERT_THAT(stopped, IsOk());
  ASSERT_THAT(stopped->changes, SizeIs(1));
  ASSERT_EQ(stopped->changes[0].key().id(), "m2");
  auto rewind = store_->CheckpointAt(stopped->changes[0].seq());
  ASSERT_THAT(rewind, IsOk());
  for (bool own : {false, true}) {
    ChangeQuery query;
    query.after = *rewind;
    query.own_writes_only = own;
    auto again = store_->ReadChanges(query);
    ASSERT_THAT(again, IsOk());
    ASSERT_THAT(again->changes, SizeIs(1)) << "outbox " << own;
    EXPECT_THAT(FieldNames(again->changes[0]),
                ::testing::IsSupersetOf({"name", "occupation", "phone"}))
        << "outbox " << own;
  }
}

TEST_F(ChangeLogTest, APullSkipsOnlyRegistersTheReaderWroteAlone) {
  // The reader overwrote another replica's name of m1 and wrote m2 alone.
  // This store may know more of m1's name than the reader (it learned of
  // writes the reader's value superseded), so only m2 stays out of its pull.
  testing::TempDir dirs;
  auto other = RecordStore::Open(dirs.Sub("other"));
  auto reader = RecordStore::Open(dirs.Sub("reader"));
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT(reader, IsOk());
  ASSERT_THAT((*other)->Put(NewMember(kVillage, "m1", "甲")), IsOk());
  std::string from_other;
  ASSERT_THAT(testing::Exchange(**other, **reader, &from_other), IsOk());
  v1::RecordKey m1 = Key(kVillage, "members", "m1");
  ASSERT_THAT((*reader)->Put(Edit(m1, {{"name", Str("乙")}})), IsOk());
  ASSERT_THAT((*reader)->Put(NewMember(kVillage, "m2", "丙")), IsOk());
  std::string from_reader;
  ASSERT_THAT(testing::Exchange(**reader, *store_, &from_reader), IsOk());
  ChangeQuery query;
  query.skip_replica = (*reader)->replica_id();
  auto page = store_->ReadChanges(query);
  ASSERT_THAT(page, IsOk());
  std::set<std::string> sent;
  for (const v1::Change& c : page->changes) {
    for (const std::string& f : FieldNames(c)) {
      sent.insert(c.key().id() + "." + f);
    }
  }
  EXPECT_THAT(sent, ::testing::Contains("m1.name"));
  EXPECT_THAT(sent, ::testing::Not(::testing::Contains("m2.name")));
}

}  // namespace
}  // namespace villagesync
