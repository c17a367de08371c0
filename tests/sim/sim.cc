#include "tests/sim/sim.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "proto/status_macros.h"
#include "storage/causal_context.h"
#include "storage/device_writes.h"
#include "storage/record_store.h"
#include "tests/testing/records.h"

namespace villagesync::sim {
namespace {

namespace fs = std::filesystem;

constexpr char kCollection[] = "notes";
const char* const kVillages[] = {"440101001001", "440101001002",
                                 "440101002001"};
constexpr int kIdsPerVillage = 8;
constexpr char kNarrowScope[] = "440101001";
constexpr char kCountyScope[] = "440101";
constexpr int kServers = 2;  // node 0: the county server, 1: its standby

enum class Kind {
  kHello,       // device -> server: what do you hold of mine?
  kHelloReply,  // server -> device: received_seq
  kPush,        // device -> server: a page of the outbox
  kPushAck,     // server -> device: acknowledged up to `checkpoint`
  kPull,        // device -> server: a page after `after`, in `scope`
  kPullPage,    // server -> device
  kPeerPull,    // server -> server: a page of your log after `after`
  kPeerPage,    // server -> server
};

struct Message {
  Kind kind = Kind::kHello;
  int from = 0;
  int to = 0;
  std::vector<v1::Change> changes;
  std::string after;       // where the request or page starts
  std::string checkpoint;  // where the page or acknowledgement ends
  uint64_t received_seq = 0;
  bool more = false;
  bool restart = false;   // the position was refused: read from the start
  bool deferred = false;  // a change of the push was deferred
  std::string scope;
};

Message NewMessage(Kind kind, int from, int to) {
  Message message;
  message.kind = kind;
  message.from = from;
  message.to = to;
  return message;
}

// A device's sync state, as the client keeps it (saved before each step,
// so a restart keeps it).
struct DeviceState {
  int home = 0;
  std::string scope = kNarrowScope;
  std::string push_checkpoint;  // the outbox acknowledged up to here
  // Where this sync's next page starts: past push_checkpoint once a page of
  // this sync had a deferred change.
  std::string push_cursor;
  uint64_t pushed_seq = 0;  // the home server's watermark for us
  std::string pull_checkpoint[kServers];
};

// One write made on a device: the register and its dot.
struct Write {
  v1::RecordKey key;
  std::string field;  // "" for the deletion marker
  v1::Dot dot;
};

class Simulation {
 public:
  Simulation(const SimOptions& options, std::string dir)
      : options_(options),
        dir_(std::move(dir)),
        rng_(options.seed),
        ids_(options.seed ^ 0x9e3779b97f4a7c15) {}

  absl::Status Run() {
    fs::create_directories(dir_);
    int nodes = kServers + options_.devices;
    stores_.resize(nodes);
    devices_.resize(options_.devices);
    partitioned_.assign(nodes, std::vector<bool>(nodes, false));
    for (int n = 0; n < nodes; ++n) VS_RETURN_IF_ERROR(Open(n));
    for (int d = 0; d < options_.devices; ++d) {
      devices_[d].home = d % 3 == 2 ? 1 : 0;  // most devices use the county
    }
    for (; figures_.operations < options_.operations; ++figures_.operations) {
      ++clock_ms_;
      VS_RETURN_IF_ERROR(Step());
    }
    VS_RETURN_IF_ERROR(Quiesce());
    return Check();
  }

  const SimFigures& figures() const { return figures_; }

 private:
  // --- nodes ---------------------------------------------------------------
  std::string NodeDir(int node) const {
    return node < kServers ? absl::StrCat(dir_, "/server-", node)
                           : absl::StrCat(dir_, "/device-", node - kServers);
  }
  bool IsServer(int node) const { return node < kServers; }
  DeviceState& Device(int node) { return devices_[node - kServers]; }
  RecordStore& Store(int node) { return *stores_[node]; }

  absl::Status Open(int node) {
    StoreOptions options;
    options.schemas = testing::NotesRegistry();
    options.wall_millis = [this] { return clock_ms_; };
    options.random_ids = [this] { return ids_(); };
    VS_ASSIGN_OR_RETURN(stores_[node],
                        RecordStore::Open(NodeDir(node), std::move(options)));
    return absl::OkStatus();
  }

