#include "client/sync_client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/admin.grpc.pb.h"
#include "proto/call_policy.h"
#include "proto/grpc_status.h"
#include "proto/status_macros.h"
#include "proto/sync.grpc.pb.h"
#include "storage/device_writes.h"
#include "storage/durable_file.h"
#include "storage/seal.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

constexpr uint64_t kMaxReceiveBytes = 64 << 20;
// Edits are refused while less is free on the device's disk: RocksDB keeps
// room to flush and compact, and the device keeps room to sync.
constexpr uint64_t kDeviceMinFreeBytes = 8 << 20;

std::string StatePath(const std::string& dir) { return dir + "/client.pb"; }

// Adopts the user's `scope` as Hello says it. A scope that reaches villages
// the old one did not (the user was given a wider or another region) is
// read again from the start, and the outbox is sent again from the start:
// edits held while they were outside the scope go now, and the server
// answers the rest as duplicates.
void AdoptScope(const std::string& scope, client::ClientState* state) {
  bool reaches_further = !absl::StartsWith(scope, state->scope());
  state->set_scope(scope);
  if (!reaches_further) return;
  state->clear_pull_checkpoint();
  state->clear_push_checkpoint();
  state->set_pushed_seq(0);
}

absl::StatusOr<client::ClientState> LoadState(const std::string& dir) {
  client::ClientState state;
  absl::StatusOr<std::string> bytes = ReadWholeFile(StatePath(dir));
  if (absl::IsNotFound(bytes.status())) return state;
  VS_RETURN_IF_ERROR(bytes.status());
  if (!state.ParseFromString(*bytes)) {
    return absl::DataLossError("client.pb: corrupt sync state");
  }
  return state;
}

bool InScope(absl::string_view scope, const v1::Change& change) {
  return absl::StartsWith(change.key().village(), scope);
}

