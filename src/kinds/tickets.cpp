// tickets — support volume, escalations, first response and CSAT (METRICS.md §2).
//
// A ticket belongs to the period of its `created_at`; tickets created outside
// the analysis range are ignored (tickets have no history that matters). Only
// what the input has is measured: the first-response inputs need a
// `first_response_at` column, escalations an `escalated` column, CSAT a
// `satisfaction` column — otherwise those metrics would be a column of
// meaningless zeros or nulls.
//
// Response targets (`first_response_within_target_rate`): email 24 h, social
// 60 min, phone 3 min, any other (or blank) channel 24 h. `--target
// CHANNEL=DUR` overrides a channel, matched case-insensitively; `--target
// *=DUR` or `--target default=DUR` overrides the fallback for other channels.
// A response exactly at the target is within it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kpi/formulas/formulas.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "record_common.hpp"

namespace kpi {
namespace {

using kinds::Columns;
using kinds::put;
using time::Micros;

constexpr std::string_view kRequired[] = {"ticket_id", "created_at"};
constexpr std::string_view kOptional[] = {"first_response_at", "resolved_at", "escalated",
                                          "channel", "satisfaction"};
enum Col : std::size_t {
  kId,
  kCreated,
  kFirstResponse,
  kResolved,
  kEscalated,
  kChannel,
  kSatisfaction
};

struct Ticket {
  std::uint32_t segment;
  time::Day day;               // local day of created_at
  double response_seconds;     // < 0: no response
  bool within_target;
  bool escalated;
  std::int8_t rating;          // 0: no rating
};

class TicketsAggregator final : public Aggregator {
 public:
  TicketsAggregator(const ComputeOptions& options, const TimeContext& time)
      : period_(options.period), time_(time), columns_(kRequired, kOptional, options.by) {
    for (const auto& [channel, target] : options.targets) {
      if (channel == "*" || kinds::iequals(channel, "default")) {
        fallback_target_ = target;
      } else {
        targets_.emplace_back(kinds::to_lower(channel), target);
      }
    }
  }

  std::vector<std::string> columns(const std::vector<std::string>& available) override {
    return columns_.bind(available);
  }

  Status add(const io::Record& r) override {
    const auto slot = [&](Col c) { return columns_.slot(c); };
    if (auto s = kinds::require_nonblank(r, slot(kId), "ticket_id"); !s) return s;
    if (auto s = kinds::require_nonblank(r, slot(kCreated), "created_at"); !s) return s;
    const auto created = kinds::read_time(r, slot(kCreated), "created_at", time_);
    if (!created) return created.error();

    double response_seconds = -1;
    bool within = false;
    if (!kinds::text_at(r, slot(kFirstResponse)).empty()) {
      const auto t = kinds::read_time(r, slot(kFirstResponse), "first_response_at", time_);
      if (!t) return t.error();
      if (*t < *created) return not_before_created(r, slot(kFirstResponse), "first_response_at");
      const Micros elapsed = *t - *created;
      response_seconds = static_cast<double>(elapsed) / static_cast<double>(time::kMicrosPerSecond);
      within = elapsed <= target_for(kinds::text_at(r, slot(kChannel)));
    }
    if (!kinds::text_at(r, slot(kResolved)).empty()) {
      const auto t = kinds::read_time(r, slot(kResolved), "resolved_at", time_);
      if (!t) return t.error();
      if (*t < *created) return not_before_created(r, slot(kResolved), "resolved_at");
    }
    bool escalated = false;
    if (const auto text = kinds::text_at(r, slot(kEscalated)); !text.empty()) {
      // Blank means "not escalated": exports leave the flag empty when unset.
      const auto b = kinds::parse_bool(text);
      if (!b) return r.error(slot(kEscalated), "escalated", "true/false, 1/0 or yes/no");
      escalated = *b;
    }
    std::int8_t rating = 0;
    if (const auto text = kinds::text_at(r, slot(kSatisfaction)); !text.empty()) {
      const auto v = kinds::parse_int_score(text, 1, 5);
      if (!v) return r.error(slot(kSatisfaction), "satisfaction", "an integer score from 1 to 5");
      rating = static_cast<std::int8_t>(*v);
    }
    if (auto s = segments_.prepare(r, columns_); !s) return s;

    const time::Day day = time_.zone.local_day(*created);
    span_.add(day);
    const auto seg = static_cast<std::uint32_t>(segments_.commit(columns_));
    tickets_.push_back({seg, day, response_seconds, within, escalated, rating});
    return Status::ok();
  }

