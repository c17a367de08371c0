#include "client/internal/cli_help.h"

namespace villagesync {
namespace cli {

const char kMainHelp[] =
    R"(villagesync: the field-device client of a villagesync county server.
Records live in a local store: reads and writes work offline. Only init,
sync and admin talk to the server.

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
  admin users add --name NAME --role ROLE --scope PREFIX
                     create a user on the server; prints its token
  admin users revoke NAME
                     revoke a user's token

Flags:
  --store DIR        the device directory (local store and sync state),
                     created if missing; may also follow the command
  -h, --help         this help; after a command, that command's help
)";

const char kInitHelp[] =
    R"(Usage: villagesync --store DIR init --server HOST:PORT --token TOKEN

Points this device at its county server and keeps the token in DIR. If the
server answers, the token is checked now (exit 4 if it is refused) and the
user, role and scope are shown; if it does not, the settings are kept and
checked at the next sync.

Flags:
  --server HOST:PORT  the county server
  --token TOKEN       this user's token (from `admin users add`, or from
                      `villagesyncd bootstrap` for the first admin)
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
one line per edit the server rejected, with the reason. Exits 0 when fully
synced, 3 when the server cannot be reached (local edits are kept: run sync
again later), 4 when the token is refused, 1 if the device was never
initialized or on another error.
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

Manages users on the server this device was initialized with, as the user of
its token (county and admin users may manage users in their scope).

admin users add: creates a user and prints only its token. The server keeps
  just a hash: the token cannot be shown again.
  --name NAME      1-64 characters of A-Z a-z 0-9 _ . -
  --role ROLE      field_worker, first_secretary, village_secretary,
                   township, county, admin or replica
  --scope PREFIX   the village-code prefix the user may act in (--scope ""
                   for everywhere)
admin users revoke NAME: revokes the user's token at once; prints
  "revoked NAME".
)";

const char kExitCodesHelp[] = R"(
Exit codes:
  0  success
  1  the operation failed: record not found, invalid value (the message
     names the field), ambiguous id, device not initialized, store or
     server error
  2  usage error: unknown command or flag, missing or extra argument
  3  server unreachable (sync, admin): sync incomplete, local edits
     kept; try again later
  4  authentication or permission refused by the server
)";

}  // namespace cli
}  // namespace villagesync