// The values of `record` sealed by `server`, each register holding just
// them and their dots, as a device hands them back (see storage/seal.h);
// false if there are none.
bool SealedWrites(const Record& record, uint64_t server, v1::Change* change) {
  auto sealed = [server](const v1::FieldState& state, v1::FieldState* out) {
    for (const v1::Sibling& s : state.siblings()) {
      if (SealedBy(s) != server) continue;
      *out->add_siblings() = s;
      *out->add_context() = s.dot();
    }
    return out->siblings_size() > 0;
  };
  *change->mutable_key() = record.key;
  for (const storage::StoredField& f : record.stored.fields()) {
    v1::FieldState state;
    state.set_name(f.state().name());
    if (sealed(f.state(), &state)) *change->add_fields() = std::move(state);
  }
  v1::FieldState deletion;
  if (sealed(record.stored.deletion().state(), &deletion)) {
    *change->mutable_deletion() = std::move(deletion);
  }
  return change->fields_size() > 0 || change->has_deletion();
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(
    const client::ClientState& state) {
  if (!state.tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = state.ca_pem();  // empty: the system's roots
  return grpc::SslCredentials(tls);
}

// True if `status` says the TLS handshake failed (rather than no answer).
bool TlsFailed(const absl::Status& status) {
  return absl::StrContains(status.message(), "andshake") ||
         absl::StrContains(status.message(), "SSL") ||
         absl::StrContains(status.message(), "ssl");
}

// True if a plaintext call's `status` looks like a server that speaks only
// TLS: it closes such connections at once.
bool PlaintextRefused(const client::ClientState& state,
                      const absl::Status& status) {
  return !state.tls() && absl::IsUnavailable(status) &&
         absl::StrContains(status.message(), "Socket closed");
}

absl::Status WithTlsHint(const absl::Status& status) {
  return absl::Status(
      status.code(),
      absl::StrCat(status.message(),
                   " (the server closed the connection at once: it may "
                   "require TLS; run init again with --ca FILE)"));
}

// One conversation with the server: a channel, the stubs and the retry
// policy. Every call carries the bearer token and a deadline.
class Session {
 public:
  Session(const client::ClientState& state, const SyncOptions& options)
      : server_(state.server()), token_(state.token()), options_(options) {
    grpc::ChannelArguments args =
        CallerChannelArguments(static_cast<int>(kMaxReceiveBytes));
    if (!state.tls_server_name().empty()) {
      args.SetSslTargetNameOverride(state.tls_server_name());
    }
    channel_ =
        grpc::CreateCustomChannel(state.server(), Credentials(state), args);
    sync_ = v1::SyncService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
  }

  v1::SyncService::Stub& sync() { return *sync_; }
  v1::AdminService::Stub& admin() { return *admin_; }

  // Runs `rpc` until it succeeds, fails for good, or the attempts run out.
  // `rpc` must be safe to repeat (every villagesync RPC is).
  template <typename Rpc>
  absl::Status Call(absl::string_view what, Rpc rpc) {
    absl::Duration backoff = options_.initial_backoff;
    grpc::Status status;
    int attempt = 1;
    for (; attempt <= options_.max_attempts; ++attempt) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
      context.set_deadline(absl::ToChronoTime(
          std::min(absl::Now() + options_.rpc_deadline, options_.give_up_at)));
      if (options_.on_rpc) options_.on_rpc();
      status = rpc(&context);
      if (status.ok() || !Retryable(status) || GaveUp()) break;
      if (attempt < options_.max_attempts) Retry(attempt, status, &backoff);
    }
    if (status.ok()) return absl::OkStatus();
    absl::Status failed = FromGrpcStatus(status);
    if (GaveUp()) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": gave up at the time limit (--timeout) after ",
                       std::min(attempt, options_.max_attempts),
                       " attempts: ", failed.message()));
    }
    if (!Retryable(status)) return failed;
    return absl::UnavailableError(
        absl::StrCat(what, ": server unreachable after ", options_.max_attempts,
                     " attempts: ", failed.message()));
  }

 private:
  bool GaveUp() const { return absl::Now() >= options_.give_up_at; }

  // Says so (on a terminal), then waits the backoff (or until the server is
  // reachable again), never past the limit.
  void Retry(int attempt, const grpc::Status& failed, absl::Duration* backoff) {
    if (options_.on_retry) {
      options_.on_retry(absl::StrCat("server ", server_,
                                     " unreachable, retrying (", attempt + 1,
                                     "/", options_.max_attempts, ")…"));
    }
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration pause =
        std::min(*backoff * jitter(rng_), options_.give_up_at - absl::Now());
    WaitToRetry(*channel_, failed, pause);
    *backoff = std::min(*backoff * 2, options_.max_backoff);
  }

  std::string server_;
  std::string token_;
  SyncOptions options_;
  std::mt19937 rng_{std::random_device{}()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SyncService::Stub> sync_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// `options` with a single attempt, for calls that are not safe to repeat
// (a retry after a lost reply would create a second user, or rotate the
// token the retry itself carries).
SyncOptions Once(SyncOptions options) {
  options.max_attempts = 1;
  return options;
}

// One AdminService call `method` with `request` as the user of `state`;
// errors name `what` ("list users").
template <typename Request, typename Response>
absl::StatusOr<Response> CallAdmin(
    const client::ClientState& state, const SyncOptions& options,
    absl::string_view what,
    grpc::Status (v1::AdminService::Stub::*method)(grpc::ClientContext*,
                                                   const Request&, Response*),
    const Request& request) {
  Session session(state, options);
  Response response;
  VS_RETURN_IF_ERROR(session.Call(what, [&](grpc::ClientContext* c) {
    return (session.admin().*method)(c, request, &response);
  }));
  return response;
}

}  // namespace

SyncClient::SyncClient(std::string dir, std::unique_ptr<RecordStore> store,
                       client::ClientState state)
    : dir_(std::move(dir)),
      store_(std::move(store)),
      state_(std::move(state)) {}