  Expected<Table> finish() override {
    auto made = kinds::PeriodGrid::make(time_, period_, span_.first, span_.last);
    if (!made) return std::move(made).error();
    const std::optional<kinds::PeriodGrid>& grid = *made;
    if (!grid) return kinds::empty_table("tickets", {});
    segments_.ensure_default(columns_);
    const std::size_t n = grid->size();
    const std::size_t nseg = segments_.size();

    struct Cell {
      double tickets = 0, escalated = 0, responded = 0, total_response = 0, within = 0;
      double surveys = 0, positive = 0;
      std::vector<double> response_times;
    };
    std::vector<Cell> cells(n * nseg);
    for (const Ticket& t : tickets_) {
      if (!grid->contains(t.day)) continue;  // outside the range: ignored
      Cell& c = cells[grid->index_of(t.day) * nseg + t.segment];
      c.tickets += 1;
      if (t.escalated) c.escalated += 1;
      if (t.response_seconds >= 0) {
        c.responded += 1;
        c.total_response += t.response_seconds;
        c.response_times.push_back(t.response_seconds);
        if (t.within_target) c.within += 1;
      }
      if (t.rating > 0) {
        c.surveys += 1;
        if (t.rating >= 4) c.positive += 1;
      }
    }

    const bool responses = columns_.ever_had(kFirstResponse);
    const bool escalations = columns_.ever_had(kEscalated);
    const bool ratings = columns_.ever_had(kSatisfaction);
    const auto order = segments_.sorted();
    Table table;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string label = grid->label(i);
      for (std::size_t s : order) {
        Cell& c = cells[i * nseg + s];
        Group g;
        g.period = label;
        g.dims = segments_.dims(s);
        put(g, "tickets", c.tickets);
        if (escalations) put(g, "escalated_tickets", c.escalated);
        if (responses) {
          put(g, "responded_tickets", c.responded);
          put(g, "total_first_response_time", c.total_response);
          std::sort(c.response_times.begin(), c.response_times.end());
          const char* why = "no responded ticket in the period";
          put(g, "first_response_time_median", formulas::percentile_sorted(c.response_times, 0.5),
              why);
          put(g, "first_response_time_p90", formulas::percentile_sorted(c.response_times, 0.9),
              why);
          put(g, "first_response_within_target_rate", formulas::percent_of(c.within, c.responded),
              why);
        }
        if (ratings) {
          put(g, "survey_responses", c.surveys);
          put(g, "positive_responses", c.positive);
        }
        table.groups.push_back(std::move(g));
      }
    }
    return table;
  }

 private:
  Micros target_for(std::string_view channel) const noexcept {
    for (const auto& [name, target] : targets_) {
      if (kinds::iequals(channel, name)) return target;
    }
    if (kinds::iequals(channel, "email")) return 24 * time::kMicrosPerHour;
    if (kinds::iequals(channel, "social")) return 60 * time::kMicrosPerMinute;
    if (kinds::iequals(channel, "phone")) return 3 * time::kMicrosPerMinute;
    return fallback_target_;
  }

  Error not_before_created(const io::Record& r, std::size_t slot, std::string_view name) const {
    return r.error(slot, name,
                   "a date-time not before created_at \"" +
                       std::string(kinds::text_at(r, columns_.slot(kCreated))) + "\"");
  }

  time::Period period_;
  TimeContext time_;
  Columns columns_;
  kinds::Segments segments_;
  kinds::DaySpan span_;
  std::vector<Ticket> tickets_;
  std::vector<std::pair<std::string, Micros>> targets_;
  Micros fallback_target_ = 24 * time::kMicrosPerHour;
};

}  // namespace

std::unique_ptr<Aggregator> make_tickets_aggregator(const ComputeOptions& options,
                                                    const TimeContext& time) {
  return std::make_unique<TicketsAggregator>(options, time);
}

}  // namespace kpi
