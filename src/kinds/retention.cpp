// `kpi retention` (METRICS.md §3): cohorts by the period of a user's first
// (start) event, or every period they are active in; retained at offset k when
// active (or doing the return event) in cohort+k, or from cohort+k on. Each
// --by segment is computed as if its rows were the whole input.
#include <algorithm>
#include <bit>
#include <limits>
#include <span>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events_store.hpp"
#include "kpi/formulas/common.hpp"
#include "kpi/io/bulk.hpp"
#include "kpi/kinds/events.hpp"
#include "kpi/registry.hpp"

namespace kpi {
namespace {

using namespace events_detail;
using time::Micros;

// Counts of one segment: size per cohort, retained per cohort and offset.
struct SegmentTable {
  std::uint32_t seg = 0;
  std::vector<std::uint64_t> size;
  std::vector<std::vector<std::uint64_t>> retained;
};

// Without --by, retention reads only whether a user has a start or a return
// row in a period, and their first start: the log keeps the rows of a start or
// a return event alone, and of those one per user, kind and local day
// (RowFold), so its size follows users and days, not rows.
LogColumns retention_columns(const RetentionOptions& options) {
  LogColumns columns{false, false, false, options.by, {}, {}};
  if (options.by.empty() && !options.start_event.empty() && !options.return_event.empty())
    columns.only_events = {options.start_event, options.return_event};
  return columns;
}

class RetentionAnalysis final : public LoggedAnalysis<RetentionOptions> {
 public:
  RetentionAnalysis(const RetentionOptions& options, const TimeContext& time)
      : LoggedAnalysis(options, retention_columns(options), time) {
    if (!opt_.by.empty()) return;
    RowFold fold;
    fold.classify = [start = opt_.start_event, ret = opt_.return_event](std::string_view event) {
      const bool starts = start.empty() || event == start, returns = ret.empty() || event == ret;
      return static_cast<std::uint8_t>((starts ? 1 : 0) | (returns ? 2 : 0));
    };
    fold.span = RowFold::Span::day;
    log_.fold_rows(std::move(fold));
  }
  Expected<ResultSet> finish() override;

 private:
  struct Codes {
    std::uint32_t start = kNone, ret = kNone;  ///< kNone: any event (or an event never seen)
  };
  bool starts(const Codes& c, std::uint32_t event) const noexcept {
    return opt_.start_event.empty() || event == c.start;
  }
  bool returns(const Codes& c, std::uint32_t event) const noexcept {
    return opt_.return_event.empty() || event == c.ret;
  }
  SegmentTable count_unsorted(const kinds::PeriodGrid& grid, const Codes& codes) const;
  std::vector<SegmentTable> count_sorted(const kinds::PeriodGrid& grid, const Codes& codes);
};

constexpr std::size_t kNoPeriod = static_cast<std::size_t>(-1);

// Adds one user's cohorts (period indices, ascending) to `t`: each counts the
// user once, and as retained at offset k when they returned in cohort + k (mode
// on) or in cohort + k or later (on_or_after; `last_return` is their last
// return period, or kNoPeriod). Offset 0 of a first cohort is the cohort itself
// (METRICS.md §3).
template <class ReturnedIn>
void count_user(SegmentTable& t, const RetentionOptions& opt, const std::vector<std::size_t>& cohorts,
                const ReturnedIn& returned_in, std::size_t last_return) {
  const std::size_t np = t.size.size();
  const auto horizon = static_cast<std::size_t>(opt.horizon);
  for (const std::size_t c : cohorts) {
    ++t.size[c];
    for (std::size_t k = 0; k <= horizon && c + k < np; ++k) {
      const std::size_t target = c + k;
      bool kept;
      if (k == 0 && opt.cohort == CohortMode::first) {
        kept = true;
      } else if (opt.mode == RetentionMode::on) {
        kept = returned_in(target);
      } else {
        kept = last_return != kNoPeriod && last_return >= target;
      }
      if (kept) ++t.retained[c][k];
    }
  }
}

SegmentTable empty_table(std::uint32_t seg, std::size_t np, std::size_t horizon) {
  SegmentTable t;
  t.seg = seg;
  t.size.assign(np, 0);
  t.retained.assign(np, std::vector<std::uint64_t>(horizon + 1, 0));
  return t;
}

// Index of the period holding in-range instant ts, caching the last day's.
class PeriodOf {
 public:
  PeriodOf(const kinds::PeriodGrid& grid, const time::Zone& zone) : grid_(grid), day_of_(zone) {}
  std::size_t operator()(Micros ts) {
    const time::Day d = day_of_(ts);
    if (d != day_) {
      day_ = d;
      index_ = grid_.index_of(d);
    }
    return index_;
  }

