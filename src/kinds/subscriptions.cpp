// subscriptions — MRR snapshots and per-customer MRR movements (METRICS.md §2).
//
// Every valid, non-trial row becomes a subscription [start, end) with its
// monthly-normalised amount. `finish` takes the MRR of every customer at each
// period boundary B (a subscription counts when start < B ≤ end, i.e. it is
// active at the last instant before B), so period i runs from snapshot B[i]
// to snapshot B[i+1] and periods chain (mrr_start(P+1) = mrr(P)). B[0] is the
// first instant of the range: the state just before the range, built from
// the history before --from. Movements are per customer and net between the
// two snapshots; the MRR bridge is checked for every period and segment.
//
// Choices where METRICS.md is silent: rows with a trial/incomplete status are
// validated, counted in the warning and otherwise ignored — they do not widen
// the default range either. "Had a paid subscription before P" (reactivation
// vs new) looks at the customer's earliest subscription with amount > 0 and
// end > start; a zero-length or free subscription is not "paid". `status`
// values are compared case-insensitively, as are `interval` values (blank =
// month). A cut period's lifetime still uses the full period length in months.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

constexpr std::string_view kRequired[] = {"customer_id", "start", "amount"};
constexpr std::string_view kOptional[] = {"end", "interval", "plan", "status"};
enum Col : std::size_t { kCustomer, kStart, kAmount, kEnd, kInterval, kPlan, kStatus };

constexpr Micros kNoEnd = std::numeric_limits<Micros>::max();

struct Subscription {
  std::uint32_t customer;
  Micros start;
  Micros end;  // kNoEnd: still active
  double mrr;  // monthly-normalised amount
};

struct SegmentData {
  kinds::Interner customers;
  std::vector<Subscription> subs;
};

/// Monthly-normalised amount, or nullopt for an unknown interval. Blank = month.
std::optional<double> monthly(double amount, std::string_view interval) noexcept {
  if (interval.empty() || kinds::iequals(interval, "month")) return amount;
  if (kinds::iequals(interval, "day")) return amount * 365.0 / 12.0;
  if (kinds::iequals(interval, "week")) return amount * 52.0 / 12.0;
  if (kinds::iequals(interval, "quarter")) return amount / 3.0;
  if (kinds::iequals(interval, "year")) return amount / 12.0;
  return std::nullopt;
}

bool is_excluded_status(std::string_view status) noexcept {
  return kinds::iequals(status, "trialing") || kinds::iequals(status, "trial") ||
         kinds::iequals(status, "incomplete") || kinds::iequals(status, "incomplete_expired");
}

/// Per period (index i: from snapshot i to snapshot i+1) of one segment.
struct Movements {
  std::vector<double> mrr;         // n + 1 snapshots
  std::vector<double> customers;   // n + 1 snapshots
  std::vector<double> new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churned_mrr;
  std::vector<double> new_customers, reactivated_customers, lost_customers;

  explicit Movements(std::size_t n)
      : mrr(n + 1), customers(n + 1), new_mrr(n), reactivation_mrr(n), expansion_mrr(n),
        contraction_mrr(n), churned_mrr(n), new_customers(n), reactivated_customers(n),
        lost_customers(n) {}
};

Movements measure(SegmentData& seg, const std::vector<Micros>& bounds) {
  const std::size_t n = bounds.size() - 1;
  Movements m(n);
  auto& subs = seg.subs;
  std::sort(subs.begin(), subs.end(), [](const Subscription& a, const Subscription& b) {
    return a.customer != b.customer ? a.customer < b.customer : a.start < b.start;
  });
  std::vector<double> value(n + 1);
  std::vector<double> active;
  std::vector<Micros> changes;
  for (std::size_t a = 0; a < subs.size();) {
    std::size_t b = a;
    while (b < subs.size() && subs[b].customer == subs[a].customer) ++b;
    // First paid subscription (non-empty, amount > 0): decides new vs reactivation.
    Micros first_paid = kNoEnd;
    for (std::size_t k = a; k < b; ++k) {
      if (subs[k].mrr > 0 && subs[k].start < subs[k].end) {
        first_paid = subs[k].start;
        break;  // sorted by start
      }
    }
    // The active set only changes between two snapshots when a start or an end
    // lies in [B[j−1], B[j]); otherwise the previous value is reused, so a long
    // daily range costs O(changes), not O(periods × subscriptions).
    changes.clear();
    for (std::size_t k = a; k < b; ++k) {
      changes.push_back(subs[k].start);
      if (subs[k].end != kNoEnd) changes.push_back(subs[k].end);
    }
    std::sort(changes.begin(), changes.end());
    std::size_t next_change = 0;
    for (std::size_t j = 0; j <= n; ++j) {
      const Micros at = bounds[j];
      bool changed = j == 0;
      while (next_change < changes.size() && changes[next_change] < at) {
        changed = true;
        ++next_change;
      }
      if (!changed) {
        value[j] = value[j - 1];
        m.mrr[j] += value[j];
        if (value[j] > 0) m.customers[j] += 1;
        continue;
      }
      active.clear();
      for (std::size_t k = a; k < b && subs[k].start < at; ++k) {
        if (at <= subs[k].end && subs[k].mrr > 0) active.push_back(subs[k].mrr);
      }
      // Summing in a canonical order makes equal sets of amounts give bit-equal
      // MRR, so a plan swap at the same price is not a 1-ulp expansion.
      std::sort(active.begin(), active.end());
      double v = 0;
      for (double x : active) v += x;
      value[j] = v;
      m.mrr[j] += v;
      if (v > 0) m.customers[j] += 1;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double x = value[i];
      const double y = value[i + 1];
      if (x == 0 && y > 0) {
        if (first_paid < bounds[i]) {
          m.reactivation_mrr[i] += y;
          m.reactivated_customers[i] += 1;
        } else {
          m.new_mrr[i] += y;
          m.new_customers[i] += 1;
        }
      } else if (x > 0 && y == 0) {
        m.churned_mrr[i] += x;
        m.lost_customers[i] += 1;
      } else if (x > 0 && y > x) {
        m.expansion_mrr[i] += y - x;
      } else if (y > 0 && y < x) {
        m.contraction_mrr[i] += x - y;
      }
    }
    a = b;
  }
  return m;
}

