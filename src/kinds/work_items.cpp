// work_items — velocity, on-time delivery and defects (METRICS.md §2).
//
// An item is completed when its `completed_at` is non-blank, and belongs to the
// period of that local day. Items without `completed_at` are not completed:
// they are validated but count nowhere (not even a defect found before it is
// fixed), and a warning says how many. Blank `points` count as 0. `sprints` is
// the number of distinct non-blank `sprint` values among the period's completed
// items; without a `sprint` column it is 1 per period (the period is the
// sprint). On time = the completion's local date ≤ the due date's local date.
// Defects are items of type bug/defect (case-insensitive); their `found`
// (pre_release | post_release, aliases internal | production) feeds the
// detection efficiency; a defect with a blank `found` counts in `defects` only
// (warned). Defect metrics need a `type` column, deliveries a `due_at` column.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kpi/kinds/aggregator.hpp"
#include "record_common.hpp"

namespace kpi {
namespace {

using kinds::Columns;
using kinds::put;

constexpr std::string_view kRequired[] = {"id"};
constexpr std::string_view kOptional[] = {"type",         "points", "sprint",
                                          "completed_at", "due_at", "found"};
enum Col : std::size_t { kId, kType, kPoints, kSprint, kCompleted, kDue, kFound };

constexpr std::uint32_t kNoSprint = std::numeric_limits<std::uint32_t>::max();

enum class Found : std::uint8_t { unknown, pre_release, post_release };

struct Item {
  std::uint32_t segment;
  time::Day completed;
  time::Day due;  // valid when has_due
  bool has_due;
  bool defect;
  Found found;
  std::uint32_t sprint;  // kNoSprint: blank or no column
  double points;
};

class WorkItemsAggregator final : public Aggregator {
 public:
  WorkItemsAggregator(const ComputeOptions& options, const TimeContext& time)
      : period_(options.period), time_(time), columns_(kRequired, kOptional, options.by) {}

  std::vector<std::string> columns(const std::vector<std::string>& available) override {
    return columns_.bind(available);
  }

  Status add(const io::Record& r) override {
    const auto slot = [&](Col c) { return columns_.slot(c); };
    if (auto s = kinds::require_nonblank(r, slot(kId), "id"); !s) return s;
    const std::string_view type = kinds::text_at(r, slot(kType));
    const bool defect = kinds::iequals(type, "bug") || kinds::iequals(type, "defect");
    double points = 0;
    if (const auto text = kinds::text_at(r, slot(kPoints)); !text.empty()) {
      const auto v = kinds::parse_number(text);
      if (!v || *v < 0) return r.error(slot(kPoints), "points", "a non-negative number");
      points = *v;
    }
    std::optional<time::Day> completed, due;
    if (!kinds::text_at(r, slot(kCompleted)).empty()) {
      const auto t = kinds::read_time(r, slot(kCompleted), "completed_at", time_);
      if (!t) return t.error();
      completed = time_.zone.local_day(*t);
    }
    if (!kinds::text_at(r, slot(kDue)).empty()) {
      const auto t = kinds::read_time(r, slot(kDue), "due_at", time_);
      if (!t) return t.error();
      due = time_.zone.local_day(*t);
    }
    Found found = Found::unknown;
    if (const auto text = kinds::text_at(r, slot(kFound)); !text.empty()) {
      if (kinds::iequals(text, "pre_release") || kinds::iequals(text, "internal")) {
        found = Found::pre_release;
      } else if (kinds::iequals(text, "post_release") || kinds::iequals(text, "production")) {
        found = Found::post_release;
      } else {
        return r.error(slot(kFound), "found",
                       "pre_release, post_release, internal or production");
      }
    }
    if (auto s = segments_.prepare(r, columns_); !s) return s;

    const auto seg = static_cast<std::uint32_t>(segments_.commit(columns_));
    if (!completed) {
      ++not_completed_;
      return Status::ok();
    }
    std::uint32_t sprint = kNoSprint;
    if (const auto text = kinds::text_at(r, slot(kSprint)); !text.empty()) {
      sprint = sprints_.intern(text);
    }
    span_.add(*completed);
    items_.push_back({seg, *completed, due.value_or(0), due.has_value(), defect, found, sprint,
                      points});
    return Status::ok();
  }

