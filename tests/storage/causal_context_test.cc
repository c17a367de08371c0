// Tests for storage/causal_context.h: version vectors as sorted dot lists.
#include "storage/causal_context.h"

#include "gtest/gtest.h"

namespace villagesync {
namespace {

v1::Dot D(uint64_t replica, uint64_t counter) {
  v1::Dot d;
  d.set_replica(replica);
  d.set_counter(counter);
  return d;
}

TEST(CausalContextTest, AddDotKeepsEntriesSortedAndRaisesCounters) {
  CausalContext context;
  AddDot(&context, D(30, 2));
  AddDot(&context, D(10, 5));
  AddDot(&context, D(20, 1));
  AddDot(&context, D(10, 3));  // lower than what is there: no change
  AddDot(&context, D(30, 7));
  ASSERT_EQ(context.size(), 3);
  EXPECT_EQ(context[0].replica(), 10u);
  EXPECT_EQ(context[0].counter(), 5u);
  EXPECT_EQ(context[1].replica(), 20u);
  EXPECT_EQ(context[2].counter(), 7u);
  EXPECT_TRUE(IsWellFormed(context));
}

TEST(CausalContextTest, CoversDotsAtOrBelowTheEntryOfTheirReplica) {
  CausalContext context;
  AddDot(&context, D(10, 5));
  EXPECT_TRUE(Covers(context, D(10, 1)));
  EXPECT_TRUE(Covers(context, D(10, 5)));
  EXPECT_FALSE(Covers(context, D(10, 6)));
  EXPECT_FALSE(Covers(context, D(11, 1)));
}

TEST(CausalContextTest, MergeIsThePointwiseMaximum) {
  CausalContext a, b;
  AddDot(&a, D(1, 4));
  AddDot(&a, D(3, 1));
  AddDot(&b, D(1, 2));
  AddDot(&b, D(2, 9));
  MergeContext(&a, b);
  ASSERT_EQ(a.size(), 3);
  EXPECT_EQ(a[0].counter(), 4u);
  EXPECT_EQ(a[1].counter(), 9u);
  EXPECT_EQ(a[2].counter(), 1u);
}

TEST(CausalContextTest, UnsortedOrZeroEntriesAreNotWellFormed) {
  CausalContext context;
  *context.Add() = D(2, 1);
  *context.Add() = D(1, 1);
  EXPECT_FALSE(IsWellFormed(context));
  CausalContext zero;
  *zero.Add() = D(0, 1);
  EXPECT_FALSE(IsWellFormed(zero));
}

}  // namespace
}  // namespace villagesync