  // Messages to or from `node` are gone with it.
  void ForgetMessagesOf(int node) {
    network_.erase(std::remove_if(network_.begin(), network_.end(),
                                  [node](const Message& m) {
                                    return m.from == node || m.to == node;
                                  }),
                   network_.end());
  }

  void Fault(const std::string& kind) { ++figures_.faults[kind]; }

  // --- the scheduler ---------------------------------------------------------
  absl::Status Step() {
    int dice = static_cast<int>(rng_() % 1000);
    if (dice < 330) return Edit(RandomDevice());
    if (dice < 450) return StartSync(RandomDevice());
    if (dice < 510) return StartPeerPull(static_cast<int>(rng_() % kServers));
    if (dice < 900) return DeliverOne();
    if (dice < 930) return Drop();
    if (dice < 950) return Duplicate();
    if (dice < 966) return TogglePartition();
    if (dice < 980) return Restart();
    if (dice < 988) return TakeBackup();
    if (dice < 991) return Restore();
    if (dice < 996) return MoveDevice(RandomDevice());
    return ChangeScope(RandomDevice());
  }

  int RandomDevice() {
    return kServers + static_cast<int>(rng_() % options_.devices);
  }

  // --- device edits ----------------------------------------------------------
  v1::RecordKey RandomKeyInScope(const std::string& scope) {
    std::vector<const char*> villages;
    for (const char* v : kVillages) {
      if (absl::StartsWith(v, scope)) villages.push_back(v);
    }
    return testing::Key(villages[rng_() % villages.size()], kCollection,
                        absl::StrCat("n", rng_() % kIdsPerVillage));
  }

  v1::Value RandomValue(const std::string& field) {
    int pick = static_cast<int>(rng_() % 4);
    if (field == "score") return testing::Int(pick);
    if (field == "tags") return testing::List({absl::StrCat("t", pick)});
    return testing::Str(absl::StrCat(field, "-", pick));
  }

  absl::Status Edit(int node) {
    DeviceState& device = Device(node);
    v1::RecordKey key = RandomKeyInScope(device.scope);
    std::string author = absl::StrCat("u", node);
    absl::StatusOr<v1::Change> change;
    if (rng_() % 10 < 8 || !options_.deletes) {
      static const char* const kFields[] = {"title", "body", "score", "tags"};
      std::set<std::string> fields = {kFields[rng_() % 4], kFields[rng_() % 4]};
      LocalEdit edit = testing::Edit(key, {}, author);
      for (const std::string& f : fields) {
        edit.fields.push_back({f, RandomValue(f)});
      }
      change = Store(node).Put(edit);
    } else {
      change = Store(node).Delete(key, author);
      if (absl::IsNotFound(change.status())) return absl::OkStatus();
    }
    VS_RETURN_IF_ERROR(change.status());
    ++figures_.edits;
    const char* trace = std::getenv("VILLAGESYNC_SIM_TRACE");
    if (trace != nullptr && key.id() == trace) {
      std::fprintf(stderr, "op %lld edit on %d: %s\n",
                   static_cast<long long>(figures_.operations), node,
                   change->ShortDebugString().c_str());
    }
    Remember(*change);
    return absl::OkStatus();
  }

  void Remember(const v1::Change& change) {
    made_.push_back(change);
    for (const v1::FieldState& f : change.fields()) {
      written_.push_back({change.key(), f.name(), f.siblings(0).dot()});
    }
    if (change.deletion().siblings_size() > 0) {
      written_.push_back(
          {change.key(), "", change.deletion().siblings(0).dot()});
    }
  }

  // --- starting exchanges
  // ------------------------------------------------------
  void Send(Message message) { network_.push_back(std::move(message)); }

  // A device's sync begins with Hello; its answer sends the rest (as the
  // client does: a push after Hello, a pull after the push).
  absl::Status StartSync(int node) {
    Send(NewMessage(Kind::kHello, node, Device(node).home));
    return absl::OkStatus();
  }

