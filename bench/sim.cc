// bench/sim: the deterministic simulation of a county (tests/sim/sim.h) at
// scale, with its figures: operations, faults injected by kind, acknowledged
// changes, lost writes and divergences (both must be 0).
//   sim --ops 1000000 [--seed N] [--devices 4] [--dir DIR]
#include "tests/sim/sim.h"

#include <cstdio>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(int64_t, ops, 1000000, "Scheduler operations before quiescence.");
ABSL_FLAG(uint64_t, seed, 0, "Seed (0: random); a seed replays exactly.");
ABSL_FLAG(int, devices, 4, "Field devices.");
ABSL_FLAG(bool, restores, true, "Restore servers from older backups.");
ABSL_FLAG(bool, deletes, true, "Devices delete (and re-create) records.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "runs the deterministic county simulation and prints its figures.\n"
      "  sim --ops 1000000 [--seed N] [--devices 4]");
  absl::ParseCommandLine(argc, argv);
  villagesync::sim::SimOptions options;
  options.operations = absl::GetFlag(FLAGS_ops);
  options.devices = absl::GetFlag(FLAGS_devices);
  options.restores = absl::GetFlag(FLAGS_restores);
  options.deletes = absl::GetFlag(FLAGS_deletes);
  options.seed = absl::GetFlag(FLAGS_seed);
  if (options.seed == 0) options.seed = std::random_device{}();
  std::printf("sim: seed %llu, %lld operations, %d devices\n",
              static_cast<unsigned long long>(options.seed),
              static_cast<long long>(options.operations), options.devices);
  std::fflush(stdout);
  villagesync::testing::TempDir dir(villagesync::testing::TempDir::kInMemory);
  absl::Time start = absl::Now();
  auto figures = villagesync::sim::Simulate(options, dir.Sub("sim"));
  if (!figures.ok()) {
    std::fprintf(stderr, "sim: %s\n", figures.status().ToString().c_str());
    return 2;
  }
  std::printf("%s\nin %.0f s\n", villagesync::sim::Describe(*figures).c_str(),
              absl::ToDoubleSeconds(absl::Now() - start));
  bool ok = figures->lost == 0 && figures->divergences == 0 &&
            figures->reapplied == 0 && figures->rejected == 0;
  return ok ? 0 : 1;
}
