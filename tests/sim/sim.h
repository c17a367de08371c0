// A deterministic simulation of a county (SPEC §4): field devices, a county
// server and its standby, each a real RecordStore, in one process and one
// thread. A seeded scheduler makes edits and starts syncs, and the network
// between them delivers, drops, duplicates, delays and reorders messages;
// links are partitioned and healed, replicas are killed and restarted,
// the county server is restored from an older backup, devices move to the
// standby and users' scopes change. After quiescence (every fault healed,
// every device widened to the county, everything exchanged) it checks the
// invariants: every replica holds the same records, no write was lost, and
// delivering every change again changes nothing.
//
// The sync protocol is modeled here on the stores' own primitives as the
// device client and the peer worker use them: the outbox
// (ChangeQuery::own_writes_only) pushed page by page through ApplyFromDevice
// (the trust boundary; acknowledged up to the first page with a deferred
// change, later pages sent all the same), acknowledgements and the server's
// watermark rewinding a device's outbox after a restore (Hello), paged
// pulls from checkpoints that a restored server refuses, and peers pulling
// each other's change log. The same seed replays the same run exactly (ids
// and clocks are seeded too).
// VILLAGESYNC_SIM_DEBUG=1 prints deferrals during quiescence, rejections,
// lost writes (with the record on every replica) and the records where a
// replica diverges; VILLAGESYNC_SIM_TRACE=<record id> prints every edit and
// push of that record and the push's outcome.
#ifndef VILLAGESYNC_TESTS_SIM_SIM_H_
#define VILLAGESYNC_TESTS_SIM_SIM_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace villagesync::sim {

struct SimOptions {
  uint64_t seed = 1;
  // Scheduler steps before quiescence (each an edit, a sync step, a
  // delivery or a fault).
  int64_t operations = 100000;
  int devices = 4;
  // Restore the county server from older backups.
  bool restores = true;
  // Devices delete records too (and so re-create them by editing).
  bool deletes = true;
};

struct SimFigures {
  int64_t operations = 0;
  int64_t edits = 0;                      // puts and deletes made on devices
  int64_t delivered = 0;                  // messages handled
  int64_t acknowledged = 0;               // edits a device saw acknowledged
  std::map<std::string, int64_t> faults;  // by kind
  int64_t lost = 0;         // writes whose dot no replica holds at the end
  int64_t divergences = 0;  // replicas that differ from the county server
  int64_t reapplied = 0;    // changes that changed something when redelivered
  int64_t rejected = 0;     // changes of an honest device a server refused
  std::string first_rejection;
};

// Runs one simulation in `dir` (created; must not exist). Errors are the
// stores' own (a bug, or the disk); invariant violations are counted in the
// figures.
absl::StatusOr<SimFigures> Simulate(const SimOptions& options,
                                    const std::string& dir);

// One line per figure, for people.
std::string Describe(const SimFigures& figures);

}  // namespace villagesync::sim

#endif  // VILLAGESYNC_TESTS_SIM_SIM_H_