absl::StatusOr<std::unique_ptr<SyncClient>> SyncClient::Open(
    absl::string_view dir) {
  std::string path(dir);
  StoreOptions options;
  options.min_free_bytes = kDeviceMinFreeBytes;
  absl::StatusOr<std::unique_ptr<RecordStore>> opened =
      RecordStore::Open(path + "/store", options);
  if (absl::IsResourceExhausted(opened.status())) {
    // The disk is too full even to open for writing: what is here can still
    // be read (status, list, get), and every write says why it cannot be.
    options.read_only_because = absl::ResourceExhaustedError(
        "the device's disk is full: free some space, then try again (nothing "
        "was written; every edit made before is kept)");
    opened = RecordStore::Open(path + "/store", options);
  }
  VS_ASSIGN_OR_RETURN(std::unique_ptr<RecordStore> store, std::move(opened));
  VS_ASSIGN_OR_RETURN(client::ClientState state, LoadState(path));
  return std::unique_ptr<SyncClient>(
      new SyncClient(std::move(path), std::move(store), std::move(state)));
}

absl::StatusOr<std::unique_ptr<SyncClient>> SyncClient::OpenInitialized(
    absl::string_view dir) {
  std::string path(dir);
  VS_ASSIGN_OR_RETURN(client::ClientState state, LoadState(path));
  if (state.server().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", Quoted(path),
        " is not initialized: run `villagesync --store ", Bounded(path),
        " init --server HOST:PORT --token_file FILE` first (or check the "
        "--store path)"));
  }
  return Open(dir);
}

absl::Status SyncClient::SaveState() {
  return WriteFileDurably(StatePath(dir_), state_.SerializeAsString());
}

std::string SyncClient::author() const {
  return state_.user().empty() ? "local" : state_.user();
}

absl::Status SyncClient::CheckWritable(absl::string_view village) const {
  if (state_.user().empty() || absl::StartsWith(village, state_.scope())) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "village: ", Quoted(village), " is outside the scope ",
      Quoted(state_.scope()), " of user ", Quoted(state_.user()),
      ": the server would never take this edit (if your scope changed, "
      "sync first)"));
}

namespace {

// How many of this device's own writes after `push_checkpoint` the server
// has not acknowledged.
absl::StatusOr<int> CountPending(const RecordStore& store,
                                 const std::string& push_checkpoint) {
  ChangeQuery query;
  query.after = push_checkpoint;
  query.own_writes_only = true;
  int pending = 0;
  bool more = true;
  while (more) {
    VS_ASSIGN_OR_RETURN(ChangePage page, store.ReadChanges(query));
    pending += static_cast<int>(page.changes.size());
    query.after = page.checkpoint;
    more = page.more;
  }
  return pending;
}

// Asks the server who we are and how much of ours it holds, saying what
// software this is and how many edits wait to be sent.
absl::StatusOr<v1::HelloResponse> SayHello(Session& session,
                                           const RecordStore& store,
                                           const client::ClientState& state) {
  VS_ASSIGN_OR_RETURN(int pending,
                      CountPending(store, state.push_checkpoint()));
  v1::HelloRequest request;
  request.set_replica_id(store.replica_id());
  request.set_schema_version(store.schemas().version());
  request.set_client_version("villagesync " VILLAGESYNC_VERSION_STRING);
  request.set_pending_edits(pending);
  v1::HelloResponse response;
  VS_RETURN_IF_ERROR(session.Call("hello", [&](grpc::ClientContext* context) {
    return session.sync().Hello(context, request, &response);
  }));
  return response;
}

}  // namespace

absl::Status SyncClient::Init(absl::string_view server,
                              absl::string_view token) {
  Connection connection;
  connection.server = std::string(server);
  connection.token = std::string(token);
  connection.plaintext = true;
  return Init(connection);
}