  // The outbox from the acknowledged position and a pull request (as the
  // client's sync does after Hello).
  absl::Status SendPushAndPull(int node, int server) {
    DeviceState& device = Device(node);
    device.push_cursor = device.push_checkpoint;
    VS_RETURN_IF_ERROR(SendPushPage(node, server));
    Message pull = NewMessage(Kind::kPull, node, server);
    pull.after = device.pull_checkpoint[server];
    pull.scope = device.scope;
    Send(std::move(pull));
    return absl::OkStatus();
  }

  // The outbox page at the device's cursor to `server`.
  absl::Status SendPushPage(int node, int server) {
    DeviceState& device = Device(node);
    ChangeQuery query;
    query.after = device.push_cursor;
    query.own_writes_only = true;
    query.max_changes = 1 + rng_() % 20;
    VS_ASSIGN_OR_RETURN(ChangePage page, Store(node).ReadChanges(query));
    Message push = NewMessage(Kind::kPush, node, server);
    for (v1::Change& change : page.changes) {
      // A device sends only its own values, inside its scope.
      if (!absl::StartsWith(change.key().village(), device.scope)) continue;
      if (KeepOwnValuesOnly(Store(node).replica_id(), &change)) {
        push.changes.push_back(std::move(change));
      }
    }
    push.after = device.push_cursor;
    push.checkpoint = page.checkpoint;
    push.more = page.more;
    if (!push.changes.empty() || page.checkpoint != push.after) {
      Send(std::move(push));
    }
    return absl::OkStatus();
  }

  absl::Status StartPeerPull(int server) {
    Message pull = NewMessage(Kind::kPeerPull, server, 1 - server);
    pull.after = peer_checkpoint_[server];
    Send(std::move(pull));
    return absl::OkStatus();
  }

  // --- the network -----------------------------------------------------------
  absl::Status DeliverOne() {
    if (network_.empty()) return absl::OkStatus();
    size_t i = rng_() % network_.size();
    if (i > 0) Fault("reorder");
    Message message = std::move(network_[i]);
    network_.erase(network_.begin() + static_cast<long>(i));
    return Deliver(message);
  }

  absl::Status Deliver(const Message& m) {
    if (partitioned_[m.from][m.to]) {
      Fault("lost to a partition");
      return absl::OkStatus();
    }
    ++figures_.delivered;
    switch (m.kind) {
      case Kind::kHello:
        return OnHello(m);
      case Kind::kHelloReply:
        return OnHelloReply(m);
      case Kind::kPush:
        return OnPush(m);
      case Kind::kPushAck:
        return OnPushAck(m);
      case Kind::kPull:
      case Kind::kPeerPull:
        return OnPull(m);
      case Kind::kPullPage:
        return OnPullPage(m);
      case Kind::kPeerPage:
        return OnPeerPage(m);
    }
    return absl::OkStatus();
  }

  absl::Status Drop() {
    if (network_.empty()) return absl::OkStatus();
    network_.erase(network_.begin() +
                   static_cast<long>(rng_() % network_.size()));
    Fault("drop");
    return absl::OkStatus();
  }

  absl::Status Duplicate() {
    if (network_.empty()) return absl::OkStatus();
    network_.push_back(network_[rng_() % network_.size()]);
    Fault("duplicate");
    return absl::OkStatus();
  }

  // --- servers ---------------------------------------------------------------
  absl::Status OnHello(const Message& m) {
    Message reply = NewMessage(Kind::kHelloReply, m.to, m.from);
    VS_ASSIGN_OR_RETURN(reply.received_seq,
                        Store(m.to).Watermark(Store(m.from).replica_id()));
    Send(std::move(reply));
    return absl::OkStatus();
  }

