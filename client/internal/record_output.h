// How the villagesync command line shows records: as JSON for scripts and
// as text for people (`get` shows every field, `list` one line per record).
// Fields appear in the order the collection schema declares them.
// Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_RECORD_OUTPUT_H_
#define VILLAGESYNC_CLIENT_INTERNAL_RECORD_OUTPUT_H_

#include <string>

#include "proto/schema.pb.h"
#include "storage/record_view.h"

namespace villagesync {
namespace cli {

// One JSON object on one line:
//   {"collection":"members","id":"...","village":"...",
//    "fields":{"name":"李建国",...},"conflicts":["status"],"deleted":false}
// plus "delete_conflict":true when a delete met a concurrent edit. Values as
// ValueToJson renders them.
std::string RecordToJson(const RecordView& view,
                         const v1::CollectionSchema& schema);

// Several lines: a header "members/ID (village CODE)", then "field: value"
// per set field, conflicts marked, and the deletion state if any.
std::string RecordToText(const RecordView& view,
                         const v1::CollectionSchema& schema);

// One line: id, village and the required fields (or the first few set
// fields of a collection without required fields), conflicts marked.
std::string RecordToLine(const RecordView& view,
                         const v1::CollectionSchema& schema);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_RECORD_OUTPUT_H_
