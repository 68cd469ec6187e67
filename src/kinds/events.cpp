// The events record kind: product-analytics inputs per period and segment
// (METRICS.md §2 "events"). Records go into the compact EventLog; `finish`
// sorts them by (segment, user, time) and makes one pass per user, so every
// "distinct users" count is a dedupe on monotone period indices, not a set.
// When every row is in range and there is no --by, sessions by id are tallied
// while reading instead, and the log keeps one page view (and one click) with
// a session id per user and local day: most rows of an export are those.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events_store.hpp"
#include "kpi/formulas/common.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "kpi/io/bulk.hpp"
#include "kpi/kinds/events.hpp"

namespace kpi {
namespace {

using namespace events_detail;
using time::Day;
using time::Micros;

enum Role : std::size_t {
  kPageView, kClick, kTrial, kMql, kSql, kPql, kPurchase, kActivation,
  kOnboardingView, kOnboardingStart, kOnboardingComplete, kValue, kRoleCount
};

constexpr EventRole kRoles[kRoleCount] = {
    {"page_view", "page_view"},
    {"click", "click"},
    {"trial", "trial_start"},
    {"mql", "mql"},
    {"sql", "sql"},
    {"pql", "pql"},
    {"purchase", "purchase"},
    {"activation", "activation"},
    {"onboarding_view", "onboarding_view"},
    {"onboarding_start", "onboarding_start"},
    {"onboarding_complete", "onboarding_complete"},
    {"value", "(the purchase event)"},
};

// Metrics each role feeds: a role's "never occurs" warning is only relevant
// when one of them is reported.
constexpr std::string_view kRoleMetrics[kRoleCount] = {
    "page_views visitors pages_per_session visitor_to_trial_rate visitor_to_sql_rate",
    "clicks clicks_per_session",
    "trial_signups trial_conversions visitor_to_trial_rate trial_to_pql_rate trial_to_paid_rate",
    "mqls",
    "sqls visitor_to_sql_rate",
    "pqls trial_to_pql_rate",
    "paying_users trial_conversions revenue conversion_rate trial_to_paid_rate",
    "activated_users activation_rate",
    "onboarding_views",
    "onboarding_started onboarding_completion_rate",
    "onboarding_completed onboarding_completion_rate",
    "time_to_value time_to_value_p90",
};

// Roles counted as "distinct users with that event" per period, and their ids.
constexpr std::pair<Role, std::string_view> kUserRoles[] = {
    {kPageView, "visitors"},          {kTrial, "trial_signups"},
    {kMql, "mqls"},                   {kSql, "sqls"},
    {kPql, "pqls"},                   {kPurchase, "paying_users"},
    {kOnboardingView, "onboarding_views"}, {kOnboardingStart, "onboarding_started"},
    {kOnboardingComplete, "onboarding_completed"},
};
constexpr std::size_t kUserRoleCount = std::size(kUserRoles);

bool mentions(std::string_view list, std::string_view id) {
  while (!list.empty()) {
    const std::size_t sp = list.find(' ');
    if (list.substr(0, sp) == id) return true;
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return false;
}

struct PeriodCounts {
  std::uint64_t active = 0, new_users = 0, total_users = 0;
  std::uint64_t sessions = 0, page_views = 0, clicks = 0, actions = 0;
  Micros session_micros = 0;
  std::array<std::uint64_t, kUserRoleCount> role_users{};
  std::uint64_t trial_conversions = 0;
  std::uint64_t activated = 0, act_decidable = 0, act_pending = 0;
  std::uint64_t churned = 0, churn_decidable = 0, churn_pending = 0;
  double revenue = 0;
  std::uint64_t purchases_without_value = 0;
  std::vector<double> ttv;
  std::vector<std::vector<double>> time_to;

  // Adds the counts of a later range of users (Tally::merge). Not revenue: a
  // sum of doubles depends on its order, so Tally adds it up in user order.
  void merge(const PeriodCounts& b) {
    active += b.active;
    new_users += b.new_users;
    sessions += b.sessions;
    page_views += b.page_views;
    clicks += b.clicks;
    actions += b.actions;
    session_micros += b.session_micros;
    for (std::size_t k = 0; k < kUserRoleCount; ++k) role_users[k] += b.role_users[k];
    trial_conversions += b.trial_conversions;
    activated += b.activated;
    act_decidable += b.act_decidable;
    act_pending += b.act_pending;
    churned += b.churned;
    churn_decidable += b.churn_decidable;
    churn_pending += b.churn_pending;
    purchases_without_value += b.purchases_without_value;
    ttv.insert(ttv.end(), b.ttv.begin(), b.ttv.end());
    for (std::size_t t = 0; t < time_to.size(); ++t)
      time_to[t].insert(time_to[t].end(), b.time_to[t].begin(), b.time_to[t].end());
  }
};

// Consecutive rows of one user with the same session code.
struct SessionRun {
  std::uint32_t code = kNone;
  std::uint32_t tag = 0;  // SessionIds::tag(code)
  Micros start = 0, last = 0;
  std::uint64_t n = 0, pv = 0, cl = 0;
};

// What one pass over a range of users counts. Ranges of users are measured
// on separate threads and their tallies merged in user order; sums of doubles
// (revenue) are kept as lists and added up only then, in that order, so the
// result is the one-thread result bit for bit.
struct Tally {
  std::vector<PeriodCounts> pc;
  std::vector<std::uint64_t> day_users, week_users, month_users;
  std::map<std::uint32_t, std::vector<std::uint64_t>> feature_users;  // by feature code
  std::uint64_t history_users = 0;
  std::vector<std::pair<std::size_t, double>> revenue;  // (period, value), in user order

  // Adds `later` (the next range of users) to this one.
  void merge(Tally& later) {
    for (std::size_t p = 0; p < pc.size(); ++p) pc[p].merge(later.pc[p]);
    const auto add = [](std::vector<std::uint64_t>& into, const std::vector<std::uint64_t>& from) {
      for (std::size_t i = 0; i < into.size(); ++i) into[i] += from[i];
    };
    add(day_users, later.day_users);
    add(week_users, later.week_users);
    add(month_users, later.month_users);
    for (auto& [f, counts] : later.feature_users) {
      auto& mine = feature_users[f];
      if (mine.empty()) mine.assign(counts.size(), 0);
      add(mine, counts);
    }
    history_users += later.history_users;
    revenue.insert(revenue.end(), later.revenue.begin(), later.revenue.end());
  }
};

// The event name of each role: the defaults, as --event reassigns them; the
// value event defaults to the purchase event. (Unknown roles are reported by
// check_event_roles.)
struct RoleNames {
  std::array<std::string, kRoleCount> event;
  bool value_given = false;  ///< --event value=NAME
};
RoleNames role_names(const ComputeOptions& options) {
  RoleNames names;
  for (std::size_t r = 0; r < kRoleCount; ++r) names.event[r] = std::string(kRoles[r].default_event);
  for (const auto& [role, name] : options.event_roles) {
    for (std::size_t r = 0; r < kRoleCount; ++r)
      if (kRoles[r].role == role) names.event[r] = name;
    if (role == "value") names.value_given = true;
  }
  if (!names.value_given) names.event[kValue] = names.event[kPurchase];
  return names;
}

// Sessions by id are tallied while reading (LogColumns::session_tallies)
// instead of from the sorted rows only when every row is in the analysis
// range (no --from, no --to), as the tallies count every row; and without
// --by, whose sessions are per segment.
LogColumns events_columns(const ComputeOptions& options, const TimeContext& time, const RoleNames& names) {
  LogColumns columns{true, true, true, options.by, {}, {}};
  if (options.by.empty() && !time.from && !time.to)
    columns.session_tallies = LogColumns::SessionCounts{names.event[kPageView], names.event[kClick]};
  return columns;
}

// With sessions tallied, a page view or click row with a session id (and no
// feature or value) tells the rest of the report only that its user had that
// event on that local day, at that instant or later: the log keeps one such
// row per user, event and day, the earliest (RowFold). Every other row is
// kept: purchases count one by one, and a row without a session id belongs to
// a session cut by time gaps.
RowFold events_fold(const RoleNames& names) {
  RowFold fold;
  fold.classify = [names = names.event](std::string_view event) -> std::uint8_t {
    if (event == names[kPurchase] || event == names[kValue]) return 0;
    if (event == names[kPageView]) return 1;
    if (event == names[kClick]) return 2;
    return 0;
  };
  fold.span = RowFold::Span::day;
  return fold;
}

class EventsAggregator final : public EventLogSink<Aggregator> {
 public:
  EventsAggregator(const ComputeOptions& options, const TimeContext& time)
      : EventsAggregator(options, time, role_names(options)) {}

  Expected<Table> finish() override;

 private:
  bool reported(std::string_view id) const {
    if (opt_.metrics.empty()) return true;
    return std::find(opt_.metrics.begin(), opt_.metrics.end(), id) != opt_.metrics.end();
  }
  bool role_reported(std::size_t role) const {
    if (opt_.metrics.empty()) return true;
    for (const auto& m : opt_.metrics)
      if (mentions(kRoleMetrics[role], m)) return true;
    return false;
  }
  EventsAggregator(const ComputeOptions& options, const TimeContext& time, const RoleNames& names)
      : EventLogSink(events_columns(options, time, names), time),
        opt_(options),
        tallied_(log_.tallies_sessions()) {
    if (tallied_) log_.fold_rows(events_fold(names));
  }
  Status resolve(Table& table);
  void group_session_codes();
  void merge_session_runs(std::vector<SessionRun>& runs) const;
  // A hint that `user`'s session tallies are read next: they lie far apart
  // (codes follow the input), a cache miss each.
  void prefetch_tallies(std::uint32_t user) const noexcept {
    const CodedRuns<SessionTally>& tallies = log_.session_tallies();
    for (std::uint32_t k = user_codes_at_[user]; k < user_codes_at_[user + 1]; ++k)
      __builtin_prefetch(&tallies[codes_of_user_[k]]);
  }
  void measure_segment(const SortedEvents& ev, std::size_t b, std::size_t e, const kinds::PeriodGrid& grid, const Dims& dims, std::vector<std::vector<Group>>& out,
                       std::vector<std::string>& warnings);
  Tally tally_users(const SortedEvents& ev, std::size_t b, std::size_t e, const kinds::PeriodGrid& grid) const;
  Tally tally_segment(const SortedEvents& ev, std::size_t b, std::size_t e, const kinds::PeriodGrid& grid) const;

  ComputeOptions opt_;  // a copy: the aggregator must not depend on the caller keeping it alive
  bool tallied_;        // sessions by id come from the log's session tallies (log_.tallies_sessions())
  // With tallied_: per user, their session codes (codes_of_user_[user_codes_at_[u]..[u + 1]]).
  // On huge pages: the grouping writes them at random.
  PodBuffer<std::uint32_t> user_codes_at_, codes_of_user_;
  // Resolved in finish():
  std::array<std::uint32_t, kRoleCount> role_code_{};
  std::array<std::string, kRoleCount> role_name_{};
  std::vector<std::uint16_t> role_mask_;    // per event code
  std::vector<bool> active_mask_;           // per event code; empty = every event
  std::vector<std::uint32_t> time_to_code_; // per --time-to
};

Status EventsAggregator::resolve(Table& table) {
  if (Status s = check_event_roles(opt_.event_roles); !s) return s;
  const RoleNames roles = role_names(opt_);
  role_name_ = roles.event;

  const StringPool& names = log_.names();
  role_mask_.assign(names.size(), 0);
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    role_code_[r] = names.find(role_name_[r]);
    if (role_code_[r] != kNone) {
      role_mask_[role_code_[r]] = static_cast<std::uint16_t>(role_mask_[role_code_[r]] | (1u << r));
    } else if ((r != kValue || roles.value_given) && role_reported(r)) {
      table.warnings.push_back("events: role '" + std::string(kRoles[r].role) + "' (event '" +
                               role_name_[r] + "') never occurs in the input; its counts are 0");
    }
  }
  active_mask_.clear();
  if (!opt_.active_events.empty()) {
    active_mask_.assign(names.size(), false);
    for (const auto& a : opt_.active_events) {
      const std::uint32_t c = names.find(a);
      if (c == kNone)
        table.warnings.push_back("events: --active-event '" + a + "' never occurs in the input");
      else
        active_mask_[c] = true;
    }
  }
  time_to_code_.clear();
  for (const auto& t : opt_.time_to) {
    const std::uint32_t c = names.find(t);
    if (c == kNone)
      table.warnings.push_back("events: --time-to event '" + t + "' never occurs in the input");
    time_to_code_.push_back(c);
  }
  return Status::ok();
}

Expected<Table> EventsAggregator::finish() {
  Table table;
  if (Status s = log_.check_by(); !s) return std::move(s).error();
  if (Status s = resolve(table); !s) return std::move(s).error();
  auto made = make_grid(log_, opt_.period);
  if (!made) return std::move(made).error();
  if (!*made) {
    table.warnings.push_back(log_.empty()
                                 ? "events: no events, nothing to report"
                                 : "events: the analysis range is empty (--to before the first "
                                   "event or --from after the last one)");
    return table;
  }
  const kinds::PeriodGrid& grid = **made;

  const bool segmented = !opt_.by.empty();
  // Without --by, the values ride along with the events: no input index.
  SortPlan plan;
  plan.by_segment = plan.input_index = segmented;
  plan.values = !segmented;
  const SortedEvents ev = sort_events(log_, plan);
  if (tallied_) group_session_codes();

  // Groups per period, each period's groups sorted by dims at the end.
  std::vector<std::vector<Group>> per_period(grid.size());
  std::size_t b = 0;
  while (b < ev.size()) {
    std::size_t e = b;
    while (e < ev.size() && ev.seg(e) == ev.seg(b)) ++e;
    const Dims dims = segmented ? log_.segment_dims(ev.seg(b)) : Dims{};
    measure_segment(ev, b, e, grid, dims, per_period, table.warnings);
    b = e;
  }
  if (ev.empty()) measure_segment(ev, 0, 0, grid, Dims{}, per_period, table.warnings);
  for (auto& groups : per_period) {
    std::stable_sort(groups.begin(), groups.end(),
                     [](const Group& x, const Group& y) { return x.dims < y.dims; });
    for (auto& g : groups) table.groups.push_back(std::move(g));
  }
  return table;
}

// Fewer events (or session codes) than this are measured (grouped) on one thread.
constexpr std::size_t kParallelTallyMin = std::size_t{1} << 16;

// Lists each user's session codes, ascending (a counting sort of the tallies
// by user; each thread counts and places one range of codes).
void EventsAggregator::group_session_codes() {
  const CodedRuns<SessionTally>& tallies = log_.session_tallies();
  const std::size_t users = log_.users().size(), n = tallies.size();
  const std::size_t nt = n < kParallelTallyMin ? 1 : io::bulk_threads();
  const auto range = [&](std::size_t k) { return std::pair{n * k / nt, n * (k + 1) / nt}; };
  // next[k][u]: where range k's first code of user u goes.
  std::vector<PodBuffer<std::uint32_t>> next(nt);
  run_parallel(nt, [&](std::size_t k) {
    next[k].grow_to(users, 0);
    const auto [lo, hi] = range(k);
    tallies.for_each(lo, hi, [&](std::size_t, const SessionTally& t) { ++next[k][t.user]; });
  });
  user_codes_at_.clear();
  user_codes_at_.reserve(users + 1);
  user_codes_at_.resize_for_overwrite(users + 1);
  std::uint32_t at = 0;
  for (std::size_t u = 0; u < users; ++u) {
    user_codes_at_[u] = at;
    for (std::size_t k = 0; k < nt; ++k) at += std::exchange(next[k][u], at);
  }
  user_codes_at_[users] = at;
  codes_of_user_.clear();
  codes_of_user_.reserve(n);
  codes_of_user_.resize_for_overwrite(n);
  run_parallel(nt, [&](std::size_t k) {
    const auto [lo, hi] = range(k);
    tallies.for_each(lo, hi, [&](std::size_t code, const SessionTally& t) {
      codes_of_user_[next[k][t.user]++] = static_cast<std::uint32_t>(code);
    });
  });
}

// Folds each run into the first earlier run of the same session id (a user's
// equal ids may carry several codes, see SessionIds), leaving it empty (n = 0).
// A session spans its runs' earliest to latest instant, in whatever order
// they come. Most users have few runs: a quadratic scan beats sorting them.
// Tags settle nearly every comparison without reading the ids (a cache miss
// each: codes of one user lie far apart).
void EventsAggregator::merge_session_runs(std::vector<SessionRun>& runs) const {
  const SessionIds& ids = log_.sessions();
  const auto same = [&](const SessionRun& x, const SessionRun& y) {
    return x.tag == y.tag && ids.same(x.code, y.code);
  };
  const auto fold = [](SessionRun& into, SessionRun& run) {
    into.start = std::min(into.start, run.start);
    into.last = std::max(into.last, run.last);
    into.n += run.n;
    into.pv += run.pv;
    into.cl += run.cl;
    run.n = 0;
  };
  constexpr std::size_t kScanMax = 64;
  if (runs.size() <= kScanMax) {
    for (std::size_t j = 1; j < runs.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (runs[i].n != 0 && same(runs[i], runs[j])) {
          fold(runs[i], runs[j]);
          break;
        }
      }
    }
    return;
  }
  std::vector<std::uint32_t> order(runs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    if (runs[x].tag != runs[y].tag) return runs[x].tag < runs[y].tag;
    return ids.before(runs[x].code, runs[y].code);
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    std::size_t first = k - 1;  // the group's first run (time order among equal ids)
    while (k < order.size() && same(runs[order[k]], runs[order[first]]))
      fold(runs[order[first]], runs[order[k++]]);
  }
}

Tally EventsAggregator::tally_users(const SortedEvents& ev, std::size_t b, std::size_t e,
                                    const kinds::PeriodGrid& grid) const {
  const std::size_t np = grid.size();
  DayCache day_of(time_.zone);
  Tally tally;
  tally.pc.resize(np);
  for (auto& c : tally.pc) c.time_to.resize(time_to_code_.size());
  tally.day_users.assign(static_cast<std::size_t>(grid.days()), 0);
  const std::int32_t wk0 = time::period_key(time::Period::week, grid.first_day());
  const std::int32_t wk1 = time::period_key(time::Period::week, grid.last_day());
  const std::int32_t mk0 = time::period_key(time::Period::month, grid.first_day());
  const std::int32_t mk1 = time::period_key(time::Period::month, grid.last_day());
  tally.week_users.assign(static_cast<std::size_t>(wk1 - wk0) + 1, 0);
  tally.month_users.assign(static_cast<std::size_t>(mk1 - mk0) + 1, 0);
  // Each in-range day's week and month (as offsets from the first), looked up
  // rather than computed at every active day.
  std::vector<std::int32_t> week_of(tally.day_users.size()), month_of(tally.day_users.size());
  for (std::size_t i = 0; i < week_of.size(); ++i) {
    const Day d = grid.first_day() + static_cast<Day>(i);
    week_of[i] = time::period_key(time::Period::week, d) - wk0;
    month_of[i] = time::period_key(time::Period::month, d) - mk0;
  }
  std::vector<PeriodCounts>& pc = tally.pc;
  std::vector<std::uint64_t>& day_users = tally.day_users;
  std::vector<std::uint64_t>& week_users = tally.week_users;
  std::vector<std::uint64_t>& month_users = tally.month_users;
  auto& feature_users = tally.feature_users;
  std::uint64_t& history_users = tally.history_users;

  const Micros timeout = opt_.session_timeout;
  const Micros act_window = opt_.activation_window;
  const Micros churn_window = opt_.early_churn_days * time::kMicrosPerDay;
  constexpr std::size_t kNoPeriod = static_cast<std::size_t>(-1);

  // Per-user scratch, reused (no allocation per user once warm).
  std::vector<std::pair<std::uint32_t, std::size_t>> user_features;  // feature, last period
  std::vector<SessionRun> runs;  // rows with a session id, as runs of one code

  auto close_session = [&](Micros start, Micros last, std::uint64_t n, std::uint64_t pv,
                           std::uint64_t cl) {
    PeriodCounts& c = pc[grid.index_of(day_of(start))];
    ++c.sessions;
    c.session_micros += last - start;
    c.page_views += pv;
    c.clicks += cl;
    c.actions += n;
  };
  auto role_of = [&](std::size_t i, Role r) {
    return ((role_mask_[ev[i].event] >> r) & 1u) != 0;
  };

  std::size_t ub = b;
  while (ub < e) {
    std::size_t ue = ub;
    while (ue < e && ev[ue].user == ev[ub].user) ++ue;
    std::size_t next_user = ue;
    if (tallied_ && next_user < e) prefetch_tallies(ev[next_user].user);
    while (ue > ub && ev[ue - 1].ts >= grid.end()) --ue;  // rows after the range are ignored
    if (ue == ub) {
      ub = next_user;
      continue;
    }
    const Micros first = ev[ub].ts;
    std::size_t ib = ub;
    while (ib < ue && ev[ib].ts < grid.begin()) ++ib;  // history rows: first event, trials only
    const bool is_new = first >= grid.begin();

    std::optional<Micros> first_trial;
    for (std::size_t i = ub; i < ue; ++i)
      if (role_of(i, kTrial)) {
        first_trial = ev[i].ts;
        break;
      }

    // Pass over the in-range events: activity, roles, features, revenue.
    Day last_active_day = 0;
    bool any_active = false;
    std::size_t last_active_period = kNoPeriod;
    std::int32_t last_week = 0, last_month = 0;
    std::array<std::size_t, kUserRoleCount> last_role_period{};
    last_role_period.fill(kNoPeriod);
    std::size_t last_tc_period = kNoPeriod;
    user_features.clear();
    runs.clear();
    Day cur_day = 0;
    std::size_t cur_period = 0;
    bool have_day = false;
    for (std::size_t i = ib; i < ue; ++i) {
      const Event& x = ev[i];
      const Day d = day_of(x.ts);
      if (!have_day || d != cur_day) {
        cur_day = d;
        cur_period = grid.index_of(d);
        have_day = true;
      }
      PeriodCounts& c = pc[cur_period];
      const bool active = active_mask_.empty() || active_mask_[x.event];
      if (active && (!any_active || d != last_active_day)) {
        const auto day = static_cast<std::size_t>(d - grid.first_day());
        ++day_users[day];
        const std::int32_t wk = week_of[day], mk = month_of[day];
        if (!any_active || wk != last_week) ++week_users[static_cast<std::size_t>(wk)];
        if (!any_active || mk != last_month) ++month_users[static_cast<std::size_t>(mk)];
        if (cur_period != last_active_period) ++c.active;
        last_active_day = d;
        last_week = wk;
        last_month = mk;
        last_active_period = cur_period;
        any_active = true;
      }
      const std::uint16_t mask = role_mask_[x.event];
      if (mask != 0) {
        for (std::size_t k = 0; k < kUserRoleCount; ++k) {
          if (((mask >> kUserRoles[k].first) & 1u) != 0 && last_role_period[k] != cur_period) {
            ++c.role_users[k];
            last_role_period[k] = cur_period;
          }
        }
        if (((mask >> kPurchase) & 1u) != 0) {
          if (const double* value = ev.value(i))
            tally.revenue.emplace_back(cur_period, *value);
          else
            ++c.purchases_without_value;
          if (first_trial && *first_trial <= x.ts && last_tc_period != cur_period) {
            ++c.trial_conversions;
            last_tc_period = cur_period;
          }
        }
      }
      const EventDetail& detail = ev.detail(i);
      if (detail.feature != kNone) {
        auto it = std::find_if(user_features.begin(), user_features.end(),
                               [&](const auto& f) { return f.first == detail.feature; });
        if (it == user_features.end()) {
          user_features.emplace_back(detail.feature, kNoPeriod);
          it = user_features.end() - 1;
        }
        if (it->second != cur_period) {
          auto& counts = feature_users[detail.feature];
          if (counts.empty()) counts.assign(np, 0);
          ++counts[cur_period];
          it->second = cur_period;
        }
      }
      if (detail.session != kNone && !tallied_) {
        if (runs.empty() || runs.back().code != detail.session)
          runs.push_back(SessionRun{detail.session, log_.sessions().tag(detail.session), x.ts});
        SessionRun& run = runs.back();
        run.last = x.ts;
        ++run.n;
        if (role_of(i, kPageView)) ++run.pv;
        if (role_of(i, kClick)) ++run.cl;
      }
    }
    // Features seen only outside the range form no group;
    // a feature used in range gets a group in every period (0 where unused).

    // Sessions. Rows without a session id: split by gaps > timeout.
    {
      bool open = false;
      Micros start = 0, last = 0;
      std::uint64_t n = 0, pv = 0, cl = 0;
      for (std::size_t i = ib; i < ue; ++i) {
        if (ev.detail(i).session != kNone) continue;
        if (open && ev[i].ts - last > timeout) {
          close_session(start, last, n, pv, cl);
          open = false;
        }
        if (!open) {
          open = true;
          start = ev[i].ts;
          n = pv = cl = 0;
        }
        last = ev[i].ts;
        ++n;
        if (role_of(i, kPageView)) ++pv;
        if (role_of(i, kClick)) ++cl;
      }
      if (open) close_session(start, last, n, pv, cl);
    }
    // Rows with a session id: one session per (user, id), regardless of gaps.
    // Tallied, they may have been folded: their sessions' latest instants
    // then say when the user was last seen.
    Micros last_seen = ev[ue - 1].ts;
    if (tallied_) {
      const CodedRuns<SessionTally>& tallies = log_.session_tallies();
      const std::uint32_t user = ev[ub].user;
      for (std::uint32_t k = user_codes_at_[user]; k < user_codes_at_[user + 1]; ++k) {
        const std::uint32_t code = codes_of_user_[k];
        const SessionTally& t = tallies[code];
        runs.push_back(SessionRun{code, t.tag, t.first, t.last, t.rows, t.page_views, t.clicks});
        last_seen = std::max(last_seen, t.last);
      }
    }
    merge_session_runs(runs);
    for (const SessionRun& run : runs)
      if (run.n > 0) close_session(run.start, run.last, run.n, run.pv, run.cl);

    // Windows after the first event (new users only).
    if (!is_new) {
      ++history_users;
    } else {
      PeriodCounts& c = pc[grid.index_of(day_of(first))];
      ++c.new_users;
      if (first + act_window <= grid.end()) {
        ++c.act_decidable;
        if (role_code_[kActivation] != kNone) {
          for (std::size_t i = ub; i < ue; ++i)
            if (role_of(i, kActivation)) {
              if (ev[i].ts - first <= act_window) ++c.activated;
              break;
            }
        }
      } else {
        ++c.act_pending;
      }
      if (first + churn_window <= grid.end()) {
        ++c.churn_decidable;
        if (last_seen - first < churn_window) ++c.churned;
      } else {
        ++c.churn_pending;
      }
      if (role_code_[kValue] != kNone) {
        for (std::size_t i = ub; i < ue; ++i)
          if (ev[i].event == role_code_[kValue]) {
            c.ttv.push_back(static_cast<double>(ev[i].ts - first) / 1e6);
            break;
          }
      }
      for (std::size_t t = 0; t < time_to_code_.size(); ++t) {
        if (time_to_code_[t] == kNone) continue;
        for (std::size_t i = ub; i < ue; ++i)
          if (ev[i].event == time_to_code_[t]) {
            c.time_to[t].push_back(static_cast<double>(ev[i].ts - first) / 1e6);
            break;
          }
      }
    }
    ub = next_user;
  }
  return tally;
}

// tally_users over [b, e), cut at user boundaries into one range per core.
Tally EventsAggregator::tally_segment(const SortedEvents& ev, std::size_t b, std::size_t e,
                                      const kinds::PeriodGrid& grid) const {
  const std::size_t nt = e - b < kParallelTallyMin ? 1 : io::bulk_threads();
  if (nt == 1) return tally_users(ev, b, e, grid);
  std::vector<std::size_t> cut{b};
  for (std::size_t k = 1; k < nt; ++k) {
    std::size_t c = std::max(cut.back(), b + (e - b) * k / nt);
    while (c > b && c < e && ev[c].user == ev[c - 1].user) ++c;
    cut.push_back(c);
  }
  cut.push_back(e);
  std::vector<Tally> tallies(nt);
  run_parallel(nt, [&](std::size_t k) { tallies[k] = tally_users(ev, cut[k], cut[k + 1], grid); });
  for (std::size_t k = 1; k < nt; ++k) tallies[0].merge(tallies[k]);
  return std::move(tallies[0]);
}

void EventsAggregator::measure_segment(const SortedEvents& ev, std::size_t b, std::size_t e,
                                       const kinds::PeriodGrid& grid, const Dims& dims,
                                       std::vector<std::vector<Group>>& out,
                                       std::vector<std::string>& warnings) {
  const std::size_t np = grid.size();
  const time::Period P = grid.period();
  Tally tally = tally_segment(ev, b, e, grid);
  for (const auto& [p, value] : tally.revenue) tally.pc[p].revenue += value;  // in user order, as one thread adds
  std::vector<PeriodCounts>& pc = tally.pc;
  const std::vector<std::uint64_t>& day_users = tally.day_users;
  const std::vector<std::uint64_t>& week_users = tally.week_users;
  const std::vector<std::uint64_t>& month_users = tally.month_users;
  auto& feature_users = tally.feature_users;
  const std::uint64_t history_users = tally.history_users;
  const std::int32_t wk0 = time::period_key(time::Period::week, grid.first_day());
  const std::int32_t wk1 = time::period_key(time::Period::week, grid.last_day());
  const std::int32_t mk0 = time::period_key(time::Period::month, grid.first_day());
  const std::int32_t mk1 = time::period_key(time::Period::month, grid.last_day());

  // Week and month means: each ISO week belongs to the period of its Thursday,
  // each month to the period holding it.
  std::vector<double> wau_sum(np, 0), mau_sum(np, 0);
  std::vector<std::uint64_t> wau_n(np, 0), mau_n(np, 0);
  const std::int32_t pk0 = grid.key(0);
  auto index_of_key = [&](std::int32_t k) -> std::optional<std::size_t> {
    if (P == time::Period::all) return 0;
    if (k < pk0 || k >= pk0 + static_cast<std::int32_t>(np)) return std::nullopt;
    return static_cast<std::size_t>(k - pk0);
  };
  for (std::int32_t w = wk0; w <= wk1; ++w) {
    const Day thursday = time::period_first_day(time::Period::week, w) + 3;
    if (auto i = index_of_key(time::period_key(P, thursday))) {
      wau_sum[*i] += static_cast<double>(week_users[static_cast<std::size_t>(w - wk0)]);
      ++wau_n[*i];
    }
  }
  for (std::int32_t m = mk0; m <= mk1; ++m) {
    const Day first_of_month = time::period_first_day(time::Period::month, m);
    if (auto i = index_of_key(time::period_key(P, first_of_month))) {
      mau_sum[*i] += static_cast<double>(month_users[static_cast<std::size_t>(m - mk0)]);
      ++mau_n[*i];
    }
  }

  std::vector<std::uint32_t> feature_order;
  feature_order.reserve(feature_users.size());
  for (const auto& [f, counts] : feature_users) feature_order.push_back(f);
  std::sort(feature_order.begin(), feature_order.end(), [&](std::uint32_t x, std::uint32_t y) {
    return log_.features().str(x) < log_.features().str(y);
  });

  const bool has_wau = P != time::Period::day;
  const bool has_mau = P == time::Period::month || P == time::Period::quarter ||
                       P == time::Period::year || P == time::Period::all;
  std::uint64_t total = history_users;
  for (std::size_t p = 0; p < np; ++p) {
    PeriodCounts& c = pc[p];
    total += c.new_users;
    Group g;
    g.period = grid.label(p);
    g.dims = dims;
    const std::string where = scope(g.period, dims);
    auto put = [&](std::string_view id, double v) { g.values[std::string(id)] = v; };
    auto put_opt = [&](std::string_view id, std::optional<double> v, const std::string& why) {
      g.values[std::string(id)] = v;
      if (!v) g.reasons[std::string(id)] = why;
    };
    auto count = [](std::uint64_t n) { return static_cast<double>(n); };

    put("active_users", count(c.active));
    const Day d0 = grid.first_in_range(p), d1 = grid.last_in_range(p);
    std::uint64_t day_sum = 0;
    for (Day d = d0; d <= d1; ++d) day_sum += day_users[static_cast<std::size_t>(d - grid.first_day())];
    put("dau", count(day_sum) / count(static_cast<std::uint64_t>(d1 - d0) + 1));
    if (has_wau)
      put_opt("wau", formulas::ratio_of(wau_sum[p], count(wau_n[p])),
              "no ISO week belongs to the period (every week overlapping it has its Thursday "
              "in a period that is not reported)");
    if (has_mau) put("mau", mau_sum[p] / count(mau_n[p]));  // every period overlaps ≥ 1 month
    put("new_users", count(c.new_users));
    put("total_users", count(total));
    put("sessions", count(c.sessions));
    put("total_session_duration", static_cast<double>(c.session_micros) / 1e6);
    put("page_views", count(c.page_views));
    put("clicks", count(c.clicks));
    put("actions", count(c.actions));
    for (std::size_t k = 0; k < kUserRoleCount; ++k) put(kUserRoles[k].second, count(c.role_users[k]));
    put("trial_conversions", count(c.trial_conversions));

    // Activation and early churn: decidable new users only, so the rates are
    // measured here (the registry's `/ new_users` would count undecidable ones).
    put("activated_users", count(c.activated));
    put("early_churned_users", count(c.churned));
    put_opt("activation_rate", formulas::percent_of(count(c.activated), count(c.act_decidable)),
            c.new_users == 0 ? "no new users in the period"
                             : "no new user of the period is decidable yet (activation window "
                               "not elapsed by the end of the range)");
    put_opt("early_churn_rate", formulas::percent_of(count(c.churned), count(c.churn_decidable)),
            c.new_users == 0 ? "no new users in the period"
                             : "no new user of the period is decidable yet (early-churn window "
                               "not elapsed by the end of the range)");
    if (c.act_pending > 0 && (reported("activated_users") || reported("activation_rate")))
      warnings.push_back("activated_users, activation_rate " + where + ": " +
                         std::to_string(c.act_pending) +
                         " new user(s) left out, their activation window has not elapsed by the "
                         "end of the range");
    if (c.churn_pending > 0 && (reported("early_churned_users") || reported("early_churn_rate")))
      warnings.push_back("early_churned_users, early_churn_rate " + where + ": " +
                         std::to_string(c.churn_pending) +
                         " new user(s) left out, their early-churn window has not elapsed by the "
                         "end of the range");

    std::sort(c.ttv.begin(), c.ttv.end());
    const std::string no_value = "no new user of the period reached the value event ('" +
                                 role_name_[kValue] + "') within the range";
    put_opt("time_to_value", percentile(c.ttv, 0.5), no_value);
    put_opt("time_to_value_p90", percentile(c.ttv, 0.9), no_value);
    for (std::size_t t = 0; t < time_to_code_.size(); ++t) {
      std::sort(c.time_to[t].begin(), c.time_to[t].end());
      const std::string why = "no new user of the period reached '" + opt_.time_to[t] +
                              "' within the range";
      put_opt("time_to_" + opt_.time_to[t], percentile(c.time_to[t], 0.5), why);
      put_opt("time_to_" + opt_.time_to[t] + "_p90", percentile(c.time_to[t], 0.9), why);
    }
    put("revenue", c.revenue);
    if (c.purchases_without_value > 0 && reported("revenue"))
      warnings.push_back("revenue " + where + ": " + std::to_string(c.purchases_without_value) +
                         " purchase event(s) without a value left out");

    const double active = count(c.active);
    out[p].push_back(std::move(g));
    for (std::uint32_t f : feature_order) {
      Group fg;
      fg.period = grid.label(p);
      fg.dims = dims;
      fg.dims.emplace_back("feature", std::string(log_.features().str(f)));
      fg.values["feature_users"] = count(feature_users[f][p]);
      fg.values["active_users"] = active;
      fg.only = {"feature_users", "feature_adoption_rate"};
      out[p].push_back(std::move(fg));
    }
  }
}

}  // namespace

std::span<const EventRole> event_roles() noexcept { return kRoles; }

Status check_event_roles(const std::vector<std::pair<std::string, std::string>>& roles) {
  for (const auto& assignment : roles) {
    const std::string& role = assignment.first;
    const std::string& name = assignment.second;
    const bool known = std::any_of(std::begin(kRoles), std::end(kRoles),
                                   [&](const EventRole& r) { return r.role == role; });
    if (!known) {
      std::string list;
      for (const auto& r : kRoles) {
        if (!list.empty()) list += ", ";
        list += r.role;
      }
      return Error("--event " + role + "=" + name + ": unknown role '" + role +
                   "' (expected one of " + list + ")");
    }
    if (name.empty()) return Error("--event " + role + "=: the event name is empty");
  }
  return Status::ok();
}

std::unique_ptr<Aggregator> make_events_aggregator(const ComputeOptions& options,
                                                   const TimeContext& time) {
  return std::make_unique<EventsAggregator>(options, time);
}

}  // namespace kpi
