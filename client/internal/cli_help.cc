#include "client/internal/cli_help.h"

namespace villagesync {
namespace cli {

const char kMainHelp[] =
    R"(villagesync: the field-device client of a villagesync county server.
Records live in a local store: reads and writes work offline. Only init,
sync, conflicts, report and admin talk to the server.

Usage:
  villagesync --store DIR COMMAND [ARGS...]
  villagesync COMMAND --help

Commands:
  init --server HOST:PORT --token TOKEN
                     point this device at its county server
  put COLLECTION --village CODE [--id ID] FIELD=VALUE...
                     create a record, or edit fields of one; prints its id
  get COLLECTION ID [--village CODE] [--json]
                     show one record
  list COLLECTION [--village PREFIX] [--json]
                     list the records of a collection
  delete COLLECTION ID [--village CODE]
                     delete a record
  sync               push local edits, pull everyone else's
  status [--json]    pending edits, last sync, server, user, role, scope
  schema list [--json]
                     the collections this device validates with
  schema show COLLECTION [--json]
                     its fields: type, required, values, limits, pii, merge
  conflicts list [--region PREFIX] [--collection C]
                 [--status open|resolved|auto|all] [--min-age-days N]
                 [--json]
                     list the server's conflicts in your scope
  conflicts show ID [--json]
                     one conflict: ancestor, every value, who, device, when
  conflicts resolve ID (--pick N | --value VALUE | --keep | --delete)
                    --reason TEXT
                     decide a conflict (admin users); sync to receive it
  report --region PREFIX --period PERIOD [--format table|csv|json]
                     the county report per village: members, meetings
                     against the rules, attendance, visits, requests,
                     development, last sync, conflicts (county and admin
                     users); PERIOD is YYYY-MM, YYYY-Qn or YYYY
  admin users add --name NAME --role ROLE --scope PREFIX
                     create a user on the server; prints its token
  admin users revoke NAME
                     revoke a user's token
  admin users list [--json]
                     the users in your scope: role, scope, active or revoked
  admin users show NAME [--json]
                     one active user
  admin users set --name NAME [--role ROLE] [--scope PREFIX]
                     move a user to another role or region; token kept
  admin users rotate NAME
                     a new token for the user; the old one stops working
  admin devices list [--region PREFIX] [--json]
                     devices: user, last sync, pending edits, app
  admin devices decommission ID
                     retire a device for good
  admin audit [--since YYYY-MM-DD] [--json]
                     the server's log of user changes, resolutions and
                     rule changes
  admin peers [--json]
                     the server's replication peers: state, lag, last error
  admin rules list [--json]
                     the meeting rules the report judges by
  admin rules set --type MEETING_TYPE --cadence monthly|quarterly|yearly
                  --min N --from YYYY-MM [--region PREFIX]
                     require N meetings of a type per period from a month on

Flags:
  --store DIR        the device directory (local store and sync state);
                     init creates it, every other command refuses a
                     directory init never set up; may also follow the
                     command
  -h, --help         this help; after a command, that command's help
  --version          the version of this program, and exit
  --timeout SECONDS  give up a command that talks to the server after this
                     long, retries included (exit 3); on a terminal, a line
                     says at once when the server does not answer
)";

const char kInitHelp[] =
    R"(Usage: villagesync --store DIR init --server HOST:PORT
         [--token TOKEN | --token_file FILE] [--ca FILE | --plaintext]
         [--tls_server_name NAME]

Points this device at its county server and keeps the token in DIR. If the
server answers, the token is checked now (exit 4 if it is refused) and the
user, role and scope are shown; if it does not, the settings are kept and
checked at the next sync. A failed TLS handshake (a wrong CA, a certificate
for another name, a server without TLS) fails now with exit 3 and keeps
nothing.

The link uses TLS, trusting --ca or else the system's certificate
authorities, except to a server on this machine (localhost, 127.x, [::1])
without --ca, or with --plaintext.

Flags:
  --server HOST:PORT      the county server
  --token TOKEN           this user's token (from `admin users add`, or from
                          `villagesyncd bootstrap` for the first admin). On a
                          shared machine prefer --token_file or the
                          VILLAGESYNC_TOKEN environment variable: arguments
                          are visible to every user in `ps`
  --token_file FILE       read the token from the first line of FILE
  --ca FILE               the CA certificate (PEM) the server's certificate
                          must chain to (e.g. ca.pem from scripts/dev-certs)
  --plaintext             no TLS (a server behind a trusted network only)
  --tls_server_name NAME  the name the server's certificate carries, if not
                          the host of --server
)";