absl::Status SyncClient::Init(const Connection& connection) {
  if (connection.server.empty() || connection.token.empty()) {
    return absl::InvalidArgumentError("server and token are both required");
  }
  client::ClientState before = state_;
  // Positions are kept when the server changes: the new server translates
  // or refuses the pull position (then the pull starts over), and its Hello
  // says how much of our outbox it holds (the rest is sent again).
  state_.set_server(connection.server);
  state_.set_token(connection.token);
  state_.set_tls(!connection.plaintext);
  state_.set_ca_pem(connection.ca_pem);
  state_.set_tls_server_name(connection.server_name);
  SyncOptions quick;
  quick.max_attempts = 1;
  quick.rpc_deadline = absl::Seconds(10);
  Session session(state_, quick);
  absl::StatusOr<v1::HelloResponse> hello = SayHello(session, *store_, state_);
  if (hello.ok()) {
    state_.set_user(hello->user());
    state_.set_role(hello->role());
    AdoptScope(hello->scope(), &state_);
  } else if (PlaintextRefused(state_, hello.status())) {
    state_ = std::move(before);
    return WithTlsHint(hello.status());
  } else if (TlsFailed(hello.status()) && !connection.plaintext) {
    state_ = std::move(before);  // a wrong CA or name: keep nothing
    return absl::UnavailableError(absl::StrCat(
        "TLS with ", connection.server, " failed (is the CA right, and does ",
        "the server's certificate carry this name?): ",
        hello.status().message()));
  } else if (!absl::IsUnavailable(hello.status()) &&
             !absl::IsDeadlineExceeded(hello.status())) {
    state_ = std::move(before);  // refused: keep nothing
    return hello.status();
  }
  return SaveState();
}

namespace {

// One sync round: Hello, push the outbox, pull. Every acknowledged step is
// saved before the next, so an interrupted round resumes where it stopped.
class SyncRound {
 public:
  SyncRound(Session& session, RecordStore& store, client::ClientState& state,
            const SyncOptions& options, std::function<absl::Status()> save)
      : session_(session),
        store_(store),
        state_(state),
        options_(options),
        save_(std::move(save)) {}

  absl::Status Run(SyncReport* report) {
    report_ = report;
    ForgetOtherIdentity();
    uint64_t known_server = state_.server_replica_id();
    VS_ASSIGN_OR_RETURN(v1::HelloResponse hello,
                        SayHello(session_, store_, state_));
    if (Forked(hello)) {
      VS_ASSIGN_OR_RETURN(hello, TakeNewIdentity());
    }
    VS_RETURN_IF_ERROR(AdoptServer(hello));
    absl::Status pushed = PushOutbox();
    if (MustTakeNewIdentity(pushed)) {
      VS_ASSIGN_OR_RETURN(hello, TakeNewIdentity());
      VS_RETURN_IF_ERROR(AdoptServer(hello));
      pushed = PushOutbox();
    }
    VS_RETURN_IF_ERROR(pushed);
    if (options_.skip_pull) return absl::OkStatus();
    VS_RETURN_IF_ERROR(PullAll());
    // Our server, restored from an older copy, may have lost its own writes
    // (resolutions) that we hold: hand them back, sealed as they are.
    if (report_->pull_restarted && hello.server_replica_id() == known_server) {
      state_.set_return_sealed(true);
      VS_RETURN_IF_ERROR(save_());
    }
    if (!state_.return_sealed()) return absl::OkStatus();
    VS_RETURN_IF_ERROR(ReturnSealedWrites(hello.server_replica_id()));
    state_.set_return_sealed(false);
    return save_();
  }

 private:
  // Sync state kept for another replica id (a new identity whose state was
  // not saved yet) starts again.
  void ForgetOtherIdentity() {
    if (state_.identity() == store_.replica_id()) return;
    state_.set_identity(store_.replica_id());
    state_.clear_lineage();
    state_.clear_pending_lineage();
    state_.clear_acked_counter();
    state_.clear_pushed_seq();
  }

  // True if this store is a copy that forked from the one the server knows
  // (restored from an older copy): the server holds pushes of our id we do
  // not know, or dots of it above our counter. Its next dots could repeat
  // ones the server holds. A counter far above the server's is broken too.
  // (A server that lost pushes we made, restored from an older copy itself,
  // knows a shorter lineage: we send them again, see AdoptServer.)
  bool Forked(const v1::HelloResponse& hello) const {
    if (villagesync::Forked(hello.lineage(), state_.lineage(),
                            state_.pending_lineage())) {
      return true;
    }
    uint64_t counter = store_.dot_counter();
    return hello.highest_counter() > counter ||
           counter - hello.highest_counter() > kMaxDotGap;
  }

