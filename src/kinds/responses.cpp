// responses — NPS and CSAT surveys (METRICS.md §2).
//
// A row is NPS (integer 0–10) or CSAT (integer 1–5) by its `survey` value
// (nps|csat, case-insensitive); without the column, or where it is blank, by
// `--survey` (default nps). "9.0" reads as 9, "9.5" is an error. NPS rows feed
// promoters (9–10) / passives (7–8) / detractors (0–6); CSAT rows feed
// survey_responses / positive_responses (4–5). Only the survey types present
// are reported. When any input file has no `timestamp` column the responses
// cannot be placed in time, so every response falls in the period `all` (with a
// warning); a blank timestamp in a file that has the column is an error.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kpi/kinds/aggregator.hpp"
#include "record_common.hpp"

namespace kpi {
namespace {

using kinds::Columns;
using kinds::put;

constexpr std::string_view kRequired[] = {"score"};
constexpr std::string_view kOptional[] = {"timestamp", "survey", "respondent_id"};
enum Col : std::size_t { kScore, kTimestamp, kSurvey, kRespondent };

struct Response {
  std::uint32_t segment;
  time::Day day;  // meaningful only when every file had a timestamp column
  bool csat;
  std::int8_t score;
};

class ResponsesAggregator final : public Aggregator {
 public:
  ResponsesAggregator(const ComputeOptions& options, const TimeContext& time)
      : period_(options.period),
        default_csat_(kinds::iequals(options.survey, "csat")),
        time_(time),
        columns_(kRequired, kOptional, options.by) {}

  std::vector<std::string> columns(const std::vector<std::string>& available) override {
    auto names = columns_.bind(available);
    if (!columns_.has(kTimestamp)) untimed_file_ = true;
    return names;
  }

  Status add(const io::Record& r) override {
    const auto slot = [&](Col c) { return columns_.slot(c); };
    if (auto s = kinds::require_nonblank(r, slot(kScore), "score"); !s) return s;
    bool csat = default_csat_;
    if (const auto text = kinds::text_at(r, slot(kSurvey)); !text.empty()) {
      if (kinds::iequals(text, "csat")) {
        csat = true;
      } else if (kinds::iequals(text, "nps")) {
        csat = false;
      } else {
        return r.error(slot(kSurvey), "survey", "nps or csat");
      }
    }
    const auto score = csat ? kinds::parse_int_score(kinds::text_at(r, slot(kScore)), 1, 5)
                            : kinds::parse_int_score(kinds::text_at(r, slot(kScore)), 0, 10);
    if (!score) {
      return r.error(slot(kScore), "score",
                     csat ? "an integer CSAT score from 1 to 5" : "an integer NPS score from 0 to 10");
    }
    time::Day day = 0;
    const bool timed = columns_.has(kTimestamp);
    if (timed) {
      if (auto s = kinds::require_nonblank(r, slot(kTimestamp), "timestamp"); !s) return s;
      const auto t = kinds::read_time(r, slot(kTimestamp), "timestamp", time_);
      if (!t) return t.error();
      day = time_.zone.local_day(*t);
    }
    if (auto s = segments_.prepare(r, columns_); !s) return s;

    if (timed) span_.add(day);
    if (csat) {
      any_csat_ = true;
    } else {
      any_nps_ = true;
    }
    const auto seg = static_cast<std::uint32_t>(segments_.commit(columns_));
    responses_.push_back({seg, day, csat, static_cast<std::int8_t>(*score)});
    return Status::ok();
  }

  Expected<Table> finish() override {
    std::vector<std::string> warnings;
    std::optional<kinds::PeriodGrid> grid;
    std::size_t n = 1;
    if (untimed_file_) {
      warnings.push_back(
          "responses: the input has no 'timestamp' column, so every response is counted in "
          "the period 'all'" +
          std::string(time_.from || time_.to ? " (--from/--to ignored)" : ""));
    } else {
      auto made = kinds::PeriodGrid::make(time_, period_, span_.first, span_.last);
      if (!made) return std::move(made).error();
      grid = *made;
      if (!grid) return kinds::empty_table("responses", std::move(warnings));
      n = grid->size();
    }
    segments_.ensure_default(columns_);
    const std::size_t nseg = segments_.size();

    struct Cell {
      double promoters = 0, passives = 0, detractors = 0, surveys = 0, positive = 0;
    };
    std::vector<Cell> cells(n * nseg);
    for (const Response& x : responses_) {
      std::size_t i = 0;
      if (grid) {
        if (!grid->contains(x.day)) continue;  // outside the range: ignored
        i = grid->index_of(x.day);
      }
      Cell& c = cells[i * nseg + x.segment];
      if (x.csat) {
        c.surveys += 1;
        if (x.score >= 4) c.positive += 1;
      } else if (x.score >= 9) {
        c.promoters += 1;
      } else if (x.score >= 7) {
        c.passives += 1;
      } else {
        c.detractors += 1;
      }
    }

    // With no response at all, report the survey type the options imply.
    const bool none = !any_nps_ && !any_csat_;
    const bool nps = any_nps_ || (none && !default_csat_);
    const bool csat = any_csat_ || (none && default_csat_);
    const auto order = segments_.sorted();
    Table table;
    table.warnings = std::move(warnings);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string label = grid ? grid->label(i) : std::string("all");
      for (std::size_t s : order) {
        const Cell& c = cells[i * nseg + s];
        Group g;
        g.period = label;
        g.dims = segments_.dims(s);
        if (nps) {
          put(g, "promoters", c.promoters);
          put(g, "passives", c.passives);
          put(g, "detractors", c.detractors);
        }
        if (csat) {
          put(g, "survey_responses", c.surveys);
          put(g, "positive_responses", c.positive);
        }
        table.groups.push_back(std::move(g));
      }
    }
    return table;
  }

 private:
  time::Period period_;
  bool default_csat_;
  TimeContext time_;
  Columns columns_;
  kinds::Segments segments_;
  kinds::DaySpan span_;
  std::vector<Response> responses_;
  bool untimed_file_ = false;
  bool any_nps_ = false, any_csat_ = false;
};

}  // namespace

std::unique_ptr<Aggregator> make_responses_aggregator(const ComputeOptions& options,
                                                      const TimeContext& time) {
  return std::make_unique<ResponsesAggregator>(options, time);
}

}  // namespace kpi
