#include "storage/causal_context.h"

#include <algorithm>

namespace villagesync {
namespace {

// Returns the first entry whose replica is not below `replica`.
CausalContext::const_iterator LowerBound(const CausalContext& context,
                                         uint64_t replica) {
  return std::lower_bound(
      context.begin(), context.end(), replica,
      [](const v1::Dot& entry, uint64_t r) { return entry.replica() < r; });
}

}  // namespace

bool DotLess(const v1::Dot& a, const v1::Dot& b) {
  if (a.replica() != b.replica()) return a.replica() < b.replica();
  return a.counter() < b.counter();
}

bool DotEqual(const v1::Dot& a, const v1::Dot& b) {
  return a.replica() == b.replica() && a.counter() == b.counter();
}

bool Covers(const CausalContext& context, const v1::Dot& dot) {
  auto it = LowerBound(context, dot.replica());
  return it != context.end() && it->replica() == dot.replica() &&
         it->counter() >= dot.counter();
}

void AddDot(CausalContext* context, const v1::Dot& dot) {
  auto it = LowerBound(*context, dot.replica());
  int index = static_cast<int>(it - context->begin());
  if (it != context->end() && it->replica() == dot.replica()) {
    v1::Dot* entry = context->Mutable(index);
    entry->set_counter(std::max(entry->counter(), dot.counter()));
    return;
  }
  *context->Add() = dot;
  // Rotate the appended entry into its sorted place.
  for (int i = context->size() - 1; i > index; --i)
    context->SwapElements(i, i - 1);
}

void MergeContext(CausalContext* context, const CausalContext& other) {
  for (const v1::Dot& dot : other) AddDot(context, dot);
}

bool IsWellFormed(const CausalContext& context) {
  for (int i = 0; i < context.size(); ++i) {
    if (context[i].replica() == 0 || context[i].counter() == 0) return false;
    if (i > 0 && context[i - 1].replica() >= context[i].replica()) return false;
  }
  return true;
}

}  // namespace villagesync
