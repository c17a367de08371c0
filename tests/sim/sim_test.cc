// The deterministic simulation (tests/sim/sim.h): a seed replays exactly,
// faults of every kind are injected, and after 10^5 operations the county
// converges with every SPEC §4 invariant holding. bench/sim runs it at 10^6
// (docs/BENCHMARKS.md, "Deterministic simulation"). VILLAGESYNC_SIM_SEED
// replaces the convergence test's seed (a failing one replays exactly).
#include "tests/sim/sim.h"

#include <cstdlib>
#include <iostream>
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

TEST(SimTest, TheCountyConvergesAfterAHundredThousandOperations) {
  SimOptions options;
  options.seed = 20261202;
  if (const char* seed = std::getenv("VILLAGESYNC_SIM_SEED")) {
    options.seed = std::strtoull(seed, nullptr, 10);
  }
  options.operations = 100000;
  std::cout << "seed " << options.seed << "\n";
  SimFigures figures = Simulated(options, "county");
  std::cout << Describe(figures) << "\n";
  EXPECT_GT(figures.acknowledged, 0);
  EXPECT_GT(figures.faults["restore from an older backup"], 0);
  EXPECT_EQ(figures.lost, 0) << "seed " << options.seed;
  EXPECT_EQ(figures.divergences, 0) << "seed " << options.seed;
  EXPECT_EQ(figures.reapplied, 0) << "seed " << options.seed;
  EXPECT_EQ(figures.rejected, 0) << figures.first_rejection;
}

}  // namespace
}  // namespace villagesync::sim