std::string describe_segment(const Dims& dims) {
  if (dims.empty()) return "";
  std::string s = " segment";
  for (const auto& [k, v] : dims) s += " " + k + "=\"" + v + "\"";
  return s;
}

class SubscriptionsAggregator final : public Aggregator {
 public:
  SubscriptionsAggregator(const ComputeOptions& options, const TimeContext& time)
      : period_(options.period), time_(time), columns_(kRequired, kOptional, options.by) {}

  std::vector<std::string> columns(const std::vector<std::string>& available) override {
    return columns_.bind(available);
  }

  Status add(const io::Record& r) override {
    const auto slot = [&](Col c) { return columns_.slot(c); };
    if (auto s = kinds::require_nonblank(r, slot(kCustomer), "customer_id"); !s) return s;
    if (auto s = kinds::require_nonblank(r, slot(kStart), "start"); !s) return s;
    const auto start = kinds::read_time(r, slot(kStart), "start", time_);
    if (!start) return start.error();
    if (auto s = kinds::require_nonblank(r, slot(kAmount), "amount"); !s) return s;
    const auto amount = kinds::parse_number(kinds::text_at(r, slot(kAmount)));
    if (!amount || *amount < 0) return r.error(slot(kAmount), "amount", "a non-negative number");
    Micros end = kNoEnd;
    if (!kinds::text_at(r, slot(kEnd)).empty()) {
      const auto e = kinds::read_time(r, slot(kEnd), "end", time_);
      if (!e) return e.error();
      if (*e < *start) {
        return r.error(slot(kEnd), "end",
                       "a date-time not before start \"" +
                           std::string(kinds::text_at(r, slot(kStart))) + "\"");
      }
      end = *e;
    }
    const auto mrr = monthly(*amount, kinds::text_at(r, slot(kInterval)));
    if (!mrr) {
      return r.error(slot(kInterval), "interval", "one of day, week, month, quarter, year");
    }
    if (auto s = segments_.prepare(r, columns_); !s) return s;

    // Validated: from here on the record changes state.
    if (is_excluded_status(kinds::text_at(r, slot(kStatus)))) {
      ++excluded_;
      return Status::ok();
    }
    span_.add(time_.zone.local_day(*start));
    if (end != kNoEnd) span_.add(time_.zone.local_day(end));
    const std::size_t seg = segments_.commit(columns_);
    if (seg == data_.size()) data_.emplace_back();
    SegmentData& d = data_[seg];
    d.subs.push_back({d.customers.intern(kinds::text_at(r, slot(kCustomer))), *start, end, *mrr});
    return Status::ok();
  }

