#include "server/report_aggregator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace villagesync {
namespace {

const v1::Value* FieldOf(const RecordView& view, absl::string_view name) {
  for (const FieldView& f : view.fields) {
    if (f.name == name && f.value) return &*f.value;
  }
  return nullptr;
}

std::string TextOf(const RecordView& view, absl::string_view name) {
  const v1::Value* v = FieldOf(view, name);
  if (v == nullptr) return "";
  return v->has_enum_value() ? v->enum_value() : v->string_value();
}

// A count a record contributes, within [0, kMaxCount]: the schema bounds
// counts, and records written before it did (or by an older server) must not
// turn a report's sums negative. A pure function of the record, so adding
// and later removing its contribution stays exact.
int64_t CountOf(const RecordView& view, absl::string_view name) {
  constexpr int64_t kMaxCount = 1000000;
  const v1::Value* v = FieldOf(view, name);
  if (v == nullptr || !v->has_int_value()) return 0;
  return std::clamp<int64_t>(v->int_value(), 0, kMaxCount);
}

// "YYYY-MM" of a date field; "" if unset.
std::string MonthOf(const RecordView& view, absl::string_view name) {
  const v1::Value* v = FieldOf(view, name);
  if (v == nullptr || !v->has_date_value()) return "";
  absl::CivilDay day = absl::CivilDay(1970, 1, 1) + v->date_value().days();
  return absl::StrFormat("%04d-%02d", day.year(), day.month());
}

void Add(Contribution* out, const std::string& key, int64_t amount) {
  if (amount != 0) (*out)[key] += amount;
}

void Meeting(const RecordView& view, const std::string& v, Contribution* out) {
  std::string month = MonthOf(view, "date");
  if (month.empty()) return;
  std::string base = absl::StrCat(v, "/m/", month, "/");
  Add(out, absl::StrCat(base, "meeting/", TextOf(view, "type")), 1);
  Add(out, absl::StrCat(base, "due"), CountOf(view, "due"));
  Add(out, absl::StrCat(base, "present"), CountOf(view, "present"));
}

void Request(const RecordView& view, const std::string& v, Contribution* out) {
  std::string opened = MonthOf(view, "date");
  if (!opened.empty())
    Add(out, absl::StrCat(v, "/m/", opened, "/requests_opened"), 1);
  std::string closed = MonthOf(view, "closed_date");
  if (TextOf(view, "status") == "已办结" && !closed.empty()) {
    Add(out, absl::StrCat(v, "/m/", closed, "/requests_closed"), 1);
  }
}

}  // namespace

bool ReportAggregator::Wants(absl::string_view collection) const {
  return collection == "members" || collection == "development" ||
         collection == "meetings" || collection == "visits" ||
         collection == "requests";
}

void ReportAggregator::Contribute(const RecordView& view,
                                  Contribution* out) const {
  if (view.deleted) return;
  const std::string& village = view.key.village();
  const std::string& collection = view.key.collection();
  if (collection == "members") {
    Add(out, absl::StrCat(village, "/s/members/", TextOf(view, "status")), 1);
  } else if (collection == "development") {
    Add(out, absl::StrCat(village, "/s/development/", TextOf(view, "stage")),
        1);
  } else if (collection == "meetings") {
    Meeting(view, village, out);
  } else if (collection == "visits") {
    std::string month = MonthOf(view, "date");
    if (!month.empty())
      Add(out, absl::StrCat(village, "/m/", month, "/visits"), 1);
  } else if (collection == "requests") {
    Request(view, village, out);
  }
}

}  // namespace villagesync
