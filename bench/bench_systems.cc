#include "bench/bench_systems.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/internal/json.h"
#include "client/sync_client.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "proto/status_macros.h"

namespace villagesync::bench {
namespace {

constexpr char kServerCpu[] = "0";
constexpr char kClientCpu[] = "1";

double SecondsSince(absl::Time start) {
  return absl::ToDoubleSeconds(absl::Now() - start);
}

// Parses the result line of a device process: RunDeviceSync's, or
// loadgen.js's (the same keys).
absl::StatusOr<StepResult> ParseStep(const std::string& output);

// ---- villagesync ----

class Villagesync : public BenchSystem {
 public:
  explicit Villagesync(SystemPaths paths) : paths_(std::move(paths)) {}

  std::string name() const override { return "villagesync"; }
  int port() const override { return port_; }
  pid_t server_pid() const override { return server_->pid(); }
  void SetClientAddress(const std::string& address) override {
    client_address_ = address;
  }

  absl::Status StartServer() override {
    VS_ASSIGN_OR_RETURN(std::string token,
                        RunAndCapture({paths_.villagesyncd, "bootstrap",
                                       "--data_dir", paths_.server_dir}));
    admin_token_ = std::string(absl::StripAsciiWhitespace(token));
    VS_ASSIGN_OR_RETURN(port_, PickFreePort());
    VS_ASSIGN_OR_RETURN(
        server_,
        ChildProcess::Start(
            {"taskset", "-c", kServerCpu, paths_.villagesyncd, "--data_dir",
             paths_.server_dir, "--listen", absl::StrCat("127.0.0.1:", port_),
             "--http_listen", "127.0.0.1:0"},
            paths_.work_dir, "villagesyncd.log"));
    VS_RETURN_IF_ERROR(WaitForPort(port_, absl::Seconds(30)));
    VS_ASSIGN_OR_RETURN(admin_, OpenDevice("admin", Direct(), admin_token_));
    return absl::OkStatus();
  }