 private:
  const kinds::PeriodGrid& grid_;
  DayCache day_of_;
  time::Day day_ = std::numeric_limits<time::Day>::min();
  std::size_t index_ = 0;
};

// What decides a user's cohorts and returns, as bitsets over the grid's
// periods (`words` 64-bit words per user): periods with a return event, with a
// start event (recurring cohorts), and the first start instant (first cohorts).
struct UserActivity {
  static constexpr Micros kNever = std::numeric_limits<Micros>::max();
  static std::size_t words_for(std::size_t periods) noexcept { return (periods + 63) / 64; }

  std::size_t words;
  std::vector<std::uint64_t> returns, starts;
  std::vector<Micros> first_start;  ///< kNever when none

  UserActivity(std::size_t users, std::size_t periods, const RetentionOptions& opt) : words(words_for(periods)) {
    returns.assign(users * words, 0);
    if (opt.cohort == CohortMode::recurring) starts.assign(users * words, 0);
    if (opt.cohort == CohortMode::first) first_start.assign(users, kNever);
  }
  /// Bit p of `user`'s bitset in `bits` (returns or starts).
  void set(std::vector<std::uint64_t>& bits, std::size_t user, std::size_t p) const noexcept {
    bits[user * words + p / 64] |= std::uint64_t{1} << (p % 64);
  }
  bool test(const std::vector<std::uint64_t>& bits, std::size_t user, std::size_t p) const noexcept {
    return ((bits[user * words + p / 64] >> (p % 64)) & 1u) != 0;
  }
  void merge(const UserActivity& other) noexcept {
    for (std::size_t i = 0; i < returns.size(); ++i) returns[i] |= other.returns[i];
    for (std::size_t i = 0; i < starts.size(); ++i) starts[i] |= other.starts[i];
    for (std::size_t i = 0; i < first_start.size(); ++i)
      first_start[i] = std::min(first_start[i], other.first_start[i]);
  }
};

// Bitsets of this many words (over all users) at most replace the sort.
constexpr std::size_t kActivityWordsMax = std::size_t{1} << 22;

// Each user's cohorts and returns from the log as it lies, in input order on
// every core: a user's events need no grouping nor time order here, since
// returns are a set of periods and a first cohort is the earliest start. The
// same counts as count_sorted's for one segment, with neither the sort's time
// nor its copy of the log.
SegmentTable RetentionAnalysis::count_unsorted(const kinds::PeriodGrid& grid, const Codes& codes) const {
  const std::size_t users = log_.users().size();
  const std::size_t nt = log_.size() < (std::size_t{1} << 16) ? 1 : io::bulk_threads();
  std::vector<UserActivity> seen(nt, UserActivity(users, grid.size(), opt_));
  const bool first = opt_.cohort == CohortMode::first;
  for_each_slice(log_, nt, [&](std::size_t t, std::span<const Event> events) {
    UserActivity& a = seen[t];
    PeriodOf period_of(grid, time_.zone);
    for (const Event& e : events) {
      const bool start = starts(codes, e.event);
      if (first && start) a.first_start[e.user] = std::min(a.first_start[e.user], e.ts);
      if (!grid.contains_instant(e.ts)) continue;
      const std::size_t p = period_of(e.ts);
      if (returns(codes, e.event)) a.set(a.returns, e.user, p);
      if (!first && start) a.set(a.starts, e.user, p);
    }
  });
  for (std::size_t t = 1; t < nt; ++t) seen[0].merge(seen[t]);
  const UserActivity& all = seen[0];

  SegmentTable table = empty_table(0, grid.size(), static_cast<std::size_t>(opt_.horizon));
  PeriodOf period_of(grid, time_.zone);
  std::vector<std::size_t> cohorts;
  for (std::size_t u = 0; u < users; ++u) {
    const std::size_t at = u * all.words;  // the user's first word
    cohorts.clear();
    if (first) {
      if (grid.contains_instant(all.first_start[u])) cohorts.push_back(period_of(all.first_start[u]));
    } else {
      for (std::size_t w = 0; w < all.words; ++w)
        for (std::uint64_t bits = all.starts[at + w]; bits != 0; bits &= bits - 1)
          cohorts.push_back(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
    }
    if (cohorts.empty()) continue;
    std::size_t last_return = kNoPeriod;
    for (std::size_t w = all.words; w-- > 0;) {
      if (const std::uint64_t bits = all.returns[at + w]; bits != 0) {
        last_return = w * 64 + 63 - static_cast<std::size_t>(std::countl_zero(bits));
        break;
      }
    }
    count_user(
        table, opt_, cohorts, [&](std::size_t p) { return all.test(all.returns, u, p); },
        last_return);
  }
  return table;
}

// One table per segment with rows in range (the one segment without --by),
// from the log sorted by (segment, user, time).
std::vector<SegmentTable> RetentionAnalysis::count_sorted(const kinds::PeriodGrid& grid, const Codes& codes) {
  const bool segmented = !opt_.by.empty();
  const SortedEvents ev = sort_events(log_, SortPlan{segmented, segmented, false});
  PeriodOf period_of(grid, time_.zone);
  std::vector<SegmentTable> tables;
  std::vector<std::size_t> returns_in, cohorts;  // per-user scratch: period indices, ascending
  std::size_t b = 0;
  while (b < ev.size()) {
    std::size_t e = b;
    while (e < ev.size() && ev.seg(e) == ev.seg(b)) ++e;
    SegmentTable t = empty_table(ev.seg(b), grid.size(), static_cast<std::size_t>(opt_.horizon));
    bool any_in_range = false;
    std::size_t ub = b;
    while (ub < e) {
      std::size_t ue = ub;
      while (ue < e && ev[ue].user == ev[ub].user) ++ue;
      const std::size_t next_user = ue;
      while (ue > ub && ev[ue - 1].ts >= grid.end()) --ue;  // after the range: ignored
      std::size_t ib = ub;
      while (ib < ue && ev[ib].ts < grid.begin()) ++ib;
      if (ib < ue) any_in_range = true;
      returns_in.clear();
      cohorts.clear();
      for (std::size_t i = ib; i < ue; ++i) {
        const std::size_t p = period_of(ev[i].ts);
        if (returns(codes, ev[i].event) && (returns_in.empty() || returns_in.back() != p))
          returns_in.push_back(p);
        if (opt_.cohort == CohortMode::recurring && starts(codes, ev[i].event) &&
            (cohorts.empty() || cohorts.back() != p))
          cohorts.push_back(p);
      }
      if (opt_.cohort == CohortMode::first) {
        // The first (start) event of the whole input; a user first seen before the
        // range is history, not a cohort member.
        for (std::size_t i = ub; i < ue; ++i) {
          if (starts(codes, ev[i].event)) {
            if (ev[i].ts >= grid.begin()) cohorts.push_back(period_of(ev[i].ts));
            break;
          }
        }
      }
      count_user(
          t, opt_, cohorts,
          [&](std::size_t p) { return std::binary_search(returns_in.begin(), returns_in.end(), p); },
          returns_in.empty() ? kNoPeriod : returns_in.back());
      ub = next_user;
    }
    if (any_in_range || !segmented) tables.push_back(std::move(t));
    b = e;
  }
  return tables;
}

Expected<ResultSet> RetentionAnalysis::finish() {
  ResultSet out;
  if (opt_.horizon < 0) return Error("kpi retention: --horizon must be 0 or more");
  auto made = analysis_grid(log_, opt_.period, "retention", out.warnings);
  if (!made) return std::move(made).error();
  if (!*made) return out;
  const kinds::PeriodGrid& grid = **made;
  const std::size_t np = grid.size();
  const auto horizon = static_cast<std::size_t>(opt_.horizon);
  auto code_of = [&](const std::string& name, std::string_view option) -> std::uint32_t {
    if (name.empty()) return kNone;
    const std::uint32_t c = log_.names().find(name);
    if (c == kNone)
      out.warnings.push_back("retention: " + std::string(option) + " '" + name +
                             "' never occurs in the input");
    return c;
  };
  const Codes codes{code_of(opt_.start_event, "--start-event"), code_of(opt_.return_event, "--return-event")};

  const bool segmented = !opt_.by.empty();
  std::vector<SegmentTable> tables;
  if (!segmented && log_.users().size() * UserActivity::words_for(np) <= kActivityWordsMax)
    tables.push_back(count_unsorted(grid, codes));
  else
    tables = count_sorted(grid, codes);
  if (tables.empty()) {  // no rows at all, but --from/--to give a range
    if (!segmented) tables.push_back(empty_table(0, np, horizon));
  }
  std::vector<std::uint32_t> order = log_.sorted_segments();
  std::vector<std::size_t> rank(log_.segment_count(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  std::stable_sort(tables.begin(), tables.end(), [&](const SegmentTable& x, const SegmentTable& y) {
    return (x.seg < rank.size() ? rank[x.seg] : 0) < (y.seg < rank.size() ? rank[y.seg] : 0);
  });

  // Warnings: one per cohort for the cells beyond the range, one per empty cohort.
  for (const auto& t : tables) {
    const Dims dims = segmented ? log_.segment_dims(t.seg) : Dims{};
    for (std::size_t c = 0; c < np; ++c) {
      const std::string where = scope(grid.label(c), dims);
      if (c + horizon >= np) {
        const std::size_t first_beyond = np - c;
        const std::string offsets =
            first_beyond == horizon
                ? "offset " + std::to_string(horizon) + " lies"
                : "offsets " + std::to_string(first_beyond) + "-" + std::to_string(horizon) + " lie";
        out.warnings.push_back("retained_users, retention_rate " + where + ": " + offsets +
                               " beyond the end of the range: no value");
      }
      if (t.size[c] == 0)
        out.warnings.push_back("retention_rate " + where + ": no value: empty cohort");
    }
  }

  std::vector<std::string> metrics{"cohort_size", "retained_users", "retention_rate"};
  std::stable_sort(metrics.begin(), metrics.end(), [](const std::string& x, const std::string& y) {
    const bool kx = find_metric(x) != nullptr, ky = find_metric(y) != nullptr;
    if (kx && ky) return catalog_index(x) < catalog_index(y);
    return kx && !ky;
  });
  for (const auto& metric : metrics) {
    for (std::size_t c = 0; c < np; ++c) {
      const std::string label = grid.label(c);
      for (const auto& t : tables) {
        const Dims dims = segmented ? log_.segment_dims(t.seg) : Dims{};
        if (metric == "cohort_size") {
          out.results.push_back(Result{metric, label, dims, static_cast<double>(t.size[c])});
          continue;
        }
        for (std::size_t k = 0; k <= horizon; ++k) {
          Result r{metric, label, dims, std::nullopt};
          r.dims.emplace_back("offset", std::to_string(k));
          if (c + k < np) {
            const auto kept = static_cast<double>(t.retained[c][k]);
            r.value = metric == "retained_users"
                          ? std::optional<double>(kept)
                          : formulas::percent_of(kept, static_cast<double>(t.size[c]));
          }
          out.results.push_back(std::move(r));
        }
      }
    }
  }
  return out;
}

}  // namespace

std::optional<RetentionMode> parse_retention_mode(std::string_view text) noexcept {
  if (text == "on") return RetentionMode::on;
  if (text == "on_or_after") return RetentionMode::on_or_after;
  return std::nullopt;
}

std::optional<CohortMode> parse_cohort_mode(std::string_view text) noexcept {
  if (text == "first") return CohortMode::first;
  if (text == "recurring") return CohortMode::recurring;
  return std::nullopt;
}

std::unique_ptr<EventsAnalysis> make_retention(const RetentionOptions& options,
                                               const TimeContext& time) {
  return std::make_unique<RetentionAnalysis>(options, time);
}

Expected<ResultSet> run_retention(const RetentionOptions& options) {
  return events_detail::run_events_analysis(
      options.input, "retention",
      [&](const TimeContext& time) { return make_retention(options, time); });
}

}  // namespace kpi