const char kPutHelp[] =
    R"(Usage: villagesync --store DIR put COLLECTION --village CODE [--id ID] FIELD=VALUE...

Creates a record in the local store, or edits one: with the --id of an
existing record only the named fields change. Prints the record's id. Works
offline; the edit is sent at the next sync.

Flags:
  --village CODE  the record's 12-digit village code (required)
  --id ID         the record's id (1-64 characters of A-Z a-z 0-9 _ -);
                  without it a new id is generated (26 characters, ULID-like)

VALUE is read by the field's type in the collection's schema:
  string, enum    as is; an enum value must be one the schema declares
  int64, double   42, 3.5
  bool            true/false, 1/0, yes/no, 是/否
  date            YYYY-MM-DD
  timestamp       RFC 3339 (2024-05-10T08:30:00+08:00) or microseconds
                  since 1970-01-01 UTC
  money           yuan with at most 2 decimals (6.00, 82000) or 万 (8.2万)
  ref             VILLAGE/COLLECTION/ID
  string list     items separated by "," "，" or "、"
FIELD= (nothing after "=") clears the field. An unknown field or a bad
value fails with exit 1 and a message naming the field.

Example:
  villagesync --store dev put members --village 370102001001 \
      name=李建国 join_date=1995-07-01 status=正式党员 care_flags=老党员
)";

const char kGetHelp[] =
    R"(Usage: villagesync --store DIR get COLLECTION ID [--village CODE] [--json]

Shows one record of the local store, one "field: value" per line; fields in
conflict are marked. A deleted record is shown with "deleted: true". Without
--village the record is looked up by id in COLLECTION; if the id exists in
several villages the command fails (exit 1) and asks for --village.

Flags:
  --village CODE  the record's village code
  --json          one JSON object on one line:
                  {"collection":..., "id":..., "village":...,
                   "fields":{NAME: VALUE, ...}, "conflicts":[NAME, ...],
                   "deleted":false}
                  plus "delete_conflict":true when a delete met a concurrent
                  edit. Money is in fen (integer), dates "YYYY-MM-DD",
                  timestamps RFC 3339 UTC, refs "VILLAGE/COLLECTION/ID",
                  string lists arrays, bools true/false. UTF-8 as is.
)";

const char kListHelp[] =
    R"(Usage: villagesync --store DIR list COLLECTION [--village PREFIX] [--json]

Lists the records of COLLECTION in the local store, one line each: id,
village and the required fields; conflicts are marked. Deleted records are
left out.

Flags:
  --village PREFIX  only villages whose code starts with PREFIX (6 digits is
                    a county, 9 a township, 12 one village)
  --json            a JSON array of the objects `get --json` prints
)";

const char kDeleteHelp[] =
    R"(Usage: villagesync --store DIR delete COLLECTION ID [--village CODE]

Deletes a record in the local store; the delete is sent at the next sync.
Records of append-only collections (meetings, dues, ...) are never deleted:
write a new record whose "corrects" field points at the old one. Deleting a
record that does not exist or is already deleted fails (exit 1). The village
is found as for `get`.

Flags:
  --village CODE  the record's village code
)";

const char kSyncHelp[] = R"(Usage: villagesync --store DIR sync

