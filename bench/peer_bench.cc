// peer_bench: villagesync side by side with the CouchDB replication protocol
// (pouchdb-server with PouchDB devices), the scenarios of SPEC §12, in one
// run. See docs/BENCHMARKS.md for what is measured and how.
//
//   build/bench/peer_bench [--quick] [--seed N] [--devices N] [--records N]
//                          [--edits N] [--only SYSTEM] [--out FILE.json]
//                          [--markdown docs/BENCHMARKS.md]
//
// Exit codes: 0 every scenario ran and verified; 1 a scenario failed or a
// replica's content did not match what was written; 2 bad usage.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/bench_dataset.h"
#include "bench/bench_systems.h"
#include "bench/lossy_link.h"
#include "client/internal/json.h"
#include "proto/status_macros.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"

namespace villagesync::bench {
namespace {

using testing::TcpProxy;

constexpr char kUsage[] =
    "peer_bench: villagesync against pouchdb-server + PouchDB (SPEC §12).\n"
    "\n"
    "  peer_bench [--quick] [--seed N] [--devices N] [--records N] [--edits "
    "N]\n"
    "             [--out FILE] [--markdown FILE]\n"
    "\n"
    "  --quick          small sizes and a loopback proxy for the poor link\n"
    "                   (no network namespace): what the test suite runs\n"
    "  --seed N         the records' seed (default 20241124)\n"
    "  --devices N      devices pushing in (a) (default 50)\n"
    "  --records N      records per device (default 2000)\n"
    "  --edits N        changes in (b) and edits in (c) (default 1000)\n"
    "  --only SYSTEM    run villagesync or pouchdb alone (for profiling)\n"
    "  --out FILE       the JSON result (default peer_bench.json)\n"
    "  --markdown FILE  rewrite the results table in FILE between\n"
    "                   <!-- peer_bench:begin --> and <!-- peer_bench:end -->\n"
    "\n"
    "Needs root for the poor link (a network namespace and TUN devices),\n"
    "taskset, node and npm (the peer is installed into bench/peer with npm\n"
    "ci). Exit codes: 0 ok and verified; 1 failed or wrong content; 2 usage.";

struct Flags {
  bool quick = false;
  uint64_t seed = 20241124;
  std::string out = "peer_bench.json";
  std::string markdown;
  std::string only;  // one system's name, or both if empty
  // Sizes (full run; --quick shrinks them).
  int devices = 50;
  int records = 2000;
  int pull_edits = 1000;  // (b)
  int link_edits = 1000;  // (c)
  int edit_chars = 180;   // characters per (c) edit: ~540 bytes
  // The poor link of (c).
  int64_t link_bits_per_second = 100'000;
  int link_delay_ms = 500;
  double link_loss = 0.10;
  int cut_seconds = 30;
  int max_sync_seconds = 1800;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  struct {
    int devices = 0, records = 0, edits = 0;
  } sizes;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    bool has_value = i + 1 < argc;
    if (name == "--quick") {
      flags->quick = true;
    } else if (name == "--seed" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &flags->seed)) return false;
    } else if (name == "--out" && has_value) {
      flags->out = argv[++i];
    } else if (name == "--markdown" && has_value) {
      flags->markdown = argv[++i];
    } else if (name == "--only" && has_value) {
      flags->only = argv[++i];
    } else if (name == "--devices" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &sizes.devices)) return false;
    } else if (name == "--records" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &sizes.records)) return false;
    } else if (name == "--edits" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &sizes.edits)) return false;
    } else {
      return false;
    }
  }
  if (flags->quick) {
    flags->devices = 6;
    flags->records = 150;
    flags->pull_edits = 100;
    flags->link_edits = 60;
    flags->link_bits_per_second = 400'000;
    flags->link_delay_ms = 100;
    flags->link_loss = 0;  // a TCP proxy cannot lose packets
    flags->cut_seconds = 2;
    flags->max_sync_seconds = 300;
  }
  if (!flags->only.empty() && flags->only != "villagesync" &&
      flags->only != "pouchdb") {
    return false;
  }
  if (sizes.devices > 0) flags->devices = sizes.devices;
  if (sizes.records > 0) flags->records = sizes.records;
  if (sizes.edits > 0) flags->pull_edits = flags->link_edits = sizes.edits;
  return flags->devices > 0 && flags->records > 0;
}