  absl::StatusOr<StepResult> InitialPush(
      const std::vector<BenchRecord>& records, int devices) override {
    for (int d = 0; d < devices; ++d) {
      VS_ASSIGN_OR_RETURN(v1::AddUserResponse user,
                          admin_->AddUser(absl::StrCat("dev", d),
                                          "first_secretary", VillageOf(d)));
      VS_ASSIGN_OR_RETURN(
          auto device,
          OpenDevice(absl::StrCat("dev", d), client_address_, user.token()));
      devices_.push_back(std::move(device));
    }
    for (const BenchRecord& record : records) {
      RecordStore& store = devices_[record.device]->store();
      VS_ASSIGN_OR_RETURN(LocalEdit edit, ToLocalEdit(record, store.schemas()));
      VS_RETURN_IF_ERROR(store.Put(edit).status());
    }
    std::atomic<int64_t> requests{0}, pushed{0};
    std::atomic<int> failures{0};
    SyncOptions push_only = Metered(&requests);
    push_only.skip_pull = true;
    absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (auto& device : devices_) {
      threads.emplace_back([&, device = device.get()] {
        absl::StatusOr<SyncReport> report = device->Sync(push_only);
        if (!report.ok()) {
          std::fprintf(stderr, "push: %s\n",
                       report.status().ToString().c_str());
          ++failures;
        } else {
          pushed += report->pushed;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    StepResult result;
    result.seconds = SecondsSince(start);
    if (failures > 0) return absl::InternalError("a device's push failed");
    result.requests = requests;
    result.moved = pushed;
    return result;
  }

  absl::StatusOr<StepResult> ReaderPull() override {
    if (reader_ == nullptr) {
      VS_ASSIGN_OR_RETURN(reader_,
                          OpenDevice("reader", client_address_, admin_token_));
    }
    std::atomic<int64_t> requests{0};
    absl::Time start = absl::Now();
    VS_ASSIGN_OR_RETURN(SyncReport report, reader_->Sync(Metered(&requests)));
    StepResult result;
    result.seconds = SecondsSince(start);
    result.requests = requests;
    result.moved = report.pulled;
    result.restarted = report.pull_restarted;
    VS_ASSIGN_OR_RETURN(result.digest, DigestStore(reader_->store()));
    return result;
  }

  absl::Status DeviceEditsAndPushes(
      int device, const std::vector<FieldEdit>& edits) override {
    SyncClient& client = *devices_.at(device);
    VS_RETURN_IF_ERROR(Edit(client.store(), edits));
    SyncOptions push_only;
    push_only.skip_pull = true;
    return client.Sync(push_only).status();
  }

  absl::Status ReaderEdits(const std::vector<FieldEdit>& edits) override {
    return Edit(reader_->store(), edits);
  }

  absl::StatusOr<StepResult> ReaderSyncOverLink(
      const std::string& address, const std::vector<std::string>& prefix,
      int max_seconds) override {
    // Point the reader at the link, then hand its directory to a process
    // at the far end (the store admits one process at a time).
    VS_RETURN_IF_ERROR(reader_->Init(address, admin_token_));
    reader_.reset();
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {"taskset", "-c", kClientCpu, paths_.self,
                             "--device_sync", DeviceDir("reader"),
                             "--max_seconds", absl::StrCat(max_seconds)});
    absl::StatusOr<std::string> output = RunAndCapture(argv);
    VS_ASSIGN_OR_RETURN(reader_,
                        OpenDevice("reader", client_address_, admin_token_));
    if (!output.ok()) return output.status();
    return ParseStep(*output);
  }

  absl::StatusOr<ContentDigest> ServerDigest() override {
    VS_ASSIGN_OR_RETURN(auto verifier,
                        OpenDevice("verifier", Direct(), admin_token_));
    VS_RETURN_IF_ERROR(verifier->Sync().status());
    return DigestStore(verifier->store());
  }

  absl::Status StopServer() override {
    devices_.clear();
    reader_.reset();
    admin_.reset();
    return server_ == nullptr ? absl::OkStatus() : server_->Stop();
  }

 private:
  std::string Direct() const { return absl::StrCat("127.0.0.1:", port_); }
  std::string DeviceDir(const std::string& name) const {
    return paths_.device_dir + "/" + name;
  }

  absl::StatusOr<std::unique_ptr<SyncClient>> OpenDevice(
      const std::string& name, const std::string& address,
      const std::string& token) {
    VS_ASSIGN_OR_RETURN(std::unique_ptr<SyncClient> device,
                        SyncClient::Open(DeviceDir(name)));
    VS_RETURN_IF_ERROR(device->Init(address, token));
    return device;
  }

  static SyncOptions Metered(std::atomic<int64_t>* requests) {
    SyncOptions options;
    options.on_rpc = [requests] { ++*requests; };
    return options;
  }

  // Applies `edits` to records of `store`.
  static absl::Status Edit(RecordStore& store,
                           const std::vector<FieldEdit>& edits) {
    for (const FieldEdit& edit : edits) {
      VS_ASSIGN_OR_RETURN(LocalEdit local, ToLocalEdit(edit, store.schemas()));
      VS_RETURN_IF_ERROR(store.Put(local).status());
    }
    return absl::OkStatus();
  }

  const SystemPaths paths_;
  std::string admin_token_;
  int port_ = 0;
  std::string client_address_;
  std::unique_ptr<ChildProcess> server_;
  std::unique_ptr<SyncClient> admin_, reader_;
  std::vector<std::unique_ptr<SyncClient>> devices_;
};

// ---- pouchdb-server with PouchDB devices ----

class Pouchdb : public BenchSystem {
 public:
  explicit Pouchdb(SystemPaths paths) : paths_(std::move(paths)) {}

  std::string name() const override { return "pouchdb"; }
  int port() const override { return port_; }
  pid_t server_pid() const override { return server_->pid(); }
  void SetClientAddress(const std::string& address) override {
    client_url_ = "http://" + address;
  }

  absl::Status StartServer() override {
    VS_ASSIGN_OR_RETURN(port_, PickFreePort());
    // Its default logs every request at level info; errors only is the
    // kinder setting for its figures.
    std::ofstream config(paths_.server_dir + "/config.json");
    config << R"({"log": {"file": ")" << paths_.server_dir
           << R"(/log.txt", "level": "error"}})";
    config.close();
    if (!config) return absl::InternalError("cannot write config.json");
    VS_ASSIGN_OR_RETURN(
        server_, ChildProcess::Start(
                     {"taskset", "-c", kServerCpu, "node",
                      paths_.peer_dir +
                          "/node_modules/pouchdb-server/bin/pouchdb-server",
                      "--port", absl::StrCat(port_), "--dir", paths_.server_dir,
                      "--config", paths_.server_dir + "/config.json",
                      "--no-stdout-logs"},
                     paths_.work_dir, "pouchdb-server.log"));
    return WaitForPort(port_, absl::Seconds(60));
  }

