// Tests for storage/field_merge.h and the field views of record_view.h: the
// register join is a join (idempotent, commutative, associative) over states
// real histories produce, and each policy shows the right value.
#include "storage/field_merge.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "storage/causal_context.h"
#include "storage/record_view.h"
#include "tests/testing/records.h"

namespace villagesync {
namespace {

using testing::Int;
using testing::List;
using testing::Str;

v1::Sibling Write(uint64_t replica, uint64_t counter, v1::Value value,
                  uint64_t hlc) {
  v1::Sibling s;
  s.mutable_dot()->set_replica(replica);
  s.mutable_dot()->set_counter(counter);
  *s.mutable_value() = std::move(value);
  s.set_hlc(hlc);
  return s;
}

v1::FieldState Joined(v1::FieldState a, const v1::FieldState& b) {
  JoinFieldState(&a, b);
  return a;
}

// Every state reached by three replicas that write and exchange registers
// of one field at random.
std::vector<v1::FieldState> RandomHistory(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<v1::FieldState> replicas(3), seen;
  std::vector<uint64_t> counters(3, 0);
  for (int step = 0; step < 60; ++step) {
    int r = static_cast<int>(rng() % 3);
    if (rng() % 2 == 0) {
      replicas[r] = Overwrite(
          replicas[r], Write(r + 1, ++counters[r], Int(rng() % 4), step));
    } else {
      JoinFieldState(&replicas[r], replicas[rng() % 3]);
    }
    seen.push_back(replicas[r]);
  }
  return seen;
}

TEST(FieldMergeTest, JoinIsIdempotentCommutativeAndAssociative) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::vector<v1::FieldState> states = RandomHistory(seed);
    std::mt19937 rng(seed);
    for (int i = 0; i < 200; ++i) {
      const auto& a = states[rng() % states.size()];
      const auto& b = states[rng() % states.size()];
      const auto& c = states[rng() % states.size()];
      EXPECT_EQ(Joined(a, a).SerializeAsString(), a.SerializeAsString());
      EXPECT_EQ(Joined(a, b).SerializeAsString(),
                Joined(b, a).SerializeAsString());
      EXPECT_EQ(Joined(Joined(a, b), c).SerializeAsString(),
                Joined(a, Joined(b, c)).SerializeAsString());
    }
  }
}

TEST(FieldMergeTest, JoinReportsWhetherAnythingChanged) {
  v1::FieldState local = Overwrite({}, Write(1, 1, Str("a"), 1));
  v1::FieldState newer = Overwrite(local, Write(2, 1, Str("b"), 2));
  EXPECT_FALSE(JoinFieldState(&newer, local));  // older: nothing new
  EXPECT_TRUE(JoinFieldState(&local, newer));   // newer replaces
  ASSERT_EQ(local.siblings_size(), 1);
  EXPECT_EQ(local.siblings(0).value().string_value(), "b");
  EXPECT_FALSE(JoinFieldState(&local, newer));  // duplicate
}

TEST(FieldMergeTest,
     ConcurrentWritesBecomeSiblingsAndAWriteSeeingBothReplacesThem) {
  v1::FieldState base = Overwrite({}, Write(1, 1, Str("a"), 1));
  v1::FieldState left = Overwrite(base, Write(2, 1, Str("b"), 2));
  v1::FieldState right = Overwrite(base, Write(3, 1, Str("c"), 3));
  v1::FieldState both = Joined(left, right);
  EXPECT_EQ(both.siblings_size(), 2);
  v1::FieldState resolved = Overwrite(both, Write(1, 2, Str("d"), 4));
  EXPECT_EQ(Joined(both, resolved).siblings_size(), 1);
  EXPECT_EQ(Joined(left, resolved).siblings(0).value().string_value(), "d");
}

TEST(FieldViewTest, ReviewShowsTheLatestAsProvisionalWinnerAndFlagsAConflict) {
  v1::FieldState s = Joined(Overwrite({}, Write(1, 1, Str("old"), 5)),
                            Overwrite({}, Write(2, 1, Str("new"), 9)));
  FieldView view = ViewField(s, v1::MERGE_POLICY_REVIEW, {});
  EXPECT_EQ(view.value->string_value(), "new");
  EXPECT_EQ(view.status, FieldStatus::kConflict);
}

TEST(FieldViewTest, LwwTiesOnTimeAreBrokenByReplicaId) {
  v1::FieldState s = Joined(Overwrite({}, Write(7, 1, Int(1), 5)),
                            Overwrite({}, Write(3, 1, Int(2), 5)));
  FieldView view = ViewField(s, v1::MERGE_POLICY_LWW, {});
  EXPECT_EQ(view.value->int_value(), 1);
  EXPECT_EQ(view.status, FieldStatus::kAutoResolved);
}

TEST(FieldViewTest, EqualConcurrentValuesAreNotAConflict) {
  v1::FieldState s = Joined(Overwrite({}, Write(1, 1, Str("x"), 5)),
                            Overwrite({}, Write(2, 1, Str("x"), 6)));
  EXPECT_EQ(ViewField(s, v1::MERGE_POLICY_REVIEW, {}).status,
            FieldStatus::kClean);
}

TEST(FieldViewTest, UnionListsEveryItemOnceInDotOrder) {
  v1::FieldState s = Joined(Overwrite({}, Write(1, 1, List({"a", "b"}), 5)),
                            Overwrite({}, Write(2, 1, List({"b", "c"}), 6)));
  FieldView view = ViewField(s, v1::MERGE_POLICY_UNION, {});
  ASSERT_TRUE(view.value.has_value());
  EXPECT_EQ(view.value->string_list().items_size(), 3);
  EXPECT_EQ(view.value->string_list().items(2), "c");
  EXPECT_EQ(view.status, FieldStatus::kClean);
}

}  // namespace
}  // namespace villagesync
