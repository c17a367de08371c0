#include "storage/device_writes.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/status_macros.h"
#include "storage/causal_context.h"
#include "storage/field_merge.h"
#include "storage/validation.h"

namespace villagesync {

bool IsRetraction(const v1::FieldState& state, uint64_t replica) {
  return state.siblings_size() == 0 && state.context_size() > 0 &&
         std::all_of(
             state.context().begin(), state.context().end(),
             [replica](const v1::Dot& d) { return d.replica() == replica; });
}

namespace {

uint64_t KnownOf(const KnownCounters& known, uint64_t replica) {
  auto it = known.find(replica);
  return it == known.end() ? 0 : it->second;
}

// The highest counter `device` may use: kMaxDotGap above what is known.
uint64_t CounterLimit(const KnownCounters& known, uint64_t device) {
  uint64_t held = KnownOf(known, device);
  return held > std::numeric_limits<uint64_t>::max() - kMaxDotGap
             ? std::numeric_limits<uint64_t>::max()
             : held + kMaxDotGap;
}

std::string Hex(uint64_t replica) { return absl::StrFormat("%016x", replica); }

// The name a register has in messages: "fields.<name>" or "deletion".
std::string RegisterName(const v1::FieldState& state, bool deletion) {
  return deletion ? "deletion" : absl::StrCat("fields.", Bounded(state.name()));
}

// Checks that every value of `state` is the device's own, within the gap.
absl::Status CheckOwnValues(const v1::FieldState& state,
                            const std::string& name, uint64_t device,
                            const KnownCounters& known) {
  uint64_t limit = CounterLimit(known, device);
  if (state.siblings_size() == 0 && !IsRetraction(state, device)) {
    return InvalidField(name,
                        "carries no value written by the pushing "
                        "replica: a device sends only its own writes");
  }
  for (const v1::Sibling& s : state.siblings()) {
    if (s.dot().replica() != device) {
      return InvalidField(
          absl::StrCat(name, ".dot"),
          absl::StrCat("a value written by replica ", Hex(s.dot().replica()),
                       ", not by the pushing replica ", Hex(device),
                       ": a device sends only its own writes"));
    }
  }
  for (const v1::Dot& d : state.context()) {
    if (d.replica() == device && d.counter() > limit) {
      return InvalidField(
          absl::StrCat(name, ".dot"),
          absl::StrCat("counter ", d.counter(), " jumps more than ", kMaxDotGap,
                       " above the highest this server holds for replica ",
                       Hex(device), " (", KnownOf(known, device), ")"));
    }
  }
  return absl::OkStatus();
}

// A register whose every value is cleared, in a change that is neither a
// delete nor a create, clears the field.
bool ClearsField(const v1::FieldState& state) {
  return state.siblings_size() > 0 &&
         std::all_of(state.siblings().begin(), state.siblings().end(),
                     [](const v1::Sibling& s) { return IsCleared(s.value()); });
}

bool Deletes(const v1::Change& change) {
  for (const v1::Sibling& s : change.deletion().siblings()) {
    if (s.value().bool_value()) return true;
  }
  return false;
}

absl::Status CheckRequiredKept(const v1::CollectionSchema& schema,
                               const v1::Change& change,
                               const SealCheck& sealed_here) {
  if (change.creates() || Deletes(change)) return absl::OkStatus();
  for (const v1::FieldState& f : change.fields()) {
    if (!ClearsField(f) || IsReturnedRegister(f, f.name(), sealed_here)) {
      continue;
    }
    for (const v1::FieldSpec& spec : schema.fields()) {
      if (spec.name() == f.name() && spec.required()) {
        return InvalidField(f.name(), "required field cannot be cleared");
      }
    }
  }
  return absl::OkStatus();
}

// The highest counter of `replica` that `held` has seen (0: none).
uint64_t HeldCounter(const CausalContext& held, uint64_t replica) {
  for (const v1::Dot& h : held) {
    if (h.replica() == replica) return h.counter();
  }
  return 0;
}

bool IsEmpty(const v1::FieldState& state) {
  return state.siblings_size() == 0 && state.context_size() == 0;
}

// Leaves in `state` only what `replica` wrote (see KeepOwnValuesOnly);
// false if no value of `replica` is left (`state` is then a retraction, or
// empty if it holds no write of `replica` at all).
bool KeepOwn(uint64_t replica, v1::FieldState* state) {
  auto* siblings = state->mutable_siblings();
  for (int i = siblings->size() - 1; i >= 0; --i) {
    const v1::Dot& dot = siblings->Get(i).dot();
    if (dot.replica() == replica) continue;
    for (int j = state->context_size() - 1; j >= 0; --j) {
      v1::Dot* entry = state->mutable_context(j);
      if (entry->replica() != dot.replica()) continue;
      entry->set_counter(std::min(entry->counter(), dot.counter() - 1));
      if (entry->counter() == 0) state->mutable_context()->DeleteSubrange(j, 1);
    }
    siblings->DeleteSubrange(i, 1);
  }
  if (!siblings->empty()) return true;
  auto* context = state->mutable_context();
  for (int j = context->size() - 1; j >= 0; --j) {
    if (context->Get(j).replica() != replica) context->DeleteSubrange(j, 1);
  }
  return false;
}

}  // namespace

bool IsReturnedRegister(const v1::FieldState& state, absl::string_view field,
                        const SealCheck& sealed_here) {
  if (!sealed_here || state.siblings_size() == 0 ||
      state.context_size() != state.siblings_size()) {
    return false;
  }
  for (const v1::Sibling& s : state.siblings()) {
    if (!sealed_here(field, s)) return false;
    bool in_context = false;
    for (const v1::Dot& d : state.context()) {
      in_context = in_context || DotEqual(d, s.dot());
    }
    if (!in_context) return false;
  }
  return true;
}

absl::Status CheckDeviceChange(const v1::CollectionSchema& schema,
                               const v1::Change& change, uint64_t device,
                               const KnownCounters& known,
                               const SealCheck& sealed_here) {
  // Each register is the device's own write, or hands back this server's.
  for (const v1::FieldState& f : change.fields()) {
    if (IsReturnedRegister(f, f.name(), sealed_here)) continue;
    VS_RETURN_IF_ERROR(
        CheckOwnValues(f, RegisterName(f, false), device, known));
  }
  const v1::FieldState& deletion = change.deletion();
  if (!IsEmpty(deletion) && !IsReturnedRegister(deletion, "", sealed_here)) {
    VS_RETURN_IF_ERROR(CheckOwnValues(deletion, "deletion", device, known));
  }
  return CheckRequiredKept(schema, change, sealed_here);
}

absl::Status CheckClaims(const v1::FieldState& incoming,
                         const CausalContext& held, absl::string_view name,
                         uint64_t device) {
  for (const v1::Dot& d : incoming.context()) {
    if (d.replica() == device || Covers(held, d)) continue;
    uint64_t has = HeldCounter(held, d.replica());
    return absl::UnavailableError(absl::StrCat(
        name, ".context: claims writes of replica ", Hex(d.replica()),
        " up to ", d.counter(), ", but this server holds them up to ", has,
        "; deferred until it has them (send it again later)"));
  }
  return absl::OkStatus();
}

void LimitClaims(const CausalContext& held, uint64_t device,
                 v1::FieldState* incoming) {
  CausalContext* context = incoming->mutable_context();
  for (int i = context->size() - 1; i >= 0; --i) {
    v1::Dot* claim = context->Mutable(i);
    if (claim->replica() == device || Covers(held, *claim)) continue;
    uint64_t has = HeldCounter(held, claim->replica());
    claim->set_counter(has);
    if (has == 0) context->DeleteSubrange(i, 1);
  }
}

std::string NextLineage(
    absl::string_view lineage,
    const google::protobuf::RepeatedPtrField<v1::Change>& changes) {
  std::string bytes(lineage);
  for (const v1::Change& change : changes) change.AppendToString(&bytes);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &md_len, EVP_sha256(),
                 nullptr) != 1) {
    return "";
  }
  std::string next(8 + md_len, '\0');
  uint64_t length = LineageLength(lineage) + 1;
  for (int i = 7; i >= 0; --i, length >>= 8) {
    next[i] = static_cast<char>(length & 0xff);
  }
  std::memcpy(&next[8], md, md_len);
  return next;
}

uint64_t LineageLength(absl::string_view lineage) {
  if (lineage.size() < 8) return 0;
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) {
    length = (length << 8) | static_cast<unsigned char>(lineage[i]);
  }
  return length;
}

bool Forked(absl::string_view known, absl::string_view mine,
            absl::string_view pending) {
  if (known.empty() || known == mine || known == pending) return false;
  return LineageLength(known) >= LineageLength(mine);
}

bool KeepOwnValuesOnly(uint64_t replica, v1::Change* change) {
  auto* fields = change->mutable_fields();
  for (int i = fields->size() - 1; i >= 0; --i) {
    if (KeepOwn(replica, fields->Mutable(i))) continue;
    change->set_creates(false);
    if (IsEmpty(fields->Get(i))) fields->DeleteSubrange(i, 1);
  }
  if (!IsEmpty(change->deletion())) {
    KeepOwn(replica, change->mutable_deletion());
  }
  return !fields->empty() || !IsEmpty(change->deletion());
}

}  // namespace villagesync