  absl::StatusOr<StepResult> InitialPush(
      const std::vector<BenchRecord>& records, int devices) override {
    std::string dataset = paths_.work_dir + "/dataset.jsonl";
    VS_RETURN_IF_ERROR(WriteRecordsJsonl(records, dataset));
    return Loadgen(
        {"push", "--dataset", dataset, "--devices", absl::StrCat(devices)},
        client_url_, {});
  }

  absl::StatusOr<StepResult> ReaderPull() override {
    return Loadgen({"pull", "--name", "reader"}, client_url_, {});
  }

  absl::Status DeviceEditsAndPushes(
      int device, const std::vector<FieldEdit>& edits) override {
    std::string name = absl::StrCat("dev", device);
    VS_RETURN_IF_ERROR(EditLocally(name, edits));
    return Loadgen({"push-one", "--name", name}, client_url_, {}).status();
  }

  absl::Status ReaderEdits(const std::vector<FieldEdit>& edits) override {
    return EditLocally("reader", edits);
  }

  absl::StatusOr<StepResult> ReaderSyncOverLink(
      const std::string& address, const std::vector<std::string>& prefix,
      int max_seconds) override {
    return Loadgen({"sync", "--name", "reader", "--max-seconds",
                    absl::StrCat(max_seconds)},
                   "http://" + address, prefix);
  }

  absl::StatusOr<ContentDigest> ServerDigest() override {
    VS_ASSIGN_OR_RETURN(
        StepResult result,
        Loadgen({"verify"}, absl::StrCat("http://127.0.0.1:", port_), {}));
    return result.digest;
  }

  absl::Status StopServer() override {
    return server_ == nullptr ? absl::OkStatus() : server_->Stop();
  }

 private:
  absl::Status EditLocally(const std::string& name,
                           const std::vector<FieldEdit>& edits) {
    std::string file = absl::StrCat(paths_.work_dir, "/edits-", name, "-",
                                    ++edit_files_, ".jsonl");
    VS_RETURN_IF_ERROR(WriteEditsJsonl(edits, file));
    return Loadgen({"edit", "--name", name, "--edits", file}, client_url_, {})
        .status();
  }

  // Runs one loadgen.js command on CPU 1 (after `prefix`) and parses its
  // JSON line.
  absl::StatusOr<StepResult> Loadgen(const std::vector<std::string>& command,
                                     const std::string& server_url,
                                     const std::vector<std::string>& prefix) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {"taskset", "-c", kClientCpu, "node",
                             paths_.peer_dir + "/loadgen.js"});
    argv.insert(argv.end(), command.begin(), command.end());
    argv.insert(argv.end(),
                {"--server", server_url, "--dir", paths_.device_dir});
    VS_ASSIGN_OR_RETURN(std::string output, RunAndCapture(argv));
    return ParseStep(output);
  }

  const SystemPaths paths_;
  int port_ = 0;
  std::string client_url_;
  int edit_files_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

double Number(const google::protobuf::Struct& json, const std::string& key) {
  auto found = json.fields().find(key);
  return found == json.fields().end() ? 0 : found->second.number_value();
}

