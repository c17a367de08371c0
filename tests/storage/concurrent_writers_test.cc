// Writers racing on one store (the group commit of SPEC §4) while a reader
// follows the change log, as a pulling device does: every write lands once,
// and the reader, moving only forward from checkpoint to checkpoint, misses
// none (a change never becomes visible before an earlier one). Run under
// ThreadSanitizer by scripts/test-tsan.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/record_store.h"
#include "tests/testing/records.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

using testing::IsOk;
using testing::NewMember;
using testing::Str;

constexpr char kVillage[] = "440101001001";
constexpr int kWriters = 4;
constexpr int kPutsPerWriter = 150;

TEST(ConcurrentWritersTest, EveryWriteLandsOnceAndAFollowingReaderMissesNone) {
  testing::TempDir dir;
  auto opened = RecordStore::Open(dir.Sub("store"));
  ASSERT_THAT(opened, IsOk());
  RecordStore& store = **opened;
  ASSERT_THAT(store.Put(NewMember(kVillage, "shared", "共用")), IsOk());

  std::atomic<int> writing{kWriters};
  std::atomic<int> failed_writes{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPutsPerWriter; ++i) {
        std::string id = "w" + std::to_string(w) + "-" + std::to_string(i);
        if (!store.Put(NewMember(kVillage, id, "党员")).ok()) ++failed_writes;
        // Every writer also edits one record that all of them share.
        LocalEdit shared;
        shared.key = testing::Key(kVillage, "members", "shared");
        shared.fields.push_back({"occupation", Str(id)});
        if (!store.Put(shared).ok()) ++failed_writes;
      }
      --writing;
    });
  }

  // Follows the log while the writers write, then to its end.
  std::set<std::string> seen;
  std::string checkpoint;
  int reads = 0;
  auto read_page = [&]() -> bool {
    ChangeQuery query;
    query.after = checkpoint;
    query.max_changes = 50;
    absl::StatusOr<ChangePage> page = store.ReadChanges(query);
    EXPECT_THAT(page, IsOk());
    if (!page.ok()) return false;
    for (const v1::Change& change : page->changes)
      seen.insert(change.key().id());
    checkpoint = page->checkpoint;
    ++reads;
    return page->more;
  };
  while (writing > 0) read_page();
  for (std::thread& writer : writers) writer.join();
  while (read_page()) {
  }

  EXPECT_EQ(failed_writes, 0);
  EXPECT_EQ(seen.size(), kWriters * kPutsPerWriter + 1u)
      << "the reader missed changes over " << reads << " pages";
  auto members = store.List("members", "", 100000);
  ASSERT_THAT(members, IsOk());
  EXPECT_EQ(members->size(), kWriters * kPutsPerWriter + 1u);
}

}  // namespace
}  // namespace villagesync