// ---- the poor link of (c) ----

// Where devices of (c) connect, how bytes crossing are counted, and the cut.
class PoorLink {
 public:
  virtual ~PoorLink() = default;
  // "host:port" the device dials.
  virtual std::string address() const = 0;
  // Runs the device where the link's far end is.
  virtual std::vector<std::string> far_prefix() const = 0;
  // Bytes that crossed (or were offered to) the link so far, per direction.
  virtual int64_t up() const = 0;
  virtual int64_t down() const = 0;
  // TCP payload bytes the far end's connections carried (what the
  // applications sent, without retransmissions).
  virtual int64_t app_up() const = 0;
  virtual int64_t app_down() const = 0;
  virtual void SetCut(bool cut) = 0;
};

// The real thing: IP packets through TUN devices into a network namespace,
// delayed, rate-limited and randomly lost; bytes counted per IP packet
// (headers and retransmissions included). A proxy on the near address
// forwards to the server on loopback.
class NamespaceLink : public PoorLink {
 public:
  NamespaceLink(LossyLink* link, std::unique_ptr<TcpProxy> proxy)
      : link_(link), proxy_(std::move(proxy)) {}
  std::string address() const override { return proxy_->address(); }
  std::vector<std::string> far_prefix() const override {
    return link_->FarCommandPrefix();
  }
  int64_t up() const override { return link_->to_near().bytes; }
  int64_t down() const override { return link_->to_far().bytes; }
  int64_t app_up() const override { return proxy_->uploaded(); }
  int64_t app_down() const override { return proxy_->downloaded(); }
  void SetCut(bool cut) override { link_->SetCut(cut); }

 private:
  LossyLink* link_;
  std::unique_ptr<TcpProxy> proxy_;
};

// --quick: a throttling, delaying TCP proxy on loopback; a cut stalls it.
// Bytes are TCP payload (no loss, so nothing is retransmitted).
class ProxyLink : public PoorLink {
 public:
  ProxyLink(std::unique_ptr<TcpProxy> proxy, const Flags& flags)
      : proxy_(std::move(proxy)) {
    link_.bytes_per_second = flags.link_bits_per_second / 8;
    link_.delay_ms = flags.link_delay_ms;
    proxy_->SetLink(link_);
  }
  std::string address() const override { return proxy_->address(); }
  std::vector<std::string> far_prefix() const override { return {}; }
  int64_t up() const override { return proxy_->uploaded(); }
  int64_t down() const override { return proxy_->downloaded(); }
  int64_t app_up() const override { return up(); }
  int64_t app_down() const override { return down(); }
  void SetCut(bool cut) override {
    link_.stalled = cut;
    proxy_->SetLink(link_);
  }

 private:
  std::unique_ptr<TcpProxy> proxy_;
  TcpProxy::Link link_;
};

// Cuts `link` for `seconds` once `threshold` bytes have gone up since
// construction; stops watching when destroyed.
class MidwayCut {
 public:
  MidwayCut(PoorLink* link, int64_t threshold, int seconds)
      : thread_([=] { Watch(link, link->up() + threshold, seconds); }) {}
  ~MidwayCut() {
    done_ = true;
    thread_.join();
  }
  bool happened() const { return happened_; }

 private:
  void Watch(PoorLink* link, int64_t at, int seconds) {
    while (!done_ && link->up() < at) absl::SleepFor(absl::Milliseconds(10));
    if (done_) return;
    happened_ = true;
    link->SetCut(true);
    absl::Time end = absl::Now() + absl::Seconds(seconds);
    while (!done_ && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
    link->SetCut(false);
  }

  std::atomic<bool> done_{false}, happened_{false};
  std::thread thread_;
};

// ---- measuring ----

// One scenario of one system.
struct Measurement {
  std::string system, scenario;
  int64_t records = 0;  // the scenario's unit: records written or changed
  StepResult step;
  int64_t server_cpu_micros = 0;
  int64_t peak_rss_bytes = 0;
  int64_t bytes_up = 0, bytes_down = 0;
  // TCP payload only (differs from the above on the emulated link).
  int64_t app_bytes_up = 0, app_bytes_down = 0;
  bool verified = false;
  std::string expected_hash;
  bool cut_happened = false;

