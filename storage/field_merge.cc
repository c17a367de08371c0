#include "storage/field_merge.h"

#include <algorithm>

#include "google/protobuf/util/message_differencer.h"
#include "storage/causal_context.h"

namespace villagesync {
namespace {

bool HasSiblingWithDot(const v1::FieldState& state, const v1::Dot& dot) {
  for (const v1::Sibling& s : state.siblings()) {
    if (DotEqual(s.dot(), dot)) return true;
  }
  return false;
}

bool SameDots(const v1::FieldState& a, const v1::FieldState& b) {
  if (a.siblings_size() != b.siblings_size()) return false;
  for (int i = 0; i < a.siblings_size(); ++i) {
    if (!DotEqual(a.siblings(i).dot(), b.siblings(i).dot())) return false;
  }
  return true;
}

bool SameContext(const CausalContext& a, const CausalContext& b) {
  if (a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i) {
    if (!DotEqual(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

bool JoinFieldState(v1::FieldState* local, const v1::FieldState& incoming) {
  if (local->siblings_size() == 0 && local->context_size() == 0) {
    // Nothing here yet (a create): the join is the incoming register, whose
    // siblings validation already requires to be sorted.
    std::string name = local->name().empty() ? incoming.name() : local->name();
    *local = incoming;
    local->set_name(std::move(name));
    return incoming.siblings_size() > 0 || incoming.context_size() > 0;
  }
  v1::FieldState joined;
  joined.set_name(local->name().empty() ? incoming.name() : local->name());
  // A local sibling survives unless the incoming side has seen its dot and
  // dropped it (i.e. superseded it).
  for (const v1::Sibling& s : local->siblings()) {
    if (HasSiblingWithDot(incoming, s.dot()) ||
        !Covers(incoming.context(), s.dot())) {
      *joined.add_siblings() = s;
    }
  }
  // An incoming sibling is new unless this side has seen it already.
  for (const v1::Sibling& s : incoming.siblings()) {
    if (!Covers(local->context(), s.dot())) *joined.add_siblings() = s;
  }
  std::sort(joined.mutable_siblings()->begin(),
            joined.mutable_siblings()->end(),
            [](const v1::Sibling& a, const v1::Sibling& b) {
              return DotLess(a.dot(), b.dot());
            });
  *joined.mutable_context() = local->context();
  MergeContext(joined.mutable_context(), incoming.context());
  bool changed = !SameDots(joined, *local) ||
                 !SameContext(joined.context(), local->context());
  if (changed) *local = std::move(joined);
  return changed;
}

v1::FieldState Overwrite(const v1::FieldState& current, v1::Sibling sibling) {
  v1::FieldState next;
  next.set_name(current.name());
  *next.mutable_context() = current.context();
  AddDot(next.mutable_context(), sibling.dot());
  *next.add_siblings() = std::move(sibling);
  return next;
}

bool ValueEquals(const v1::Value& a, const v1::Value& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace villagesync