  absl::Status OnPush(const Message& m) {
    DevicePush device{Store(m.from).replica_id(), absl::StrCat("u", m.from)};
    VS_ASSIGN_OR_RETURN(std::vector<v1::ApplyResult> results,
                        Store(m.to).ApplyFromDevice(m.changes, device));
    if (const char* trace = std::getenv("VILLAGESYNC_SIM_TRACE")) {
      for (size_t i = 0; i < m.changes.size(); ++i) {
        if (m.changes[i].key().id() != trace) continue;
        std::fprintf(stderr, "op %lld push %d->%d %s outcome %d: %s\n",
                     static_cast<long long>(figures_.operations), m.from, m.to,
                     m.changes[i].ShortDebugString().c_str(),
                     results[i].outcome(), results[i].reason().c_str());
      }
    }
    Message ack = NewMessage(Kind::kPushAck, m.to, m.from);
    ack.after = m.after;
    ack.checkpoint = m.checkpoint;
    ack.more = m.more;
    ack.changes = m.changes;  // only counted, for figures
    for (const v1::ApplyResult& result : results) {
      if (result.outcome() == v1::APPLY_OUTCOME_DEFERRED) {
        ack.deferred = true;  // the page goes again at the next sync
        if (std::getenv("VILLAGESYNC_SIM_DEBUG") != nullptr && quiescing_) {
          std::fprintf(stderr, "deferred %d->%d: %s\n", m.from, m.to,
                       result.reason().c_str());
        }
        continue;
      }
      if (result.outcome() == v1::APPLY_OUTCOME_REJECTED) {
        ++figures_.rejected;
        if (std::getenv("VILLAGESYNC_SIM_DEBUG") != nullptr) {
          std::fprintf(stderr, "op %lld rejected %d->%d (home %d): %s\n",
                       static_cast<long long>(figures_.operations), m.from,
                       m.to, Device(m.from).home, result.reason().c_str());
          for (const v1::Change& c : m.changes) {
            std::fprintf(stderr, "  change %s\n", c.ShortDebugString().c_str());
          }
          auto held = Store(m.to).Get(m.changes[0].key());
          if (held.ok()) {
            std::fprintf(stderr, "  server holds %s\n",
                         held->stored.ShortDebugString().c_str());
          }
        }
        if (figures_.first_rejection.empty()) {
          figures_.first_rejection = result.reason();
        }
      }
    }
    if (ack.deferred) Fault("deferred push");
    VS_ASSIGN_OR_RETURN(ack.received_seq,
                        Store(m.to).Watermark(device.replica));
    Send(std::move(ack));
    return absl::OkStatus();
  }

  absl::Status OnPull(const Message& m) {
    bool peer = m.kind == Kind::kPeerPull;
    Message page =
        NewMessage(peer ? Kind::kPeerPage : Kind::kPullPage, m.to, m.from);
    page.after = m.after;
    page.scope = m.scope;
    ChangeQuery query;
    query.after = m.after;
    query.max_changes = 1 + rng_() % 30;
    if (!peer) {
      query.village_prefix = m.scope;
      query.skip_replica = Store(m.from).replica_id();
    }
    absl::StatusOr<ChangePage> read = Store(m.to).ReadChanges(query);
    if (absl::IsFailedPrecondition(read.status())) {
      page.restart = true;  // a position in a lineage this server lost
    } else {
      VS_RETURN_IF_ERROR(read.status());
      page.changes = std::move(read->changes);
      page.checkpoint = std::move(read->checkpoint);
      page.more = read->more;
    }
    Send(std::move(page));
    return absl::OkStatus();
  }

  absl::Status OnPeerPage(const Message& m) {
    std::string& position = peer_checkpoint_[m.to];
    if (m.after != position) return absl::OkStatus();  // stale
    if (m.restart) {
      position.clear();
      return absl::OkStatus();
    }
    VS_RETURN_IF_ERROR(
        Store(m.to).Apply(m.changes, Store(m.from).replica_id()).status());
    position = m.checkpoint;
    return absl::OkStatus();
  }

  // --- devices ---------------------------------------------------------------
  absl::Status OnHelloReply(const Message& m) {
    DeviceState& device = Device(m.to);
    if (m.from != device.home) return absl::OkStatus();  // moved since
    if (m.received_seq < device.pushed_seq) {
      // The server holds less of ours than it had acknowledged (a restore,
      // or another server): send again from what it holds.
      VS_ASSIGN_OR_RETURN(device.push_checkpoint,
                          Store(m.to).CheckpointAt(m.received_seq));
      device.pushed_seq = m.received_seq;
      Fault("outbox rewound");
    }
    return SendPushAndPull(m.to, m.from);
  }

