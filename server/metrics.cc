#include "server/metrics.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace villagesync {
namespace {

const char* TypeName(Metrics::Type type) {
  switch (type) {
    case Metrics::Type::kCounter:
      return "counter";
    case Metrics::Type::kGauge:
      return "gauge";
    case Metrics::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.9g", value);
}

std::string Escape(absl::string_view text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string RenderLabels(const MetricLabels& labels, absl::string_view extra) {
  if (labels.empty() && extra.empty()) return "";
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ",";
    absl::StrAppend(&out, name, "=\"", Escape(value, true), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.size() > 1 ? "," : "", extra);
  return out + "}";
}

void Metrics::Define(absl::string_view name, Type type, absl::string_view help,
                     std::vector<double> buckets) {
  absl::MutexLock lock(&mu_);
  Family& family = families_[std::string(name)];
  if (!family.help.empty()) return;
  family.type = type;
  family.help = std::string(help);
  family.bounds = std::move(buckets);
}

Metrics::Sample* Metrics::Find(absl::string_view name,
                               const MetricLabels& labels, Type type) {
  auto family = families_.find(std::string(name));
  if (family == families_.end()) return nullptr;
  Type actual = family->second.type;
  bool settable = type == Type::kGauge && actual == Type::kCounter;
  if (actual != type && !settable) return nullptr;
  Sample& sample = family->second.samples[RenderLabels(labels)];
  if (sample.labels.empty()) sample.labels = labels;
  if (type == Type::kHistogram && sample.buckets.empty()) {
    sample.buckets.resize(family->second.bounds.size());
  }
  return &sample;
}

void Metrics::Add(absl::string_view name, const MetricLabels& labels,
                  double delta) {
  absl::MutexLock lock(&mu_);
  if (Sample* s = Find(name, labels, Type::kCounter)) s->value += delta;
}

void Metrics::Set(absl::string_view name, const MetricLabels& labels,
                  double value) {
  absl::MutexLock lock(&mu_);
  if (Sample* s = Find(name, labels, Type::kGauge)) s->value = value;
}

void Metrics::Observe(absl::string_view name, const MetricLabels& labels,
                      double value) {
  absl::MutexLock lock(&mu_);
  Sample* s = Find(name, labels, Type::kHistogram);
  if (s == nullptr) return;
  const std::vector<double>& bounds = families_[std::string(name)].bounds;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) {
      ++s->buckets[i];
      break;
    }
  }
  s->value += value;
  ++s->count;
}

void Metrics::Clear(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto family = families_.find(std::string(name));
  if (family != families_.end()) family->second.samples.clear();
}

void Metrics::AddCollector(std::function<void(Metrics&)> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

void Metrics::RenderFamily(const std::string& name, const Family& family,
                           std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", Escape(family.help, false), "\n",
                  "# TYPE ", name, " ", TypeName(family.type), "\n");
  for (const auto& [key, s] : family.samples) {
    if (family.type != Type::kHistogram) {
      absl::StrAppend(out, name, key, " ", Number(s.value), "\n");
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < family.bounds.size(); ++i) {
      cumulative += s.buckets[i];
      absl::StrAppend(
          out, name, "_bucket",
          RenderLabels(s.labels,
                       absl::StrCat("le=\"", Number(family.bounds[i]), "\"")),
          " ", cumulative, "\n");
    }
    absl::StrAppend(out, name, "_bucket", RenderLabels(s.labels, "le=\"+Inf\""),
                    " ", s.count, "\n", name, "_sum", key, " ", Number(s.value),
                    "\n", name, "_count", key, " ", s.count, "\n");
  }
}

std::string Metrics::Render() {
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
  }
  for (const auto& collect : collectors) collect(*this);
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, family] : families_) RenderFamily(name, family, &out);
  return out;
}

}  // namespace villagesync
