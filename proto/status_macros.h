// Early-return helpers for absl::Status and absl::StatusOr, which Debian's
// Abseil (20220623) does not ship. Used by every layer of villagesync.
#ifndef VILLAGESYNC_PROTO_STATUS_MACROS_H_
#define VILLAGESYNC_PROTO_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define VS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status vs_status_ = (expr);      \
    if (!vs_status_.ok()) return vs_status_; \
  } while (false)

#define VS_STATUS_CONCAT_INNER_(a, b) a##b
#define VS_STATUS_CONCAT_(a, b) VS_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be
// a declaration (`auto x`) or an existing variable.
#define VS_ASSIGN_OR_RETURN(lhs, rexpr)                                     \
  VS_ASSIGN_OR_RETURN_IMPL_(VS_STATUS_CONCAT_(vs_statusor_, __LINE__), lhs, \
                            rexpr)

#define VS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

#endif  // VILLAGESYNC_PROTO_STATUS_MACROS_H_