  // The outbox is acknowledged up to the first page with a deferred change;
  // the pages after it go all the same (one may hold a write the deferred
  // change claims), and again at the next sync.
  absl::Status OnPushAck(const Message& m) {
    DeviceState& device = Device(m.to);
    if (m.from != device.home || m.after != device.push_cursor) {
      return absl::OkStatus();  // stale
    }
    bool none_deferred = device.push_checkpoint == device.push_cursor;
    device.push_cursor = m.checkpoint;
    if (none_deferred && !m.deferred) {
      device.push_checkpoint = m.checkpoint;
      figures_.acknowledged += static_cast<int64_t>(m.changes.size());
    }
    device.pushed_seq = m.received_seq;
    return m.more ? SendPushPage(m.to, m.from) : absl::OkStatus();
  }

  absl::Status OnPullPage(const Message& m) {
    DeviceState& device = Device(m.to);
    std::string& position = device.pull_checkpoint[m.from];
    // Stale: another position, or read in a scope the device has left (a
    // page of the narrower scope would step over the wider one's records).
    if (m.after != position || m.scope != device.scope) {
      return absl::OkStatus();
    }
    if (m.restart) {
      position.clear();
      return absl::OkStatus();
    }
    VS_RETURN_IF_ERROR(Store(m.to).Apply(m.changes).status());
    position = m.checkpoint;
    return absl::OkStatus();
  }

  // --- faults ----------------------------------------------------------------
  absl::Status TogglePartition() {
    int a = static_cast<int>(rng_() % kServers);
    int b = static_cast<int>(rng_() % stores_.size());
    if (a == b) return absl::OkStatus();
    bool cut = !partitioned_[a][b];
    partitioned_[a][b] = partitioned_[b][a] = cut;
    Fault(cut ? "partition" : "heal");
    return absl::OkStatus();
  }

  // Kills a node (its messages in flight are lost) and starts it again.
  absl::Status Restart() {
    int node = static_cast<int>(rng_() % stores_.size());
    stores_[node].reset();
    ForgetMessagesOf(node);
    Fault(IsServer(node) ? "server restart" : "device restart");
    return Open(node);
  }

  absl::Status TakeBackup() {
    int server = static_cast<int>(rng_() % kServers);
    std::string backup =
        absl::StrCat(dir_, "/backup-", server, "-", backups_[server].size());
    VS_RETURN_IF_ERROR(Store(server).Backup(backup));
    backups_[server].push_back(backup);
    Fault("backup");
    return absl::OkStatus();
  }

  // Replaces the county server's data with one of its older backups (the
  // standby keeps its own: it is what the county server recovers from).
  absl::Status Restore() {
    const int server = 0;
    if (!options_.restores || backups_[server].empty()) {
      return absl::OkStatus();
    }
    const std::string& backup =
        backups_[server][rng_() % backups_[server].size()];
    stores_[server].reset();
    ForgetMessagesOf(server);
    std::error_code error;
    fs::remove_all(NodeDir(server), error);
    fs::copy(backup, NodeDir(server), fs::copy_options::recursive, error);
    if (error) return absl::InternalError(error.message());
    peer_checkpoint_[server].clear();  // its own position went back too
    Fault("restore from an older backup");
    return Open(server);
  }

  absl::Status MoveDevice(int node) {
    DeviceState& device = Device(node);
    device.home = 1 - device.home;
    Fault("device moved to the other server");
    return absl::OkStatus();
  }

  absl::Status ChangeScope(int node) {
    DeviceState& device = Device(node);
    bool widen = device.scope == kNarrowScope;
    device.scope = widen ? kCountyScope : kNarrowScope;
    // A wider scope is read again from the start, and the outbox is sent
    // again from the start: edits held while they were outside the scope
    // go now (what the server has comes back as duplicates).
    if (widen) {
      for (std::string& position : device.pull_checkpoint) position.clear();
      device.push_checkpoint.clear();
      device.push_cursor.clear();
      device.pushed_seq = 0;
    }
    Fault("scope change");
    return absl::OkStatus();
  }

  // --- quiescence and the invariants
  // ------------------------------------------
  absl::Status DrainInOrder() {
    while (!network_.empty()) {
      Message message = std::move(network_.front());
      network_.erase(network_.begin());
      VS_RETURN_IF_ERROR(Deliver(message));
    }
    return absl::OkStatus();
  }