  static bool MustTakeNewIdentity(const absl::Status& status) {
    return absl::IsFailedPrecondition(status) &&
           absl::StrContains(status.message(), kTakeNewIdentity);
  }

  // Becomes a new replica (docs/DESIGN.md, "Restores"): the outbox is
  // written again under a new id, which then says Hello.
  absl::StatusOr<v1::HelloResponse> TakeNewIdentity() {
    VS_RETURN_IF_ERROR(
        store_.TakeNewIdentity(state_.push_checkpoint(), state_.acked_counter())
            .status());
    ForgetOtherIdentity();
    report_->new_identity = true;
    VS_RETURN_IF_ERROR(save_());
    return SayHello(session_, store_, state_);
  }
  // Notes who we are and what the server holds of ours; rewinds the outbox
  // if the server lost what it had acknowledged.
  absl::Status AdoptServer(const v1::HelloResponse& hello) {
    state_.set_user(hello.user());
    state_.set_role(hello.role());
    AdoptScope(hello.scope(), &state_);
    // Another server (a standby, or a reinstalled one) keeps our positions:
    // it translates or refuses the pull position, and received_seq below
    // rewinds the outbox to what it holds.
    state_.set_server_replica_id(hello.server_replica_id());
    if (!state_.pending_lineage().empty() &&
        hello.lineage() == state_.pending_lineage()) {
      // Our last push was applied; its answer was lost.
      state_.set_lineage(state_.pending_lineage());
    }
    state_.clear_pending_lineage();
    if (hello.received_seq() < state_.pushed_seq()) {
      VS_ASSIGN_OR_RETURN(std::string rewind,
                          store_.CheckpointAt(hello.received_seq()));
      state_.set_push_checkpoint(std::move(rewind));
      state_.set_pushed_seq(hello.received_seq());
      report_->resent_lost_changes = true;
    }
    return save_();
  }

  // Pushes the outbox page by page. The outbox is acknowledged up to the
  // first page with a deferred change; the pages after it go all the same
  // (one may hold a write the deferred change claims) and again next time.
  absl::Status PushOutbox() {
    std::string cursor = state_.push_checkpoint();
    const int deferred_before = report_->deferred;
    while (true) {
      ChangeQuery query;
      query.after = cursor;
      query.own_writes_only = true;
      query.max_changes = options_.push_batch;
      VS_ASSIGN_OR_RETURN(ChangePage page, store_.ReadChanges(query));
      VS_RETURN_IF_ERROR(PushPage(page));
      cursor = page.checkpoint;
      if (report_->deferred == deferred_before) {
        state_.set_push_checkpoint(cursor);
        VS_RETURN_IF_ERROR(save_());
      }
      if (options_.progress) options_.progress("push", report_->pushed);
      if (!page.more) return absl::OkStatus();
    }
  }

  // What we send of `page`: our own writes (a device speaks only for
  // itself), inside our scope.
  v1::PushRequest RequestFor(const ChangePage& page) {
    v1::PushRequest request;
    request.set_replica_id(store_.replica_id());
    for (const v1::Change& change : page.changes) {
      if (!InScope(state_.scope(), change)) {
        ++report_->held_outside_scope;
        continue;
      }
      v1::Change own = change;
      if (KeepOwnValuesOnly(store_.replica_id(), &own)) {
        *request.add_changes() = std::move(own);
      }
    }
    return request;
  }

