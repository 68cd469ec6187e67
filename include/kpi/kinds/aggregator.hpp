// kpi/kinds/aggregator.hpp — the contract between a record kind and `compute`.
//
// An aggregator is a RecordSink that, once every record is in, measures the
// named inputs of METRICS.md §2 per period and dimension (`Group`). `compute`
// then evaluates the registry on each group, so an aggregator only *measures*
// (counts, sums, medians); every formula lives in the registry. One factory per
// kind; each kind lives in src/kinds/<kind>.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kpi/compute.hpp"
#include "kpi/input.hpp"
#include "kpi/registry.hpp"
#include "kpi/result.hpp"

namespace kpi {

/// Measured values for one period and one combination of dimensions.
struct Group {
  std::string period;   ///< label, e.g. "2025-03"
  Dims dims;            ///< --by values first (in --by order), then kind dims (feature, channel)
  KnownValues values;   ///< measured inputs and record-only metrics (nullopt = undefined)
  /// If non-empty, only these ids (and formula metrics derived only from them)
  /// are reported for this group — e.g. a `feature` group reports
  /// feature_users and feature_adoption_rate but not the active_users it uses.
  std::vector<std::string> only;
  /// Why a value in `values` is nullopt, by id (for the warning).
  std::map<std::string, std::string, std::less<>> reasons;
};

/// Groups in report order: chronological periods, then dims ascending.
struct Table {
  std::vector<Group> groups;
  std::vector<std::string> warnings;
};

class Aggregator : public RecordSink {
 public:
  /// Called after the last record.
  virtual Expected<Table> finish() = 0;
};

std::unique_ptr<Aggregator> make_summary_aggregator(const ComputeOptions& options,
                                                    const TimeContext& time);
std::unique_ptr<Aggregator> make_events_aggregator(const ComputeOptions& options,
                                                   const TimeContext& time);
std::unique_ptr<Aggregator> make_subscriptions_aggregator(const ComputeOptions& options,
                                                          const TimeContext& time);
std::unique_ptr<Aggregator> make_tickets_aggregator(const ComputeOptions& options,
                                                    const TimeContext& time);
std::unique_ptr<Aggregator> make_responses_aggregator(const ComputeOptions& options,
                                                      const TimeContext& time);
std::unique_ptr<Aggregator> make_work_items_aggregator(const ComputeOptions& options,
                                                       const TimeContext& time);

}  // namespace kpi