Pushes this device's edits to its server and pulls everyone else's; on a
terminal, progress is shown. An interrupted sync keeps what was acknowledged
and resumes there next time. Prints "pushed N, pulled M, conflicts K", then
one line per edit the server rejected, with the reason, and a line for each
of these: edits the server deferred (it has not yet received the edits they
build on, e.g. a standby that lags: they stay here and go at the next sync);
a new replica id taken (this device's store was restored from an older
copy); resolutions handed back to a server restored from a backup. Exits 0
when fully synced, 3 when the server cannot be reached or deferred edits
(local edits are kept: run sync again later), 4 when the token is refused,
1 if the device was never initialized or on another error.
)";

const char kStatusHelp[] = R"(Usage: villagesync --store DIR status [--json]

Shows the server, the user with role and scope, this device's replica id,
the local edits not yet synced, the last complete sync and the last sync
error. Works offline.

Flags:
  --json  one JSON object on one line: {"server":..., "user":..., "role":...,
          "scope":..., "replica_id":"16 hex digits", "pending":N,
          "last_sync":"RFC 3339" or null, "last_error":"..." or null}
)";

const char kAdminHelp[] = R"(Usage:
  villagesync --store DIR admin users add --name NAME --role ROLE --scope PREFIX
  villagesync --store DIR admin users revoke NAME
  villagesync --store DIR admin users list [--json]
  villagesync --store DIR admin users show NAME [--json]
  villagesync --store DIR admin users set --name NAME [--role ROLE]
      [--scope PREFIX]
  villagesync --store DIR admin users rotate NAME
  villagesync --store DIR admin devices list [--region PREFIX] [--json]
  villagesync --store DIR admin devices decommission ID
  villagesync --store DIR admin audit [--since YYYY-MM-DD] [--json]
  villagesync --store DIR admin peers [--json]
  villagesync --store DIR admin backup DEST
  villagesync --store DIR admin rules list [--json]
  villagesync --store DIR admin rules set --type MEETING_TYPE
      --cadence monthly|quarterly|yearly --min N --from YYYY-MM
      [--region PREFIX]

admin backup DEST: the server writes a consistent copy of its data dir to
  DEST, an absolute path on the server's machine that must not exist yet,
  while devices keep syncing (admins of every region only). To restore, stop
  the server and copy DEST back as its data dir: devices then send again
  what the copy lacks (they notice at their next sync).

Manages users on the server this device was initialized with, as the user of
its token (county and admin users may manage users in their scope), and
reads the server's audit log (the server decides who may: exit 4 if not).

admin users add: creates a user and prints only its token. The server keeps
  just a hash: the token cannot be shown again.
  --name NAME      1-64 characters of A-Z a-z 0-9 _ . -
  --role ROLE      field_worker, first_secretary, village_secretary,
                   township, county, admin or replica
  --scope PREFIX   the village-code prefix the user may act in (--scope ""
                   for everywhere)
admin users revoke NAME: revokes the user's token at once; prints
  "revoked NAME".
admin users list: the users inside the caller's scope, one line each:
  "NAME  ROLE  SCOPE  active|revoked  since TIME" (TIME RFC 3339 UTC: when
  it was created, or when it was revoked).
  --json           a JSON array of {"name","role","scope","revoked",
                   "created","revoked_at": TIME or null}
admin users show NAME: the active user NAME, in the line format of list
  (--json: one object). Exit 1 if there is none in the caller's scope.
admin users set: changes the role and/or the scope of the active user NAME;
  its token keeps working. The caller must be allowed to manage the user as
  it is and as it will be (a county user changes users inside its scope, to
  roles below county). Prints the user as `show` does. Audited as user.set.
admin users rotate NAME: gives the user a new token and prints only the
  token; the old one stops working at once (re-initialize the user's device
  with the new one). Audited as user.rotate.
admin devices list: the devices registered on the server in your region
  (or --region PREFIX inside it), one line each: "ID  USER  SCOPE  last
  sync TIME (N days)  pending P  APP", and "decommissioned by NAME at
  TIME" for retired ones. P and APP are what the device said when its last
  sync began: P counts the edits it had not sent yet (that sync then sent
  them, unless it failed).
  --json           a JSON array of {"replica","user","role","scope",
                   "registered","last_sync","days_stale","app_version",
                   "pending_edits","decommissioned","decommissioned_by"}