  absl::Status ReturnSealedWrites(uint64_t server) {
    v1::PushRequest request;
    auto send = [&]() -> absl::Status {
      if (request.changes_size() == 0) return absl::OkStatus();
      VS_ASSIGN_OR_RETURN(v1::PushResponse response, Send(request));
      for (int i = 0; i < response.results_size(); ++i) {
        Tally(request.changes(i), response.results(i), "returned ");
        v1::ApplyOutcome outcome = response.results(i).outcome();
        if (outcome == v1::APPLY_OUTCOME_APPLIED ||
            outcome == v1::APPLY_OUTCOME_CONFLICT) {
          ++report_->returned;
        }
      }
      request.clear_changes();
      return absl::OkStatus();
    };
    for (const v1::CollectionSchema& c :
         store_.schemas().schemas().collections()) {
      std::string after;
      while (true) {
        VS_ASSIGN_OR_RETURN(std::vector<Record> records,
                            store_.List(c.name(), state_.scope(), 1000, after));
        for (const Record& record : records) {
          v1::Change change;
          if (!SealedWrites(record, server, &change)) continue;
          *request.add_changes() = std::move(change);
          if (request.changes_size() >= static_cast<int>(options_.push_batch)) {
            VS_RETURN_IF_ERROR(send());
          }
        }
        if (records.size() < 1000) break;
        after = absl::StrCat(records.back().key.village(), "/",
                             records.back().key.id());
      }
    }
    return send();
  }

  // Sends `request` as the next push of our lineage.
  absl::StatusOr<v1::PushResponse> Send(v1::PushRequest& request) {
    request.set_replica_id(store_.replica_id());
    request.set_lineage(state_.lineage());
    request.set_next_lineage(NextLineage(state_.lineage(), request.changes()));
    // Saved before sending: if the answer is lost, Hello tells whether the
    // push was applied.
    state_.set_pending_lineage(request.next_lineage());
    VS_RETURN_IF_ERROR(save_());
    v1::PushResponse response;
    VS_RETURN_IF_ERROR(session_.Call("push", [&](grpc::ClientContext* context) {
      return session_.sync().Push(context, request, &response);
    }));
    state_.set_lineage(request.next_lineage());
    state_.clear_pending_lineage();
    return response;
  }

  // Pushes `page`, counting what the server did with each change. A
  // deferred change is counted in `report_->deferred`: its page goes again
  // next time (what was applied comes back as a duplicate), so no field of
  // a deferred record is skipped.
  absl::Status PushPage(const ChangePage& page) {
    v1::PushRequest request = RequestFor(page);
    if (request.changes_size() == 0) return absl::OkStatus();
    VS_ASSIGN_OR_RETURN(v1::PushResponse response, Send(request));
    for (int i = 0; i < response.results_size(); ++i) {
      const v1::Change& change = request.changes(i);
      const v1::ApplyResult& result = response.results(i);
      if (result.outcome() == v1::APPLY_OUTCOME_DEFERRED) {
        ++report_->deferred;
        continue;
      }
      Tally(change, result, "");
      if (result.outcome() == v1::APPLY_OUTCOME_REJECTED) continue;
      ++report_->pushed;
      state_.set_acked_counter(
          std::max(state_.acked_counter(), HighestCounter(change)));
    }
    state_.set_pushed_seq(response.received_seq());
    return absl::OkStatus();
  }

  static uint64_t HighestCounter(const v1::Change& change) {
    uint64_t highest = 0;
    for (const v1::FieldState& f : change.fields()) {
      for (const v1::Sibling& s : f.siblings()) {
        highest = std::max(highest, s.dot().counter());
      }
    }
    for (const v1::Sibling& s : change.deletion().siblings()) {
      highest = std::max(highest, s.dot().counter());
    }
    return highest;
  }

  absl::Status PullAll() {
    bool restarted = false;
    while (true) {
      v1::PullResponse response;
      absl::Status pulled = PullPage(&response);
      if (absl::IsFailedPrecondition(pulled) && !restarted) {
        // A checkpoint of another server lineage: read everything again.
        state_.clear_pull_checkpoint();
        restarted = report_->pull_restarted = true;
        continue;
      }
      VS_RETURN_IF_ERROR(pulled);
      VS_ASSIGN_OR_RETURN(std::vector<v1::ApplyResult> results,
                          store_.Apply(response.changes()));
      for (size_t i = 0; i < results.size(); ++i) {
        Tally(response.changes(static_cast<int>(i)), results[i], "pulled ");
        if (results[i].outcome() != v1::APPLY_OUTCOME_DUPLICATE)
          ++report_->pulled;
      }
      state_.set_pull_checkpoint(response.checkpoint());
      VS_RETURN_IF_ERROR(save_());
      if (options_.progress) options_.progress("pull", report_->pulled);
      if (!response.more()) return absl::OkStatus();
    }
  }