  absl::Status Quiesce() {
    quiescing_ = true;
    for (auto& row : partitioned_) row.assign(row.size(), false);
    for (int d = 0; d < options_.devices; ++d) {
      DeviceState& device = devices_[d];
      if (device.scope != kCountyScope) {
        VS_RETURN_IF_ERROR(ChangeScope(kServers + d));
      }
    }
    VS_RETURN_IF_ERROR(DrainInOrder());
    // Rounds of every exchange, until one changes nothing (every reader is
    // at the end of what it reads): a fixed point.
    for (int step = 0; step < 800; ++step) {
      std::string before = Positions();
      for (int s = 0; s < kServers; ++s) {
        VS_RETURN_IF_ERROR(StartPeerPull(s));
      }
      for (int d = 0; d < options_.devices; ++d) {
        VS_RETURN_IF_ERROR(StartSync(kServers + d));
      }
      VS_RETURN_IF_ERROR(DrainInOrder());
      if (Positions() == before) break;
    }
    return absl::OkStatus();
  }

  // Every replica's last sequence and every reader's position.
  std::string Positions() {
    std::string text;
    for (const auto& store : stores_) {
      absl::StrAppend(&text, store->last_seq(), ";");
    }
    for (const std::string& p : peer_checkpoint_)
      absl::StrAppend(&text, p, ";");
    for (const DeviceState& d : devices_) {
      absl::StrAppend(&text, d.push_checkpoint, ";", d.pushed_seq, ";");
      for (const std::string& p : d.pull_checkpoint) {
        absl::StrAppend(&text, p, ";");
      }
    }
    return text;
  }

  // The replica's records as text: every register's values with their dots
  // and its context.
  absl::StatusOr<std::string> Snapshot(int node) {
    VS_ASSIGN_OR_RETURN(std::vector<Record> records,
                        Store(node).List(kCollection, "", 1 << 20));
    std::string text;
    auto add = [&text](const std::string& name, const v1::FieldState& state) {
      absl::StrAppend(&text, " ", name, "=");
      for (const v1::Sibling& s : state.siblings()) {
        absl::StrAppend(&text, s.value().ShortDebugString(), "@",
                        s.dot().replica(), ".", s.dot().counter(), ";");
      }
      for (const v1::Dot& dot : state.context()) {
        absl::StrAppend(&text, "[", dot.replica(), ".", dot.counter(), "]");
      }
    };
    for (const Record& record : records) {
      absl::StrAppend(&text, "\n", record.key.village(), "/", record.key.id());
      std::vector<const storage::StoredField*> fields;
      for (const storage::StoredField& f : record.stored.fields()) {
        fields.push_back(&f);
      }
      std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) {
        return a->state().name() < b->state().name();
      });
      for (const auto* f : fields) add(f->state().name(), f->state());
      add("(deleted)", record.stored.deletion().state());
    }
    return text;
  }

  // True if the county server holds `write`: still a value, or seen by the
  // writer of a value there.
  absl::StatusOr<bool> Holds(const Write& write) {
    absl::StatusOr<Record> record = Store(0).Get(write.key);
    if (absl::IsNotFound(record.status())) return false;
    VS_RETURN_IF_ERROR(record.status());
    const v1::FieldState* state = nullptr;
    if (write.field.empty()) {
      state = &record->stored.deletion().state();
    } else {
      for (const storage::StoredField& f : record->stored.fields()) {
        if (f.state().name() == write.field) state = &f.state();
      }
    }
    if (state == nullptr) return false;
    for (const v1::Sibling& s : state->siblings()) {
      if (DotEqual(s.dot(), write.dot)) return true;
    }
    return Covers(state->context(), write.dot);
  }