absl::StatusOr<StepResult> ParseStep(const std::string& output) {
  // The last non-empty line is the result.
  std::string line = std::string(absl::StripAsciiWhitespace(output));
  size_t newline = line.rfind('\n');
  if (newline != std::string::npos) line = line.substr(newline + 1);
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(line, &json).ok()) {
    return absl::InternalError(absl::StrCat("not a JSON result: ", line));
  }
  if (json.fields().count("error") > 0) {
    return absl::InternalError(json.fields().at("error").string_value());
  }
  StepResult result;
  result.seconds = Number(json, "seconds");
  result.requests = static_cast<int64_t>(Number(json, "requests"));
  result.moved =
      static_cast<int64_t>(Number(json, "docs_written") +
                           Number(json, "pushed") + Number(json, "pulled"));
  result.attempts = static_cast<int>(Number(json, "attempts"));
  result.failed_attempts = static_cast<int>(Number(json, "failed_attempts"));
  auto restarted = json.fields().find("restarted");
  result.restarted =
      restarted != json.fields().end() && restarted->second.bool_value();
  result.digest.records = static_cast<size_t>(Number(json, "docs"));
  auto hash = json.fields().find("hash");
  if (hash != json.fields().end()) {
    result.digest.hash = hash->second.string_value();
  }
  return result;
}

}  // namespace

std::unique_ptr<BenchSystem> MakeVillagesync(const SystemPaths& paths) {
  return std::make_unique<Villagesync>(paths);
}

std::unique_ptr<BenchSystem> MakePouchdb(const SystemPaths& paths) {
  return std::make_unique<Pouchdb>(paths);
}

absl::Status EnsurePeerInstalled(const std::string& peer_dir) {
  // npm writes node_modules/.package-lock.json last: absent, or older than
  // the lockfile, means no complete install of these versions.
  namespace fs = std::filesystem;
  std::error_code missing;
  fs::file_time_type installed = fs::last_write_time(
      peer_dir + "/node_modules/.package-lock.json", missing);
  if (!missing &&
      installed >= fs::last_write_time(peer_dir + "/package-lock.json")) {
    return absl::OkStatus();
  }
  std::fprintf(stderr, "peer_bench: installing the peer with npm ci in %s\n",
               peer_dir.c_str());
  return RunAndCapture(
             {"npm", "ci", "--prefix", peer_dir, "--no-audit", "--no-fund"})
      .status();
}

namespace {

// The failure line of a device process; returns its exit code.
int PrintFailure(absl::string_view message) {
  std::printf("{\"error\":%s}\n", cli::JsonQuote(message).c_str());
  return 1;
}

}  // namespace

int RunDeviceSync(const std::string& dir, int max_seconds) {
  absl::StatusOr<std::unique_ptr<SyncClient>> device = SyncClient::Open(dir);
  if (!device.ok()) return PrintFailure(device.status().ToString());
  std::atomic<int64_t> requests{0};
  SyncOptions options;
  options.on_rpc = [&requests] { ++requests; };
  int attempts = 0, failed = 0;
  int64_t pushed = 0, pulled = 0;
  bool restarted = false;
  absl::Time start = absl::Now();
  absl::Time deadline = start + absl::Seconds(max_seconds);
  absl::Status last = absl::UnknownError("no attempt");
  while (absl::Now() < deadline) {
    ++attempts;
    absl::StatusOr<SyncReport> report = (*device)->Sync(options);
    last = report.status();
    if (report.ok()) {
      pushed += report->pushed;
      pulled += report->pulled;
      restarted = restarted || report->pull_restarted;
      break;
    }
    ++failed;
    std::fprintf(stderr, "device_sync: attempt %d: %s\n", attempts,
                 last.ToString().c_str());
    absl::SleepFor(absl::Seconds(1));
  }
  double seconds = SecondsSince(start);
  if (!last.ok()) {
    return PrintFailure(absl::StrCat("gave up after ", attempts,
                                     " attempts: ", last.ToString()));
  }
  absl::StatusOr<ContentDigest> digest = DigestStore((*device)->store());
  if (!digest.ok()) return PrintFailure(digest.status().ToString());
  std::printf("%s\n", cli::JsonObject()
                          .AddRaw("seconds", absl::StrCat(seconds))
                          .AddRaw("requests", absl::StrCat(requests.load()))
                          .AddRaw("attempts", absl::StrCat(attempts))
                          .AddRaw("failed_attempts", absl::StrCat(failed))
                          .AddRaw("pushed", absl::StrCat(pushed))
                          .AddRaw("pulled", absl::StrCat(pulled))
                          .AddRaw("restarted", restarted ? "true" : "false")
                          .AddRaw("docs", absl::StrCat(digest->records))
                          .AddString("hash", digest->hash)
                          .Build()
                          .c_str());
  return 0;
}

}  // namespace villagesync::bench
