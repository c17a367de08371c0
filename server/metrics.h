// Metrics: villagesyncd's counters, gauges and histograms, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics
// (SPEC §11). Families are defined once with their help text; samples are
// keyed by their label values. Collectors refresh gauges at scrape time
// (devices by staleness, peer lag, store sizes, memory).
#ifndef VILLAGESYNC_SERVER_METRICS_H_
#define VILLAGESYNC_SERVER_METRICS_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace villagesync {

// Label name/value pairs of one sample, in the family's label order.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Thread-safe.
class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Defines a family. Histograms take their bucket upper bounds (seconds,
  // bytes, ...), ascending. Defining a name twice keeps the first.
  void Define(absl::string_view name, Type type, absl::string_view help,
              std::vector<double> buckets = {}) ABSL_LOCKS_EXCLUDED(mu_);

  // Counters: adds `delta` (>= 0). Set replaces the value of a gauge, or of
  // a counter a collector copies from a count kept elsewhere.
  // Histograms: Observe records one value. Unknown names are ignored.
  void Add(absl::string_view name, const MetricLabels& labels, double delta)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Set(absl::string_view name, const MetricLabels& labels, double value)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Observe(absl::string_view name, const MetricLabels& labels, double value)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Removes every sample of a gauge family (a collector then sets the ones
  // that exist now).
  void Clear(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Called at every Render, before rendering, outside the lock.
  void AddCollector(std::function<void(Metrics&)> collector)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Every family in the text format, families sorted by name.
  std::string Render() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Sample {
    MetricLabels labels;
    double value = 0;               // counters, gauges; histogram sum
    std::vector<uint64_t> buckets;  // histograms: per bucket, not cumulative
    uint64_t count = 0;             // histograms
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, Sample> samples;  // by rendered labels
  };

  Sample* Find(absl::string_view name, const MetricLabels& labels, Type type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void RenderFamily(const std::string& name, const Family& family,
                           std::string* out);

  absl::Mutex mu_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(Metrics&)>> collectors_ ABSL_GUARDED_BY(mu_);
};

// "{name=\"value\",...}" with values escaped; "" for no labels. `extra` is
// appended (e.g. le="0.5").
std::string RenderLabels(const MetricLabels& labels,
                         absl::string_view extra = "");

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_METRICS_H_
