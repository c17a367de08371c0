#include "client/internal/cli_args.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace villagesync {
namespace cli {
namespace {

// The payload that marks a usage error; its presence is all that matters.
constexpr absl::string_view kUsagePayload = "villagesync.cli/usage";

const FlagSpec* FindSpec(absl::Span<const FlagSpec> specs,
                         absl::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// Reads the flag at args[*i] ("--name", "--name=value", or "--name value",
// which consumes args[*i + 1]) into `parsed`.
absl::Status ParseFlag(absl::Span<const std::string> args, size_t* i,
                       absl::Span<const FlagSpec> specs, ParsedArgs* parsed) {
  absl::string_view token = args[*i];
  absl::string_view name = token.substr(2), value;
  size_t equals = name.find('=');
  bool inline_value = equals != absl::string_view::npos;
  if (inline_value) {
    value = name.substr(equals + 1);
    name = name.substr(0, equals);
  }
  const FlagSpec* spec = FindSpec(specs, name);
  if (spec == nullptr) return UsageError(absl::StrCat("unknown flag --", name));
  if (parsed->Has(name)) {
    return UsageError(absl::StrCat("flag --", name, " given twice"));
  }
  if (!spec->takes_value && inline_value) {
    return UsageError(absl::StrCat("flag --", name, " takes no value"));
  }
  if (spec->takes_value && !inline_value) {
    if (*i + 1 == args.size() || absl::StartsWith(args[*i + 1], "--")) {
      return UsageError(absl::StrCat("flag --", name, " needs a value"));
    }
    value = args[++*i];
  }
  parsed->flags.emplace(std::string(name), std::string(value));
  return absl::OkStatus();
}

absl::Status CheckRequired(absl::Span<const FlagSpec> specs,
                           const ParsedArgs& parsed) {
  for (const FlagSpec& spec : specs) {
    if (spec.required && !parsed.Has(spec.name)) {
      return UsageError(absl::StrCat("missing --", spec.name));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ParsedArgs::Get(absl::string_view flag) const {
  auto it = flags.find(flag);
  return it == flags.end() ? std::string() : it->second;
}

bool WantsHelp(absl::Span<const std::string> args) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    if (arg == "-h" || arg == "--help") return true;
  }
  return false;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const FlagSpec> specs) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!flags_ended && args[i] == "--") {
      flags_ended = true;
    } else if (!flags_ended && absl::StartsWith(args[i], "--")) {
      absl::Status status = ParseFlag(args, &i, specs, &parsed);
      if (!status.ok()) return status;
    } else {
      parsed.positional.push_back(args[i]);
    }
  }
  absl::Status required = CheckRequired(specs, parsed);
  if (!required.ok()) return required;
  return parsed;
}

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord());
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

}  // namespace cli
}  // namespace villagesync
