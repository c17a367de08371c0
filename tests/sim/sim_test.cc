// The deterministic simulation (tests/sim/sim.h): a seed replays exactly,
// faults of every kind are injected, and (as far as it holds today, see
// docs/BENCHMARKS.md "Deterministic simulation") the county converges. The
// invariants at scale are bench/sim's: it still finds writes lost after
// restores and deletes, which are open work.
#include "tests/sim/sim.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace villagesync::sim {
namespace {

SimFigures Simulated(const SimOptions& options, const std::string& name) {
  testing::TempDir dir(testing::TempDir::kInMemory);
  absl::StatusOr<SimFigures> figures = Simulate(options, dir.Sub(name));
  EXPECT_TRUE(figures.ok()) << figures.status();
  return figures.value_or(SimFigures{});
}

TEST(SimTest, ASeedReplaysExactly) {
  SimOptions options;
  options.seed = 20261202;
  options.operations = 4000;
  SimFigures first = Simulated(options, "first");
  SimFigures again = Simulated(options, "again");
  EXPECT_EQ(Describe(first), Describe(again));
  EXPECT_GT(first.edits, 0);
  options.seed = 20261203;
  EXPECT_NE(Describe(Simulated(options, "other")), Describe(first));
}

TEST(SimTest, EveryKindOfFaultIsInjected) {
  SimOptions options;
  options.seed = 7;
  options.operations = 6000;
  SimFigures figures = Simulated(options, "faults");
  for (const char* kind :
       {"drop", "duplicate", "reorder", "partition", "heal", "server restart",
        "device restart", "backup", "restore from an older backup",
        "device moved to the other server", "scope change"}) {
    EXPECT_GT(figures.faults[kind], 0) << kind;
  }
  EXPECT_GT(figures.acknowledged, 0);
}

}  // namespace
}  // namespace villagesync::sim