admin devices decommission ID: retires a lost, broken or replaced device
  for good (ID is its 16-hex-digit replica id): it may not sync again, and
  reports no longer count it as stale. Audited as device.decommission.
admin peers: how the server's replication with each peer stands, one line
  each: "NAME  ADDRESS  STATE  lag N changes / S s  pushed P pulled Q" and
  the last error; STATE is idle (caught up), syncing or error (retrying).
  --json           a JSON array of {"name","address","state","lag_changes",
                   "lag_seconds","changes_pushed","changes_pulled",
                   "last_error": "..." or null}
admin audit: every user change, conflict resolution and rule change,
  oldest first, one
  line each: "TIME  ACTOR  ACTION  TARGET  DETAIL" (TIME RFC 3339 UTC). The
  server sends at most 1000 entries; a note on stderr says when the limit
  was reached (use a later --since for the rest).
  --since DATE     only entries from DATE (YYYY-MM-DD, 00:00 UTC) on
  --json           a JSON array, one object per line: {"time":"RFC 3339",
                   "actor":..., "action":..., "target":..., "detail":...}
admin rules list, admin rules set: the meeting rules `report` judges by;
  see `villagesync admin rules list --help`.
)";

const char kAdminRulesHelp[] = R"(Usage:
  villagesync --store DIR admin rules list [--json]
  villagesync --store DIR admin rules set --type MEETING_TYPE
      --cadence monthly|quarterly|yearly --min N --from YYYY-MM
      [--region PREFIX]

The rule table on the server this device was initialized with: how many
meetings of a type each village must hold per month, quarter or year, from
a month on. `report` judges the meetings of each period against the rules
in force then. The defaults: 主题党日, 支委会 and 党小组会 at least 1 a month;
支部党员大会 and 党课 1 a quarter; 组织生活会 and 民主评议党员 1 a year.
A rule has a region (a village-code prefix): a village is judged by the rule
of the most specific region that contains it.

admin rules list: the rules that apply in or inside your scope, by meeting
  type then first month, one line each: "TYPE  CADENCE  ≥N  from YYYY-MM"
  followed by "  in REGION" unless the rule applies everywhere.
  --json   a JSON array, one object per line: {"type":...,
           "cadence":"monthly"|"quarterly"|"yearly", "min":N,
           "from":"YYYY-MM", "region":"PREFIX" ("" = everywhere)}
admin rules set: adds a rule of a meeting type in force from a month on,
  until a later rule of that type starts (a rule that starts the same month
  is replaced); earlier months keep the rules they had. County and admin
  users only (exit 4 otherwise); recorded in the audit log. Prints "set "
  and the rule.
  --type TYPE      the meeting type exactly as meetings records spell it:
                   支部党员大会, 支委会, 党小组会, 党课, 主题党日, 组织生活会,
                   民主评议党员, 两委联席会 or 村民代表会议
  --cadence C      monthly, quarterly or yearly
  --min N          at least N meetings in each month, quarter or year (0
                   lifts the requirement from that month on)
  --from YYYY-MM   the first month the rule is in force
  --region PREFIX  where it applies (default: your scope; a county user's
                   rules apply inside its county only, an admin may set
                   wider defaults)
)";

const char kReportHelp[] =
    R"(Usage: villagesync --store DIR report --region PREFIX --period PERIOD [--format table|csv|json]

The county report, made by the server this device was initialized with
(county and admin users, inside their scope: exit 4 otherwise): one row per
village whose code starts with PREFIX, then a TOTAL row for the region.
Per village: members by status and the development pipeline by stage (as
they are now); meetings held per type against the rule table (see
`admin rules list --help`), meeting attendance, visits, and requests opened
and closed (within the period); the last sync of the village and of each of
its devices, with the days since; conflicts open now. A village complies if
every meeting type a rule applies to does.