  Expected<Table> finish() override {
    std::vector<std::string> warnings;
    if (excluded_ > 0) {
      warnings.push_back("subscriptions: " + std::to_string(excluded_) +
                         " row(s) with status trialing, trial, incomplete or incomplete_expired "
                         "left out (not revenue)");
    }
    auto made = kinds::PeriodGrid::make(time_, period_, span_.first, span_.last);
    if (!made) return std::move(made).error();
    const std::optional<kinds::PeriodGrid>& grid = *made;
    if (!grid) return kinds::empty_table("subscriptions", std::move(warnings));
    segments_.ensure_default(columns_);
    data_.resize(segments_.size());

    const std::size_t n = grid->size();
    std::vector<Micros> bounds(n + 1);
    bounds[0] = grid->begin();
    for (std::size_t i = 0; i < n; ++i) {
      bounds[i + 1] = time_.zone.day_start(grid->last_in_range(i) + 1);
    }

    const bool all = period_ == time::Period::all;
    if (all) {
      warnings.push_back(
          "subscriptions: ltv and avg_customer_lifetime are not defined for --period all "
          "(the lifetime is measured in period lengths, and 'all' has no fixed length)");
    }
    const double months = all ? 0.0 : time::period_months(period_);

    const std::vector<std::size_t> order = segments_.sorted();
    std::vector<Movements> per_segment;
    per_segment.reserve(order.size());
    for (std::size_t s : order) per_segment.push_back(measure(data_[s], bounds));

    Table table;
    table.warnings = std::move(warnings);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string label = grid->label(i);
      for (std::size_t o = 0; o < order.size(); ++o) {
        const Movements& m = per_segment[o];
        Group g;
        g.period = label;
        g.dims = segments_.dims(order[o]);

        // The bridge must balance by construction; a miss is a bug in kpi, not
        // bad data, so it is an error (exit 2) rather than a warning.
        const double lhs = m.mrr[i] + m.new_mrr[i] + m.reactivation_mrr[i] +
                           m.expansion_mrr[i] - m.contraction_mrr[i] - m.churned_mrr[i];
        const double rhs = m.mrr[i + 1];
        if (!(std::fabs(lhs - rhs) <= 1e-9 * std::max(1.0, std::fabs(rhs)))) {
          return Error(
              "internal error (a bug in kpi, please report it): the MRR bridge does not balance "
              "for period " + label + describe_segment(g.dims) + ": mrr_start " +
              kinds::format_number(m.mrr[i]) + " + new " + kinds::format_number(m.new_mrr[i]) +
              " + reactivation " + kinds::format_number(m.reactivation_mrr[i]) +
              " + expansion " + kinds::format_number(m.expansion_mrr[i]) + " - contraction " +
              kinds::format_number(m.contraction_mrr[i]) + " - churned " +
              kinds::format_number(m.churned_mrr[i]) + " = " + kinds::format_number(lhs) +
              ", but mrr = " + kinds::format_number(rhs));
        }

        put(g, "mrr", rhs);
        put(g, "mrr_start", m.mrr[i]);
        put(g, "customers", m.customers[i + 1]);
        put(g, "customers_start", m.customers[i]);
        put(g, "new_mrr", m.new_mrr[i]);
        put(g, "reactivation_mrr", m.reactivation_mrr[i]);
        put(g, "expansion_mrr", m.expansion_mrr[i]);
        put(g, "contraction_mrr", m.contraction_mrr[i]);
        put(g, "churned_mrr", m.churned_mrr[i]);
        // METRICS.md §2 defines new_customers here as every customer active at the
        // end but not at the start — joined *or* reactivated — so that the §1
        // formula retention_rate = (customers_end − new_customers) / customers_start
        // gives 100 − churn_rate and can be audited from the reported inputs.
        // reactivated_customers is the part of it that had paid before; new_mrr
        // and reactivation_mrr keep the two kinds of MRR apart.
        const double joined = m.new_customers[i] + m.reactivated_customers[i];
        put(g, "new_customers", joined);
        put(g, "reactivated_customers", m.reactivated_customers[i]);
        put(g, "lost_customers", m.lost_customers[i]);
        put(g, "retention_rate",
            formulas::retention_rate(m.customers[i + 1], joined, m.customers[i]),
            "customers_start is 0 (no paying customer at the start of the period)");

        // ltv departs from §1 (customer_value × lifetime): arpu × lifetime, the
        // lifetime in months from this period's churn.
        const auto churn = formulas::churn_rate(m.lost_customers[i], m.customers[i]);
        const auto arpu = formulas::ratio_of(rhs, m.customers[i + 1]);
        if (all) {
          const char* why = "not defined for --period all (no fixed period length in months)";
          put(g, "avg_customer_lifetime", std::nullopt, why);
          put(g, "ltv", std::nullopt, why);
        } else if (!churn) {
          const char* why = "churn_rate is undefined (customers_start is 0)";
          put(g, "avg_customer_lifetime", std::nullopt, why);
          put(g, "ltv", std::nullopt, why);
        } else if (*churn == 0) {
          const char* why = "churn_rate is 0 (no customer lost), so the customer lifetime is unbounded";
          put(g, "avg_customer_lifetime", std::nullopt, why);
          put(g, "ltv", std::nullopt, why);
        } else {
          put(g, "avg_customer_lifetime", formulas::customer_lifetime_months(months, *churn),
              "the customer lifetime overflows");
          if (!arpu) {
            put(g, "ltv", std::nullopt, "arpu is undefined (customers is 0)");
          } else {
            put(g, "ltv", formulas::subscription_ltv(*arpu, months, *churn),
                "the lifetime value overflows");
          }
        }
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
  std::vector<SegmentData> data_;
  kinds::DaySpan span_;
  std::uint64_t excluded_ = 0;
};

}  // namespace

std::unique_ptr<Aggregator> make_subscriptions_aggregator(const ComputeOptions& options,
                                                          const TimeContext& time) {
  return std::make_unique<SubscriptionsAggregator>(options, time);
}

}  // namespace kpi
