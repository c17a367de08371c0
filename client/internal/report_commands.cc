// report, admin rules list and admin rules set: the county report (SPEC §9)
// and the rule table it judges meetings by. All three talk to the server;
// their flag values are checked first, so a usage error never opens the
// store or makes a call.
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/internal/cli_commands.h"
#include "client/internal/report_output.h"
#include "proto/status_macros.h"

namespace villagesync {
namespace cli {
namespace {

enum class ReportFormat { kTable, kCsv, kJson };

bool AllDigits(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !text.empty();
}

bool IsYear(absl::string_view text) {
  return text.size() == 4 && AllDigits(text);
}

// "YYYY-MM" with a month 01-12.
bool IsMonth(absl::string_view text) {
  int month = 0;
  return text.size() == 7 && IsYear(text.substr(0, 4)) && text[4] == '-' &&
         AllDigits(text.substr(5)) &&
         absl::SimpleAtoi(text.substr(5), &month) && month >= 1 && month <= 12;
}

// "YYYY-Qn" with n 1-4.
bool IsQuarter(absl::string_view text) {
  return text.size() == 7 && IsYear(text.substr(0, 4)) &&
         text.substr(4, 2) == "-Q" && text[6] >= '1' && text[6] <= '4';
}

absl::StatusOr<ReportFormat> ParseFormat(const ParsedArgs& args) {
  if (!args.Has("format")) return ReportFormat::kTable;
  std::string format = args.Get("format");
  if (format == "table") return ReportFormat::kTable;
  if (format == "csv") return ReportFormat::kCsv;
  if (format == "json") return ReportFormat::kJson;
  return UsageError(absl::StrCat("--format must be table, csv or json, not \"",
                                 format, "\""));
}

absl::StatusOr<v1::ReportRequest> ReportRequestFrom(const ParsedArgs& args) {
  std::string period = args.Get("period");
  if (!IsYear(period) && !IsQuarter(period) && !IsMonth(period)) {
    return UsageError(absl::StrCat(
        "--period must be YYYY-MM (a month), YYYY-Qn (a quarter, n 1-4) or "
        "YYYY (a year), not \"",
        period, "\""));
  }
  VS_RETURN_IF_ERROR(CheckRegionFlag(args));
  v1::ReportRequest request;
  request.set_region_prefix(args.Get("region"));
  request.set_period(period);
  return request;
}

absl::StatusOr<v1::Cadence> ParseCadence(const std::string& text) {
  if (text == "monthly") return v1::CADENCE_MONTHLY;
  if (text == "quarterly") return v1::CADENCE_QUARTERLY;
  if (text == "yearly") return v1::CADENCE_YEARLY;
  return UsageError(absl::StrCat(
      "--cadence must be monthly, quarterly or yearly, not \"", text, "\""));
}

absl::StatusOr<uint32_t> ParseMin(const std::string& text) {
  int64_t min = -1;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &min) ||
      min > std::numeric_limits<uint32_t>::max()) {
    return UsageError(absl::StrCat(
        "--min needs a whole number of meetings (0 or more), not \"", text,
        "\""));
  }
  return static_cast<uint32_t>(min);
}

// The rule of the command line; usage errors name the flag.
absl::StatusOr<v1::Rule> RuleFrom(const ParsedArgs& args) {
  v1::Rule rule;
  rule.set_meeting_type(args.Get("type"));
  if (rule.meeting_type().empty()) {
    return UsageError("--type needs a meeting type, e.g. 主题党日");
  }
  VS_ASSIGN_OR_RETURN(v1::Cadence cadence, ParseCadence(args.Get("cadence")));
  rule.set_cadence(cadence);
  VS_ASSIGN_OR_RETURN(uint32_t min, ParseMin(args.Get("min")));
  rule.set_min_count(min);
  if (!IsMonth(args.Get("from"))) {
    return UsageError(absl::StrCat("--from needs a month (YYYY-MM), not \"",
                                   args.Get("from"), "\""));
  }
  rule.set_effective_from(args.Get("from"));
  VS_RETURN_IF_ERROR(CheckRegionFlag(args));
  rule.set_region(args.Get("region"));
  return rule;
}

}  // namespace

absl::Status RunReport(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(v1::ReportRequest request, ReportRequestFrom(args));
  VS_ASSIGN_OR_RETURN(ReportFormat format, ParseFormat(args));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ReportResponse report, client->Report(request));
  switch (format) {
    case ReportFormat::kCsv:
      ctx.out() << ReportToCsv(report, client->store().schemas());
      break;
    case ReportFormat::kJson:
      ctx.out() << ReportToJson(report) << "\n";
      break;
    case ReportFormat::kTable:
      ctx.out() << ReportToText(report);
      break;
  }
  return absl::OkStatus();
}

absl::Status RunRulesList(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ListRulesResponse listed, client->ListRules());
  if (args.Has("json")) {
    ctx.out() << RulesToJson(listed.rules()) << "\n";
    return absl::OkStatus();
  }
  for (const v1::Rule& rule : listed.rules()) {
    ctx.out() << RuleToLine(rule) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunRulesSet(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(v1::Rule rule, RuleFrom(args));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_RETURN_IF_ERROR(client->SetRule(rule).status());
  ctx.out() << "set " << RuleToLine(rule)
            << (rule.min_count() == 0 ? " (no longer required)" : "") << "\n";
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace villagesync