Flags:
  --region PREFIX  village-code prefix: 6 digits a county, 9 a township, 12
                   one village; --region "" for your whole scope
  --period PERIOD  YYYY-MM (a month), YYYY-Qn (a quarter, n 1-4) or YYYY (a
                   year)
  --format FORMAT  table (the default), csv or json:
    table  for people: a header line (period, its first and last day,
           region, when made), a block per village, a line starting TOTAL.
           Meetings show "TYPE held/required ✓" (✗ if the rule was not met),
           or "TYPE held" when no rule applies; attendance "present/due =
           NN%" ("-" if nobody was due). Last syncs show the date (UTC) and
           days since, flagged STALE at 14 days or more, or "never STALE".
    csv    for a spreadsheet: UTF-8 with a byte order mark, RFC 4180 (CRLF,
           quoted where needed); a header row, a row per village, a row
           "TOTAL PREFIX". Columns: village, members_total,
           members_STATUS..., then per meeting type meetings_TYPE_held,
           meetings_TYPE_required, meetings_TYPE_complies (yes, no, empty if
           no rule applies), complies, attendance_present, attendance_due,
           attendance_rate (0-1, 3 decimals, empty if nobody was due),
           visits, requests_opened, requests_closed, development_STAGE...,
           last_sync (RFC 3339 UTC, empty if never), days_stale (empty if
           never), open_conflicts, devices (how many). STATUS, TYPE and
           STAGE are every value that occurs, sorted.
    json   one object: {"region":..., "period":..., "period_start":
           "YYYY-MM-DD", "period_end":..., "generated":"RFC 3339",
           "villages":[ROW, ...], "summary":ROW}, ROW = {"village":...,
           "members_by_status":{...}, "members_total":N, "meetings":[{"type",
           "held", "required", "complies":true|false|null}], "complies",
           "attendance":{"present","due","rate"}, "visits",
           "requests":{"opened","closed"}, "development_by_stage":{...},
           "last_sync", "days_stale", "open_conflicts", "devices":[{"replica",
           "user", "last_sync", "days_stale"}]}; every key is described in
           docs/REPORT_JSON.md.

A bad --period or --format is a usage error (exit 2); a region outside
your scope is refused (exit 4); a value the server refuses fails with
exit 1, the message naming the field.
)";

const char kSchemaHelp[] = R"(Usage:
  villagesync --store DIR schema list [--json]
  villagesync --store DIR schema show COLLECTION [--json]

The schemas this device validates with, from its own store (offline): the
ones it had at its last sync.

schema list: "schema version N", then one line per collection:
  "NAME  mutable|append-only  N fields  — DESCRIPTION".
  --json           a JSON array of {"name","kind","fields","description"}
schema show COLLECTION: the collection's kind, description, owner and
  purpose, then one line per field: name, type (string, int, double, bool,
  date, timestamp, money, enum, ref, list), "required", "pii" (withheld from
  field workers), the allowed values, MIN..MAX, "at most FIELD", the merge
  policy (review: concurrent edits wait for an administrator; lww: the
  latest wins; union: lists are merged) and the roles that may write it
  when not the default ones. Exit 1 for an unknown collection.
  --json           one object: {"name","kind","description","owner",
                   "purpose","fields":[{"name","type","required","pii",
                   "enum_values","min","max","at_most_field","merge",
                   "writable_by","description"}]}
)";

const char kConflictsHelp[] = R"(Usage:
  villagesync --store DIR conflicts list [--region PREFIX] [--collection C]
      [--status open|resolved|auto] [--min-age-days N] [--json]
  villagesync --store DIR conflicts show ID [--json]
  villagesync --store DIR conflicts resolve ID
      (--pick N | --value VALUE | --keep | --delete) --reason TEXT

The conflict inbox on the server this device was initialized with: edits of
the same field made concurrently with different values, and deletes that
met a concurrent edit. A conflict id is COLLECTION/VILLAGE/RECORD/FIELD,
with FIELD "_record" for a delete-versus-edit conflict. Run
`villagesync conflicts list --help` (show, resolve) for each command.
)";

