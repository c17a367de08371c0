// The --help texts of the villagesync CLI, one per command, and the exit
// codes every help text ends with. Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_CLI_HELP_H_
#define VILLAGESYNC_CLIENT_INTERNAL_CLI_HELP_H_

namespace villagesync {
namespace cli {

extern const char kMainHelp[];
extern const char kInitHelp[];
extern const char kPutHelp[];
extern const char kGetHelp[];
extern const char kListHelp[];
extern const char kDeleteHelp[];
extern const char kSyncHelp[];
extern const char kStatusHelp[];
// `admin`, `admin users`, `admin users add`, `admin users revoke` and
// `admin audit`.
extern const char kAdminHelp[];
// `admin rules`, `admin rules list` and `admin rules set`.
extern const char kAdminRulesHelp[];
extern const char kSchemaHelp[];
extern const char kReportHelp[];
// `conflicts` alone, then each conflicts command.
extern const char kConflictsHelp[];
extern const char kConflictsListHelp[];
extern const char kConflictsShowHelp[];
extern const char kConflictsResolveHelp[];
// The exit codes, appended to every help text.
extern const char kExitCodesHelp[];

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_CLI_HELP_H_