  double RecordsPerSecond() const { return records / step.seconds; }
  double CpuPerRecord() const {
    return static_cast<double>(server_cpu_micros) / records;
  }
  double UpPerRecord() const { return static_cast<double>(bytes_up) / records; }
  double DownPerRecord() const {
    return static_cast<double>(bytes_down) / records;
  }
};

// Byte counters of whatever the step's traffic crosses: on the wire, and
// TCP payload.
struct Meter {
  std::function<int64_t()> up, down, app_up, app_down;
};

template <typename Step>
absl::StatusOr<Measurement> Measure(BenchSystem& system,
                                    const std::string& scenario,
                                    int64_t records, const Meter& meter,
                                    Step step) {
  Measurement m;
  m.system = system.name();
  m.scenario = scenario;
  m.records = records;
  pid_t pid = system.server_pid();
  VS_RETURN_IF_ERROR(ResetPeakRss(pid));
  VS_ASSIGN_OR_RETURN(int64_t cpu_before, CpuMicros(pid));
  int64_t up_before = meter.up(), down_before = meter.down();
  int64_t app_up_before = meter.app_up(), app_down_before = meter.app_down();
  VS_ASSIGN_OR_RETURN(m.step, step());
  m.bytes_up = meter.up() - up_before;
  m.bytes_down = meter.down() - down_before;
  m.app_bytes_up = meter.app_up() - app_up_before;
  m.app_bytes_down = meter.app_down() - app_down_before;
  VS_ASSIGN_OR_RETURN(int64_t cpu_after, CpuMicros(pid));
  m.server_cpu_micros = cpu_after - cpu_before;
  VS_ASSIGN_OR_RETURN(m.peak_rss_bytes, PeakRssBytes(pid));
  std::fprintf(stderr, "  %s %s: %.3f s, %.0f µs server CPU per record\n",
               m.system.c_str(), scenario.c_str(), m.step.seconds,
               m.CpuPerRecord());
  return m;
}

// Compares what a replica (`where`: device or server) holds with what should
// be there.
void Verify(const char* where, const ContentDigest& got,
            const ExpectedContent& want, Measurement* m) {
  m->expected_hash = want.Hash();
  m->verified = got.records == want.size() && got.hash == m->expected_hash;
  std::fprintf(
      stderr, "  %s %s, %s: %zu records, hash %.12s… %s\n", m->system.c_str(),
      m->scenario.c_str(), where, got.records, got.hash.c_str(),
      m->verified ? "verified"
                  : absl::StrCat("WRONG: want ", want.size(), " records, hash ",
                                 m->expected_hash.substr(0, 12))
                        .c_str());
}

// ---- the run ----

// Every input of the run, the same for both systems.
struct Workload {
  std::vector<BenchRecord> records;
  // (b): edits per device, in device order: small ones (a date), then
  // ones replacing ~900 bytes of text.
  std::vector<std::pair<int, std::vector<FieldEdit>>> pull_edits[2];
  // (c): two sets of the reader's offline edits (plain, then with a cut).
  std::vector<FieldEdit> link_edits[2];
  int64_t link_payload_bytes = 0;  // new text of one (c) set
};

// Members of devices from `first_device` on: the mutable records edits
// target, `count` of them, grouped by device.
std::vector<std::pair<int, std::vector<const BenchRecord*>>> MembersToEdit(
    const std::vector<BenchRecord>& records, int first_device, int count) {
  std::vector<std::pair<int, std::vector<const BenchRecord*>>> groups;
  for (const BenchRecord& record : records) {
    if (count == 0) break;
    if (record.device < first_device || record.collection != "members") {
      continue;
    }
    if (groups.empty() || groups.back().first != record.device) {
      groups.push_back({record.device, {}});
    }
    groups.back().second.push_back(&record);
    --count;
  }
  return groups;
}

absl::StatusOr<Workload> MakeWorkload(const Flags& flags) {
  Workload w;
  w.records = MakeRecords(flags.seed, flags.devices, flags.records);
  uint64_t edit_seed = flags.seed + 1;
  int first = 0;
  for (auto& [device, members] :
       MembersToEdit(w.records, 0, flags.pull_edits)) {
    w.pull_edits[0].push_back({device, MakeContactEdits(edit_seed++, members)});
    w.pull_edits[1].push_back(
        {device, MakeTextEdits(edit_seed++, members, 300)});  // ~900 bytes
    first = device + 1;
  }
  // (c) edits records no (b) edit touched, so each set changes them anew.
  for (auto& edits : w.link_edits) {
    std::vector<const BenchRecord*> targets;
    for (auto& [device, members] :
         MembersToEdit(w.records, first, flags.link_edits)) {
      targets.insert(targets.end(), members.begin(), members.end());
      first = device + 1;
    }
    edits = MakeTextEdits(edit_seed++, targets, flags.edit_chars);
  }
  for (const auto& edits : w.link_edits) {
    if (static_cast<int>(edits.size()) != flags.link_edits) {
      return absl::InvalidArgumentError(
          "too few members to edit: raise --devices or --records");
    }
  }
  for (const FieldEdit& edit : w.link_edits[0]) {
    w.link_payload_bytes += static_cast<int64_t>(edit.value.size());
  }
  return w;
}

// Runs (a), (b′), (b) and (c) on one system, verifying each.
absl::StatusOr<std::vector<Measurement>> RunSystem(BenchSystem& system,
                                                   const Flags& flags,
                                                   const Workload& w,
                                                   PoorLink& link,
                                                   TcpProxy& proxy) {
  const std::string client_address = proxy.address();
  std::fprintf(stderr, "peer_bench: %s\n", system.name().c_str());
  Meter loopback{
      [&] { return proxy.uploaded(); }, [&] { return proxy.downloaded(); },
      [&] { return proxy.uploaded(); }, [&] { return proxy.downloaded(); }};
  Meter on_link{[&] { return link.up(); }, [&] { return link.down(); },
                [&] { return link.app_up(); }, [&] { return link.app_down(); }};
  std::vector<Measurement> out;
  ExpectedContent expected;
  for (const BenchRecord& record : w.records) expected.Add(record);
  int64_t total = static_cast<int64_t>(w.records.size());

  VS_ASSIGN_OR_RETURN(Measurement a,
                      Measure(system, "a_initial_push", total, loopback, [&] {
                        return system.InitialPush(w.records, flags.devices);
                      }));
  VS_ASSIGN_OR_RETURN(ContentDigest held, system.ServerDigest());
  Verify("server", held, expected, &a);
  out.push_back(a);

  VS_ASSIGN_OR_RETURN(Measurement initial,
                      Measure(system, "b2_initial_pull", total, loopback,
                              [&] { return system.ReaderPull(); }));
  Verify("device", initial.step.digest, expected, &initial);
  out.push_back(initial);

  for (int kind = 0; kind < 2; ++kind) {
    int64_t changed = 0;
    for (const auto& [device, edits] : w.pull_edits[kind]) {
      VS_RETURN_IF_ERROR(system.DeviceEditsAndPushes(device, edits));
      for (const FieldEdit& edit : edits) {
        VS_RETURN_IF_ERROR(expected.Apply(edit));
      }
      changed += static_cast<int64_t>(edits.size());
    }
    VS_ASSIGN_OR_RETURN(
        Measurement b,
        Measure(system,
                kind == 0 ? "b_incremental_pull" : "b_incremental_pull_text",
                changed, loopback, [&] { return system.ReaderPull(); }));
    Verify("device", b.step.digest, expected, &b);
    b.verified = b.verified && b.step.moved == changed;
    out.push_back(b);
  }

  int64_t plain_up = 0;
  for (int run = 0; run < 2; ++run) {
    const std::vector<FieldEdit>& edits = w.link_edits[run];
    // Settle first (untimed, on loopback): whatever bookkeeping a sync
    // leaves for the next one is not charged to the link.
    VS_RETURN_IF_ERROR(
        system.ReaderSyncOverLink(client_address, {}, 300).status());
    VS_RETURN_IF_ERROR(system.ReaderEdits(edits));
    for (const FieldEdit& edit : edits)
      VS_RETURN_IF_ERROR(expected.Apply(edit));
    std::unique_ptr<MidwayCut> cut;
    if (run == 1) {
      cut = std::make_unique<MidwayCut>(&link, plain_up / 2, flags.cut_seconds);
    }
    VS_ASSIGN_OR_RETURN(
        Measurement c,
        Measure(system, run == 0 ? "c_poor_link" : "c_poor_link_cut",
                static_cast<int64_t>(edits.size()), on_link, [&] {
                  return system.ReaderSyncOverLink(link.address(),
                                                   link.far_prefix(),
                                                   flags.max_sync_seconds);
                }));
    if (cut != nullptr) c.cut_happened = cut->happened();
    cut.reset();
    link.SetCut(false);
    VS_ASSIGN_OR_RETURN(ContentDigest server, system.ServerDigest());
    Verify("device", c.step.digest, expected, &c);
    bool device_ok = c.verified;
    Verify("server", server, expected, &c);
    c.verified = c.verified && device_ok && (run == 0 || c.cut_happened);
    if (run == 0) plain_up = c.bytes_up;
    out.push_back(c);
  }
  return out;
}

// ---- reporting ----

std::string JsonNumber(double value) { return absl::StrFormat("%.6g", value); }

std::string MeasurementJson(const Measurement& m) {
  return cli::JsonObject()
      .AddString("system", m.system)
      .AddString("scenario", m.scenario)
      .AddRaw("records", absl::StrCat(m.records))
      .AddRaw("seconds", JsonNumber(m.step.seconds))
      .AddRaw("records_per_second", JsonNumber(m.RecordsPerSecond()))
      .AddRaw("server_cpu_us_per_record", JsonNumber(m.CpuPerRecord()))
      .AddRaw("peak_server_rss_bytes", absl::StrCat(m.peak_rss_bytes))
      .AddRaw("bytes_up", absl::StrCat(m.bytes_up))
      .AddRaw("bytes_down", absl::StrCat(m.bytes_down))
      .AddRaw("tcp_payload_bytes_up", absl::StrCat(m.app_bytes_up))
      .AddRaw("tcp_payload_bytes_down", absl::StrCat(m.app_bytes_down))
      .AddRaw("bytes_up_per_record", JsonNumber(m.UpPerRecord()))
      .AddRaw("bytes_down_per_record", JsonNumber(m.DownPerRecord()))
      .AddRaw("requests", absl::StrCat(m.step.requests))
      .AddRaw("attempts", absl::StrCat(m.step.attempts))
      .AddRaw("failed_attempts", absl::StrCat(m.step.failed_attempts))
      .AddRaw("pull_restarted", m.step.restarted ? "true" : "false")
      .AddRaw("cut_happened", m.cut_happened ? "true" : "false")
      .AddRaw("records_held", absl::StrCat(m.step.digest.records))
      .AddString("content_hash", m.expected_hash)
      .AddRaw("verified", m.verified ? "true" : "false")
      .Build();
}

const Measurement* Find(const std::vector<Measurement>& all,
                        const std::string& system,
                        const std::string& scenario) {
  for (const Measurement& m : all) {
    if (m.system == system && m.scenario == scenario) return &m;
  }
  return nullptr;
}

// Derived figures of (c): the link's floor and the share re-sent after the
// cut.
struct LinkFigures {
  double floor_seconds = 0;
  double ours_vs_floor = 0;
  // Extra TCP payload of the cut run over the plain one: what the
  // application sent again.
  double resent_fraction = 0;
  double peer_resent_fraction = 0;
};

double Resent(const Measurement* plain, const Measurement* cut) {
  if (plain == nullptr || cut == nullptr) return 0;
  double before =
      static_cast<double>(plain->app_bytes_up + plain->app_bytes_down);
  double after = static_cast<double>(cut->app_bytes_up + cut->app_bytes_down);
  return before > 0 ? (after - before) / before : 0;
}

LinkFigures ComputeLinkFigures(const std::vector<Measurement>& all,
                               const Flags& flags, const Workload& w) {
  LinkFigures f;
  f.floor_seconds = static_cast<double>(w.link_payload_bytes) * 8 /
                        static_cast<double>(flags.link_bits_per_second) +
                    2 * flags.link_delay_ms / 1000.0;
  const Measurement* ours = Find(all, "villagesync", "c_poor_link");
  if (ours != nullptr) f.ours_vs_floor = ours->step.seconds / f.floor_seconds;
  f.resent_fraction = Resent(ours, Find(all, "villagesync", "c_poor_link_cut"));
  f.peer_resent_fraction = Resent(Find(all, "pouchdb", "c_poor_link"),
                                  Find(all, "pouchdb", "c_poor_link_cut"));
  return f;
}

std::string Ratio(double ours, double peer) {
  if (peer == 0) return "–";
  return absl::StrFormat("%.3g×", ours / peer);
}

// One table row: a metric of one scenario for both systems and the ratio.
void Row(std::ostringstream& md, const std::string& scenario,
         const std::string& metric, const Measurement* ours,
         const Measurement* peer, double (*value)(const Measurement&),
         int decimals) {
  double o = ours ? value(*ours) : 0, p = peer ? value(*peer) : 0;
  md << "| " << scenario << " | " << metric << " | "
     << (ours ? absl::StrFormat("%.*f", decimals, o) : "–") << " | "
     << (peer ? absl::StrFormat("%.*f", decimals, p) : "–") << " | "
     << (ours && peer ? Ratio(o, p) : "–") << " |\n";
}

std::string MarkdownTable(const std::vector<Measurement>& all,
                          const LinkFigures& link, const Flags& flags) {
  std::ostringstream md;
  md << "| scenario | metric | villagesync | pouchdb | villagesync/pouchdb |\n"
        "|---|---|---|---|---|\n";
  const char* scenarios[] = {
      "a_initial_push",  "b_incremental_pull", "b_incremental_pull_text",
      "b2_initial_pull", "c_poor_link",        "c_poor_link_cut"};
  for (const char* scenario : scenarios) {
    const Measurement* ours = Find(all, "villagesync", scenario);
    const Measurement* peer = Find(all, "pouchdb", scenario);
    if (ours == nullptr && peer == nullptr) continue;
    std::string label =
        absl::StrCat(scenario, " (", (ours ? ours : peer)->records, ")");
    using M = const Measurement&;
    Row(
        md, label, "wall s", ours, peer, [](M m) { return m.step.seconds; }, 3);
    Row(
        md, label, "records/s", ours, peer,
        [](M m) { return m.RecordsPerSecond(); }, 0);
    Row(
        md, label, "server CPU µs/record", ours, peer,
        [](M m) { return m.CpuPerRecord(); }, 0);
    Row(
        md, label, "peak server RSS MiB", ours, peer,
        [](M m) { return m.peak_rss_bytes / 1048576.0; }, 0);
    Row(
        md, label, "bytes up/record", ours, peer,
        [](M m) { return m.UpPerRecord(); }, 0);
    Row(
        md, label, "bytes down/record", ours, peer,
        [](M m) { return m.DownPerRecord(); }, 0);
    Row(
        md, label, "requests", ours, peer,
        [](M m) { return static_cast<double>(m.step.requests); }, 0);
    if (absl::StartsWith(scenario, "c_")) {
      Row(
          md, label, "sync attempts", ours, peer,
          [](M m) { return static_cast<double>(m.step.attempts); }, 0);
    }
  }
  md << absl::StrFormat(
      "\nPoor link: %lld bit/s, %d ms one way, %.0f%% loss%s; floor %.1f s "
      "(the edits' new text at the link's rate, plus one round trip); "
      "villagesync took %.2f× the floor. Bytes re-sent because of the %d s "
      "cut (extra TCP payload over the plain run): villagesync %.1f%%, "
      "pouchdb %.1f%%. On the link, bytes are IP packets offered to it, "
      "retransmissions included.\n",
      static_cast<long long>(flags.link_bits_per_second), flags.link_delay_ms,
      flags.link_loss * 100,
      flags.quick ? " (quick: loopback TCP proxy, no loss)" : "",
      link.floor_seconds, link.ours_vs_floor, flags.cut_seconds,
      link.resent_fraction * 100, link.peer_resent_fraction * 100);
  return md.str();
}

absl::Status WriteJson(const std::vector<Measurement>& all,
                       const LinkFigures& link, const Flags& flags,
                       const Workload& w) {
  std::vector<std::string> rows;
  for (const Measurement& m : all) rows.push_back(MeasurementJson(m));
  std::string json =
      cli::JsonObject()
          .AddRaw("quick", flags.quick ? "true" : "false")
          .AddRaw("seed", absl::StrCat(flags.seed))
          .AddRaw("devices", absl::StrCat(flags.devices))
          .AddRaw("records_per_device", absl::StrCat(flags.records))
          .AddRaw("link_bits_per_second",
                  absl::StrCat(flags.link_bits_per_second))
          .AddRaw("link_one_way_delay_ms", absl::StrCat(flags.link_delay_ms))
          .AddRaw("link_loss", JsonNumber(flags.link_loss))
          .AddRaw("link_cut_seconds", absl::StrCat(flags.cut_seconds))
          .AddRaw("link_payload_bytes", absl::StrCat(w.link_payload_bytes))
          .AddRaw("link_floor_seconds", JsonNumber(link.floor_seconds))
          .AddRaw("villagesync_vs_floor", JsonNumber(link.ours_vs_floor))
          .AddRaw("villagesync_resent_fraction",
                  JsonNumber(link.resent_fraction))
          .AddRaw("pouchdb_resent_fraction",
                  JsonNumber(link.peer_resent_fraction))
          .AddRaw("results", cli::JsonArrayLines(rows))
          .Build();
  std::ofstream out(flags.out, std::ios::trunc);
  out << json << "\n";
  out.close();
  if (!out) return absl::InternalError("cannot write " + flags.out);
  return absl::OkStatus();
}

// Replaces the text between the markers in `path` with `table`.
absl::Status WriteMarkdown(const std::string& path, const std::string& table) {
  std::ifstream in(path);
  std::string doc((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  const std::string begin = "<!-- peer_bench:begin -->";
  const std::string end = "<!-- peer_bench:end -->";
  size_t from = doc.find(begin), to = doc.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from) {
    return absl::NotFoundError(
        absl::StrCat(path, ": no ", begin, " ... ", end, " markers"));
  }
  doc.replace(from + begin.size(), to - from - begin.size(),
              "\n" + table + "\n");
  std::ofstream out(path, std::ios::trunc);
  out << doc;
  out.close();
  if (!out) return absl::InternalError("cannot write " + path);
  return absl::OkStatus();
}

// ---- main ----

std::string SelfPath() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

absl::StatusOr<std::unique_ptr<PoorLink>> MakeLink(const Flags& flags,
                                                   LossyLink* lossy,
                                                   const std::string& target) {
  if (lossy == nullptr) {
    VS_ASSIGN_OR_RETURN(std::unique_ptr<TcpProxy> proxy,
                        TcpProxy::Start(target));
    return std::unique_ptr<PoorLink>(
        std::make_unique<ProxyLink>(std::move(proxy), flags));
  }
  VS_ASSIGN_OR_RETURN(std::unique_ptr<TcpProxy> proxy,
                      TcpProxy::Start(target, lossy->options().near_address));
  return std::unique_ptr<PoorLink>(
      std::make_unique<NamespaceLink>(lossy, std::move(proxy)));
}

absl::StatusOr<std::vector<Measurement>> RunAll(const Flags& flags,
                                                const Workload& w,
                                                const std::string& root,
                                                const std::string& shm_root) {
  SystemPaths base;
  base.villagesyncd = VILLAGESYNC_VILLAGESYNCD;
  base.peer_dir = VILLAGESYNC_PEER_DIR;
  base.self = SelfPath();
  VS_RETURN_IF_ERROR(EnsurePeerInstalled(base.peer_dir));
  std::unique_ptr<LossyLink> lossy;
  if (!flags.quick) {
    LossyLink::Options options;
    options.bits_per_second = flags.link_bits_per_second;
    options.one_way_delay = absl::Milliseconds(flags.link_delay_ms);
    options.loss = flags.link_loss;
    options.seed = flags.seed;
    VS_ASSIGN_OR_RETURN(lossy, LossyLink::Create(options));
  }
  std::vector<Measurement> all;
  for (const std::string name : {"villagesync", "pouchdb"}) {
    if (!flags.only.empty() && flags.only != name) continue;
    SystemPaths paths = base;
    paths.work_dir = root + "/" + name;
    paths.server_dir = paths.work_dir + "/server";
    paths.device_dir = shm_root + "/" + name;
    for (const std::string& dir : {paths.server_dir, paths.device_dir}) {
      std::filesystem::create_directories(dir);
    }
    std::unique_ptr<BenchSystem> system =
        name == "villagesync" ? MakeVillagesync(paths) : MakePouchdb(paths);
    VS_RETURN_IF_ERROR(system->StartServer());
    std::string target = absl::StrCat("127.0.0.1:", system->port());
    VS_ASSIGN_OR_RETURN(std::unique_ptr<TcpProxy> proxy,
                        TcpProxy::Start(target));
    system->SetClientAddress(proxy->address());
    VS_ASSIGN_OR_RETURN(std::unique_ptr<PoorLink> link,
                        MakeLink(flags, lossy.get(), target));
    absl::StatusOr<std::vector<Measurement>> ran =
        RunSystem(*system, flags, w, *link, *proxy);
    absl::Status stopped = system->StopServer();
    if (!ran.ok()) {
      return absl::Status(ran.status().code(),
                          absl::StrCat(name, ": ", ran.status().message()));
    }
    VS_RETURN_IF_ERROR(stopped);
    all.insert(all.end(), ran->begin(), ran->end());
  }
  return all;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr, "%s\n", kUsage);
    return 2;
  }
  // The harness and the devices it drives run on CPU 1; servers on CPU 0.
  cpu_set_t client_cpu;
  CPU_ZERO(&client_cpu);
  CPU_SET(1, &client_cpu);
  sched_setaffinity(0, sizeof(client_cpu), &client_cpu);