  absl::Status Check() {
    if (std::getenv("VILLAGESYNC_SIM_DEBUG") != nullptr) {
      for (size_t n = 0; n < stores_.size(); ++n) {
        auto records =
            Store(static_cast<int>(n)).List(kCollection, "", 1 << 20);
        std::fprintf(stderr, "node %zu (%016llx): %zu records, last_seq %llu\n",
                     n,
                     static_cast<unsigned long long>(
                         Store(static_cast<int>(n)).replica_id()),
                     records.ok() ? records->size() : 0,
                     static_cast<unsigned long long>(
                         Store(static_cast<int>(n)).last_seq()));
      }
      for (int d = 0; d < options_.devices; ++d) {
        std::fprintf(stderr, "device %d: home %d scope %s pushed_seq %llu\n", d,
                     devices_[d].home, devices_[d].scope.c_str(),
                     static_cast<unsigned long long>(devices_[d].pushed_seq));
      }
    }
    VS_ASSIGN_OR_RETURN(std::string county, Snapshot(0));
    for (size_t node = 1; node < stores_.size(); ++node) {
      VS_ASSIGN_OR_RETURN(std::string other, Snapshot(static_cast<int>(node)));
      if (other != county) {
        ++figures_.divergences;
        if (std::getenv("VILLAGESYNC_SIM_DEBUG") != nullptr) {
          std::fprintf(stderr, "node %zu differs from the county server\n",
                       node);
          std::vector<std::string> a = absl::StrSplit(county, '\n');
          std::vector<std::string> b = absl::StrSplit(other, '\n');
          for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
            if (a[i] == b[i]) continue;
            std::fprintf(stderr, "  county: %s\n  node:   %s\n", a[i].c_str(),
                         b[i].c_str());
          }
        }
      }
    }
    for (const Write& write : written_) {
      VS_ASSIGN_OR_RETURN(bool held, Holds(write));
      if (!held) {
        ++figures_.lost;
        if (std::getenv("VILLAGESYNC_SIM_DEBUG") != nullptr) {
          std::fprintf(stderr, "lost %s/%s %s dot %llx:%llu\n",
                       write.key.village().c_str(), write.key.id().c_str(),
                       write.field.c_str(),
                       static_cast<unsigned long long>(write.dot.replica()),
                       static_cast<unsigned long long>(write.dot.counter()));
          for (size_t n = 0; n < stores_.size(); ++n) {
            auto r = Store(static_cast<int>(n)).Get(write.key);
            std::fprintf(stderr, "  node %zu: %s\n", n,
                         r.ok() ? r->stored.ShortDebugString().c_str()
                                : r.status().ToString().c_str());
          }
        }
      }
    }
    VS_ASSIGN_OR_RETURN(std::vector<v1::ApplyResult> again,
                        Store(0).Apply(made_));
    for (const v1::ApplyResult& result : again) {
      if (result.outcome() != v1::APPLY_OUTCOME_DUPLICATE) ++figures_.reapplied;
    }
    return absl::OkStatus();
  }

  const SimOptions options_;
  const std::string dir_;
  std::mt19937_64 rng_;  // every decision
  std::mt19937_64 ids_;  // the stores' ids
  int64_t clock_ms_ = 1'700'000'000'000;
  std::vector<std::unique_ptr<RecordStore>> stores_;  // servers, then devices
  std::vector<DeviceState> devices_;
  std::string peer_checkpoint_[kServers];  // server s's position in the other
  std::vector<std::string> backups_[kServers];
  std::vector<std::vector<bool>> partitioned_;
  std::vector<Message> network_;
  std::vector<v1::Change> made_;
  std::vector<Write> written_;
  SimFigures figures_;
  bool quiescing_ = false;
};

}  // namespace

absl::StatusOr<SimFigures> Simulate(const SimOptions& options,
                                    const std::string& dir) {
  Simulation simulation(options, dir);
  VS_RETURN_IF_ERROR(simulation.Run());
  return simulation.figures();
}

std::string Describe(const SimFigures& f) {
  std::vector<std::string> faults;
  for (const auto& [kind, n] : f.faults) {
    faults.push_back(absl::StrCat(kind, " ", n));
  }
  return absl::StrCat(
      "operations ", f.operations, "; edits ", f.edits, "; messages delivered ",
      f.delivered, "; acknowledged changes ", f.acknowledged,
      "\nfaults: ", absl::StrJoin(faults, ", "), "\nlost writes ", f.lost,
      "; divergences ", f.divergences, "; changes applied twice ", f.reapplied,
      "; honest pushes rejected ", f.rejected,
      f.rejected > 0 ? absl::StrCat(" (first: ", f.first_rejection, ")") : "");
}

}  // namespace villagesync::sim