const char kConflictsListHelp[] =
    R"(Usage: villagesync --store DIR conflicts list [--region PREFIX] [--collection C]
           [--status open|resolved|auto|all] [--min-age-days N] [--json]

Lists the conflicts the server holds in your scope (all pages), one line
each: id, status, number of siblings (the concurrent values) and age since
the server first saw the conflict (45m, 5h, 3d). A conflict id is
COLLECTION/VILLAGE/RECORD/FIELD, with FIELD "_record" when a delete met a
concurrent edit.

Flags:
  --region PREFIX    only villages whose code starts with PREFIX
  --collection C     only this collection (an unknown one is an error)
  --status STATUS    open (waiting for an administrator; the default),
                     resolved, auto (settled by the latest-edit-wins policy;
                     reversible) or all
  --min-age-days N   only conflicts opened at least N days ago
  --json             a JSON array, one object per line:
                     {"id":..., "collection":..., "village":..., "record":...,
                      "field":..., "status":"open"|"resolved"|"auto",
                      "siblings":[as `conflicts show --json`],
                      "opened":TIME, "updated":TIME}
                     TIME is RFC 3339 UTC, or null if unknown
)";

const char kConflictsShowHelp[] =
    R"(Usage: villagesync --store DIR conflicts show ID [--json]

Shows one conflict as a three-way view: its id, status and when it was
opened; the ancestor (the value before the concurrent edits, or unknown);
then every sibling, numbered for `conflicts resolve --pick N`:
  [1] VALUE  — by AUTHOR on device REPLICA at HLC-TIME received TIME
REPLICA is the writing device's replica id (16 hex digits), HLC-TIME the
writer's clock at the edit (village clocks may be wrong), TIME when the
server received it. A value removed by a delete, or cleared, shows as
the text (deleted). A resolved conflict also shows who resolved it and
why. Fails (exit 1) if there is no such conflict in your scope.

Flags:
  --json  one JSON object on one line:
          {"id":..., "collection":..., "village":..., "record":...,
           "field":..., "status":"open"|"resolved"|"auto",
           "ancestor":VALUE or null,
           "siblings":[{"n":1, "value":VALUE, "author":...,
                        "replica":"16 hex digits", "hlc_time":TIME,
                        "received":TIME}, ...],
           "opened":TIME, "updated":TIME,
           "resolved_by":... or null, "reason":... or null}
          VALUE as `get --json` shows values (null if deleted or cleared);
          TIME RFC 3339 UTC, or null if unknown
)";

const char kConflictsResolveHelp[] =
    R"(Usage: villagesync --store DIR conflicts resolve ID (--pick N | --value VALUE | --keep | --delete) --reason TEXT

Decides a conflict on the server (admin users only: exit 4 otherwise). The
decision is a normal edit that supersedes every sibling; it reaches every
device at its next sync, this one included (run `sync` to see it here).
Prints "resolved ID: " and what was chosen. An auto-resolved conflict may
be decided again; an already resolved one fails (exit 1).

Give exactly one choice:
  --pick N        keep sibling N, as `conflicts show` numbers them
  --value VALUE   write a new value, read by the field's type as `put`
                  reads it (see `put --help`); --value "" clears the field
  --keep          delete-versus-edit (_record): keep the record, undoing
                  the delete
  --delete        delete-versus-edit (_record): delete the record
and:
  --reason TEXT   why (required); kept with the conflict and in the audit
                  log
)";

const char kExitCodesHelp[] = R"(
Exit codes:
  0  success
  1  the operation failed: record not found, invalid value (the message
     names the field), ambiguous id, device not initialized, store or
     server error
  2  usage error: unknown command or flag, missing or extra argument
  3  server unreachable (sync, conflicts, report, admin): sync
     incomplete, local edits kept; try again later
  4  authentication or permission refused by the server
)";

}  // namespace cli
}  // namespace villagesync
