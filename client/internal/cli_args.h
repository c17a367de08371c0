// Command-line arguments of the villagesync CLI: flags in any position
// ("--village CODE", "--village=CODE", switches like "--json"), positional
// arguments, and usage errors, which RunCli turns into exit code 2.
// Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_CLI_ARGS_H_
#define VILLAGESYNC_CLIENT_INTERNAL_CLI_ARGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace villagesync {
namespace cli {

// A flag a command accepts.
struct FlagSpec {
  // The name without "--", e.g. "village".
  const char* name;
  // True for "--village CODE"; false for a switch such as "--json".
  bool takes_value;
  // True if the command cannot run without it.
  bool required;
};

// A command line after flag parsing.
struct ParsedArgs {
  // Flags given, by name; a switch maps to "".
  absl::flat_hash_map<std::string, std::string> flags;
  // Everything that is not a flag, in order.
  std::vector<std::string> positional;

  bool Has(absl::string_view flag) const { return flags.contains(flag); }
  // The flag's value; "" for a switch or a flag not given.
  std::string Get(absl::string_view flag) const;
};

// True if `args` ask for help: "-h" or "--help" before any "--".
bool WantsHelp(absl::Span<const std::string> args);

// Parses `args` against `specs`. Tokens starting with "--" are flags ("--"
// alone ends the flags: the rest is positional); any other token, including
// "-x", is positional. A usage error for an unknown flag, a flag missing its
// value, a value given to a switch, a repeated flag or a missing required
// flag.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const FlagSpec> specs);

// An error in how the command was called (INVALID_ARGUMENT, marked so that
// IsUsageError recognizes it): RunCli exits with 2 and points at --help.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_CLI_ARGS_H_
