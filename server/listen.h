// Listen addresses (HOST:PORT) of villagesyncd's endpoints: whether one is
// on loopback (where plaintext is allowed by default), and why one could not
// be bound, in words an operator can act on.
#ifndef VILLAGESYNC_SERVER_LISTEN_H_
#define VILLAGESYNC_SERVER_LISTEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace villagesync {

// A listen address split: "127.0.0.1:7443" -> {"127.0.0.1", 7443};
// "[::1]:7443" -> {"::1", 7443}. INVALID_ARGUMENT naming `flag` if it is not
// HOST:PORT with a port of 0-65535.
struct HostPort {
  std::string host;
  int port = 0;
};
absl::StatusOr<HostPort> ParseListen(absl::string_view address,
                                     absl::string_view flag);

// True if every address `host` names is a loopback address (127.0.0.0/8,
// ::1, "localhost").
bool IsLoopback(absl::string_view host);

// Why `address` cannot be listened on, found by binding it once more:
// UNAVAILABLE "HOST:PORT is already in use ..." if another socket holds it,
// or with the system's reason.
absl::Status ListenProblem(absl::string_view address);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_LISTEN_H_