  Expected<Table> finish() override {
    std::vector<std::string> warnings;
    if (not_completed_ > 0) {
      warnings.push_back("work_items: " + std::to_string(not_completed_) +
                         " item(s) without completed_at are not completed and count nowhere");
    }
    auto made = kinds::PeriodGrid::make(time_, period_, span_.first, span_.last);
    if (!made) return std::move(made).error();
    const std::optional<kinds::PeriodGrid>& grid = *made;
    if (!grid) return kinds::empty_table("work_items", std::move(warnings));
    segments_.ensure_default(columns_);
    const std::size_t n = grid->size();
    const std::size_t nseg = segments_.size();

    struct Cell {
      double points = 0, deliveries = 0, on_time = 0, defects = 0, pre = 0, post = 0;
      double delivered = 0;
      std::vector<std::uint32_t> sprints;
    };
    std::vector<Cell> cells(n * nseg);
    std::uint64_t unknown_found = 0;
    for (const Item& it : items_) {
      if (!grid->contains(it.completed)) continue;  // outside the range: ignored
      Cell& c = cells[grid->index_of(it.completed) * nseg + it.segment];
      c.points += it.points;
      if (it.sprint != kNoSprint) c.sprints.push_back(it.sprint);
      if (it.has_due) {
        c.deliveries += 1;
        if (it.completed <= it.due) c.on_time += 1;
      }
      if (it.defect) {
        c.defects += 1;
        if (it.found == Found::pre_release) {
          c.pre += 1;
        } else if (it.found == Found::post_release) {
          c.post += 1;
        } else {
          ++unknown_found;
        }
      } else {
        c.delivered += 1;
      }
    }
    if (unknown_found > 0 && columns_.ever_had(kType)) {
      warnings.push_back("work_items: " + std::to_string(unknown_found) +
                         " defect(s) without a 'found' value count in defects but not in "
                         "defects_pre_release/defects_post_release");
    }

    const bool sprint_column = columns_.ever_had(kSprint);
    const bool typed = columns_.ever_had(kType);
    const bool dated = columns_.ever_had(kDue);
    const auto order = segments_.sorted();
    Table table;
    table.warnings = std::move(warnings);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string label = grid->label(i);
      for (std::size_t s : order) {
        Cell& c = cells[i * nseg + s];
        Group g;
        g.period = label;
        g.dims = segments_.dims(s);
        put(g, "completed_points", c.points);
        double sprints = 1;  // without a sprint column the period is the sprint
        if (sprint_column) {
          std::sort(c.sprints.begin(), c.sprints.end());
          sprints = static_cast<double>(
              std::unique(c.sprints.begin(), c.sprints.end()) - c.sprints.begin());
        }
        put(g, "sprints", sprints);
        if (dated) {
          put(g, "deliveries", c.deliveries);
          put(g, "on_time_deliveries", c.on_time);
        }
        if (typed) {
          put(g, "defects", c.defects);
          put(g, "defects_pre_release", c.pre);
          put(g, "defects_post_release", c.post);
        }
        put(g, "delivered_items", c.delivered);
        table.groups.push_back(std::move(g));
      }
    }
    return table;
  }

 private:
  time::Period period_;
  TimeContext time_;
  Columns columns_;
  kinds::Segments segments_;
  kinds::DaySpan span_;
  kinds::Interner sprints_;
  std::vector<Item> items_;
  std::uint64_t not_completed_ = 0;
};

}  // namespace

std::unique_ptr<Aggregator> make_work_items_aggregator(const ComputeOptions& options,
                                                       const TimeContext& time) {
  return std::make_unique<WorkItemsAggregator>(options, time);
}

}  // namespace kpi