  absl::StatusOr<Workload> w = MakeWorkload(flags);
  if (!w.ok()) {
    std::fprintf(stderr, "peer_bench: %s\n", w.status().ToString().c_str());
    return 2;
  }
  testing::TempDir disk;                                 // servers: durable
  testing::TempDir memory(testing::TempDir::kInMemory);  // devices
  absl::StatusOr<std::vector<Measurement>> all =
      RunAll(flags, *w, disk.Sub("run"), memory.Sub("devices"));
  if (!all.ok()) {
    std::fprintf(stderr, "peer_bench: %s\n", all.status().ToString().c_str());
    return 1;
  }
  LinkFigures link = ComputeLinkFigures(*all, flags, *w);
  std::string table = MarkdownTable(*all, link, flags);
  std::printf("%s", table.c_str());
  absl::Status written = WriteJson(*all, link, flags, *w);
  if (written.ok() && !flags.markdown.empty()) {
    written = WriteMarkdown(flags.markdown, table);
  }
  if (!written.ok()) {
    std::fprintf(stderr, "peer_bench: %s\n", written.ToString().c_str());
    return 1;
  }
  bool verified = true;
  for (const Measurement& m : *all) verified = verified && m.verified;
  std::fprintf(
      stderr, "peer_bench: results in %s; %s\n", flags.out.c_str(),
      verified ? "every replica verified" : "SOME REPLICA HELD WRONG CONTENT");
  return verified ? 0 : 1;
}

}  // namespace
}  // namespace villagesync::bench

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--device_sync") {
    int max_seconds = 1800;
    if (argc >= 5) (void)absl::SimpleAtoi(argv[4], &max_seconds);
    return villagesync::bench::RunDeviceSync(argv[2], max_seconds);
  }
  return villagesync::bench::Main(argc, argv);
}