  absl::Status PullPage(v1::PullResponse* response) {
    v1::PullRequest request;
    request.set_checkpoint(state_.pull_checkpoint());
    request.set_max_changes(options_.pull_page);
    request.set_replica_id(store_.replica_id());
    return session_.Call("pull", [&](grpc::ClientContext* context) {
      response->Clear();
      return session_.sync().Pull(context, request, response);
    });
  }

  void Tally(const v1::Change& change, const v1::ApplyResult& result,
             absl::string_view direction) {
    if (result.outcome() == v1::APPLY_OUTCOME_CONFLICT) ++report_->conflicts;
    if (result.outcome() == v1::APPLY_OUTCOME_REJECTED) {
      report_->rejected.push_back(
          absl::StrCat(direction, change.key().collection(), "/",
                       change.key().id(), ": ", result.reason()));
    }
  }

  Session& session_;
  RecordStore& store_;
  client::ClientState& state_;
  const SyncOptions& options_;
  std::function<absl::Status()> save_;
  SyncReport* report_ = nullptr;
};

}  // namespace

absl::StatusOr<SyncReport> SyncClient::Sync(const SyncOptions& options) {
  if (state_.server().empty()) {
    return absl::FailedPreconditionError(
        "not initialized: run `villagesync --store DIR init --server HOST:PORT "
        "--token TOKEN` first");
  }
  Session session(state_, options);
  SyncReport report;
  SyncRound round(session, *store_, state_, options,
                  [this] { return SaveState(); });
  absl::Status status = round.Run(&report);
  if (PlaintextRefused(state_, status)) status = WithTlsHint(status);
  state_.set_last_error(status.ok() ? "" : std::string(status.message()));
  if (status.ok()) state_.set_last_sync_micros(absl::ToUnixMicros(absl::Now()));
  VS_RETURN_IF_ERROR(SaveState());
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<ClientStatus> SyncClient::Status() const {
  ClientStatus status;
  status.server = state_.server();
  status.user = state_.user();
  status.role = state_.role();
  status.scope = state_.scope();
  status.replica_id = store_->replica_id();
  status.last_sync_micros = state_.last_sync_micros();
  status.last_error = state_.last_error();
  VS_ASSIGN_OR_RETURN(status.pending,
                      CountPending(*store_, state_.push_checkpoint()));
  return status;
}

absl::StatusOr<v1::AddUserResponse> SyncClient::AddUser(
    absl::string_view name, absl::string_view role, absl::string_view scope) {
  v1::AddUserRequest request;
  request.set_name(std::string(name));
  request.set_role(std::string(role));
  request.set_scope(std::string(scope));
  return CallAdmin(state_, Once(call_options_), "add user",
                   &v1::AdminService::Stub::AddUser, request);
}

absl::StatusOr<v1::UserInfo> SyncClient::RevokeUser(absl::string_view name) {
  v1::RevokeUserRequest request;
  request.set_name(std::string(name));
  VS_ASSIGN_OR_RETURN(v1::RevokeUserResponse response,
                      CallAdmin(state_, call_options_, "revoke user",
                                &v1::AdminService::Stub::RevokeUser, request));
  return response.user();
}

absl::StatusOr<v1::UserInfo> SyncClient::SetUser(
    const v1::SetUserRequest& request) {
  VS_ASSIGN_OR_RETURN(v1::SetUserResponse response,
                      CallAdmin(state_, call_options_, "set user",
                                &v1::AdminService::Stub::SetUser, request));
  return response.user();
}

absl::StatusOr<v1::RotateTokenResponse> SyncClient::RotateToken(
    absl::string_view name) {
  v1::RotateTokenRequest request;
  request.set_name(std::string(name));
  VS_ASSIGN_OR_RETURN(v1::RotateTokenResponse rotated,
                      CallAdmin(state_, Once(call_options_), "rotate token",
                                &v1::AdminService::Stub::RotateToken, request));
  if (rotated.user().name() == state_.user()) {
    // This device's own token: the old one is dead from now on.
    state_.set_token(rotated.token());
    VS_RETURN_IF_ERROR(SaveState());
  }
  return rotated;
}

absl::StatusOr<v1::ListDevicesResponse> SyncClient::ListDevices(
    absl::string_view region_prefix) {
  v1::ListDevicesRequest request;
  request.set_region_prefix(std::string(region_prefix));
  return CallAdmin(state_, call_options_, "list devices",
                   &v1::AdminService::Stub::ListDevices, request);
}

absl::StatusOr<v1::Device> SyncClient::DecommissionDevice(uint64_t replica_id) {
  v1::DecommissionDeviceRequest request;
  request.set_replica_id(replica_id);
  VS_ASSIGN_OR_RETURN(
      v1::DecommissionDeviceResponse response,
      CallAdmin(state_, Once(call_options_), "decommission device",
                &v1::AdminService::Stub::DecommissionDevice, request));
  return response.device();
}

absl::StatusOr<v1::ListConflictsResponse> SyncClient::ListConflicts(
    const v1::ListConflictsRequest& request) {
  return CallAdmin(state_, call_options_, "list conflicts",
                   &v1::AdminService::Stub::ListConflicts, request);
}

absl::StatusOr<v1::ConflictInfo> SyncClient::ShowConflict(
    absl::string_view id) {
  v1::ShowConflictRequest request;
  request.set_id(std::string(id));
  return CallAdmin(state_, call_options_, "show conflict",
                   &v1::AdminService::Stub::ShowConflict, request);
}

absl::StatusOr<v1::ResolveConflictResponse> SyncClient::ResolveConflict(
    const v1::ResolveConflictRequest& request) {
  return CallAdmin(state_, call_options_, "resolve conflict",
                   &v1::AdminService::Stub::ResolveConflict, request);
}

absl::StatusOr<v1::ListUsersResponse> SyncClient::ListUsers() {
  return CallAdmin(state_, call_options_, "list users",
                   &v1::AdminService::Stub::ListUsers, v1::ListUsersRequest());
}

absl::StatusOr<v1::ListPeersResponse> SyncClient::ListPeers() {
  return CallAdmin(state_, call_options_, "list peers",
                   &v1::AdminService::Stub::ListPeers, v1::ListPeersRequest());
}

absl::StatusOr<v1::BackupResponse> SyncClient::Backup(
    absl::string_view destination) {
  v1::BackupRequest request;
  request.set_destination(std::string(destination));
  return CallAdmin(state_, call_options_, "backup",
                   &v1::AdminService::Stub::Backup, request);
}

absl::StatusOr<v1::ListAuditResponse> SyncClient::ListAudit(
    int64_t since_micros) {
  v1::ListAuditRequest request;
  request.set_since_micros(since_micros);
  return CallAdmin(state_, call_options_, "list audit",
                   &v1::AdminService::Stub::ListAudit, request);
}

absl::StatusOr<v1::ReportResponse> SyncClient::Report(
    const v1::ReportRequest& request) {
  return CallAdmin(state_, call_options_, "report",
                   &v1::AdminService::Stub::Report, request);
}

absl::StatusOr<v1::ListRulesResponse> SyncClient::ListRules() {
  return CallAdmin(state_, call_options_, "list rules",
                   &v1::AdminService::Stub::ListRules, v1::ListRulesRequest());
}

absl::StatusOr<v1::SetRuleResponse> SyncClient::SetRule(const v1::Rule& rule) {
  v1::SetRuleRequest request;
  *request.mutable_rule() = rule;
  return CallAdmin(state_, call_options_, "set rule",
                   &v1::AdminService::Stub::SetRule, request);
}

}  // namespace villagesync
