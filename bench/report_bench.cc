// report_bench: county report latency over a county's records (SPEC §9,
// §12): V villages x R records (meetings, visits, requests, members,
// development spread over a year) are applied to a server's store in
// durable batches, a real villagesyncd Server is started on it, and the
// Report RPC is timed for a month, a quarter and the year. The baseline is
// the raw counter scan (RecordStore::ReadCounters) in the same run.
//
// Run: build/bench/report_bench [--villages 300] [--records 5000]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "proto/admin.grpc.pb.h"
#include "server/report_aggregator.h"
#include "server/server.h"
#include "storage/local_change.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"

namespace villagesync {
namespace {

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "report_bench: %s: %s\n", what,
               status.ToString().c_str());
  std::exit(1);
}

const char* const kMeetingTypes[] = {"主题党日", "支委会", "党小组会", "党课",
                                     "支部党员大会"};
const char* const kStatuses[] = {"正式党员", "预备党员"};
const char* const kStages[] = {"入党申请人", "入党积极分子", "发展对象"};

// The i-th record of a village: a realistic mix over 2024.
LocalEdit RecordOf(const std::string& village, int i) {
  using testing::Date;
  using testing::Enum;
  using testing::Int;
  using testing::Str;
  std::string id = absl::StrCat("r", i);
  int month = 1 + i % 12, day = 1 + i % 28;
  switch (i % 10) {
    case 0:
    case 1:
      return testing::Edit(testing::Key(village, "meetings", id),
                           {{"type", Enum(kMeetingTypes[i % 5])},
                            {"date", Date(2024, month, day)},
                            {"topic", Str("学习")},
                            {"due", Int(20)},
                            {"present", Int(17)}});
    case 2:
    case 3:
    case 4:
    case 5:
      return testing::Edit(
          testing::Key(village, "visits", id),
          {{"date", Date(2024, month, day)}, {"household", Str("农户")}});
    case 6:
    case 7:
      return testing::Edit(testing::Key(village, "requests", id),
                           {{"date", Date(2024, month, day)},
                            {"text", Str("诉求")},
                            {"status", Enum(i % 3 ? "已办结" : "受理")},
                            {"closed_date", Date(2024, month, 28)}});
    case 8: {
      LocalEdit member = testing::NewMember(village, id, "党员");
      member.fields[2].second = Enum(kStatuses[i % 2]);
      return member;
    }
    default:
      return testing::Edit(
          testing::Key(village, "development", id),
          {{"person", Str("申请人")}, {"stage", Enum(kStages[i % 3])}});
  }
}

// Applies every village's records to the store in durable batches of 1,000.
void Load(RecordStore& store, int villages, int records) {
  uint64_t counter = 0;
  std::vector<v1::Change> batch;
  for (int v = 0; v < villages; ++v) {
    std::string village =
        absl::StrFormat("440101%03d%03d", 1 + v / 20, 1 + v % 20);
    for (int i = 0; i < records; ++i) {
      WriteStamp stamp;
      stamp.dot.set_replica(0xBE7C4);
      stamp.dot.set_counter(++counter);
      stamp.hlc = counter;
      stamp.author = "loader";
      batch.push_back(MakePut(nullptr, RecordOf(village, i), stamp));
      batch.back().set_seq(counter);
      if (batch.size() == 1000) {
        Check(store.Apply(batch, 0xBE7C4).status(), "apply");
        batch.clear();
      }
    }
  }
  if (!batch.empty()) Check(store.Apply(batch, 0xBE7C4).status(), "apply");
}

double Millis(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

}  // namespace
}  // namespace villagesync

int main(int argc, char** argv) {
  using namespace villagesync;
  int villages = 300, records = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--villages") (void)absl::SimpleAtoi(argv[i + 1], &villages);
    if (flag == "--records") (void)absl::SimpleAtoi(argv[i + 1], &records);
  }
  testing::TempDir dir;
  std::string data_dir = dir.Sub("data");
  auto token = Bootstrap(data_dir);
  Check(token.status(), "bootstrap");
  absl::Time start = absl::Now();
  {
    StoreOptions options;
    options.aggregator = std::make_shared<ReportAggregator>();
    auto store = RecordStore::Open(data_dir + "/records", options);
    Check(store.status(), "open");
    Load(**store, villages, records);
  }
  double load_s = absl::ToDoubleSeconds(absl::Now() - start);
  ServerOptions options;
  options.data_dir = data_dir;
  options.listen = "127.0.0.1:0";
  options.log = [](absl::string_view) {};
  auto server = Server::Start(options);
  Check(server.status(), "start");
  absl::Time scan_start = absl::Now();
  auto counters = (*server)->store().ReadCounters("440101");
  double scan_ms = Millis(absl::Now() - scan_start);
  Check(counters.status(), "scan");
  auto stub = v1::AdminService::NewStub(grpc::CreateChannel(
      (*server)->address(), grpc::InsecureChannelCredentials()));
  std::printf(
      "report_bench: %d villages x %d records = %d records loaded in "
      "%.1f s (%.0f records/s, durable batches of 1,000, with "
      "aggregates)\n",
      villages, records, villages * records, load_s,
      villages * records / load_s);
  std::printf(
      "baseline: raw counter scan of the county (%zu counters): %.1f ms\n",
      counters->size(), scan_ms);
  for (const char* period : {"2024-05", "2024-Q2", "2024"}) {
    v1::ReportRequest request;
    request.set_region_prefix("440101");
    request.set_period(period);
    double best = 1e9;
    int rows = 0;
    for (int run = 0; run < 5; ++run) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + *token);
      v1::ReportResponse response;
      absl::Time t0 = absl::Now();
      grpc::Status status = stub->Report(&context, request, &response);
      best = std::min(best, Millis(absl::Now() - t0));
      if (!status.ok())
        Check(absl::InternalError(status.error_message()), "report");
      rows = response.villages_size();
    }
    std::printf(
        "Report %-8s over gRPC: %6.1f ms (best of 5), %d village rows "
        "(%.1fx the raw scan)\n",
        period, best, rows, best / scan_ms);
  }
  (*server)->Shutdown();
  return 0;
}
