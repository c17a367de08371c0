// Loading and checking the replication config (proto/replication.proto),
// a protobuf text-format file given to `villagesyncd --peers FILE`.
#ifndef VILLAGESYNC_SERVER_REPLICATION_CONFIG_H_
#define VILLAGESYNC_SERVER_REPLICATION_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/replication.pb.h"

namespace villagesync {

// The peers in `path`. NOT_FOUND if the file is missing; INVALID_ARGUMENT
// with the line of a syntax error, or naming the field of a bad peer
// ("peers[1].address: required").
absl::StatusOr<v1::ReplicationConfig> LoadReplicationConfig(
    const std::string& path);

// Checks names (unique, [A-Za-z0-9_.-]), addresses, directions, tokens and
// region prefixes. INVALID_ARGUMENT naming the field.
absl::Status ValidateReplicationConfig(const v1::ReplicationConfig& config);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_REPLICATION_CONFIG_H_
