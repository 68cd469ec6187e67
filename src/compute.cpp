// The compute driver: read → aggregate → evaluate the registry → ordered results.
#include "kpi/compute.hpp"

#include <algorithm>
#include <set>

#include "kpi/input.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "kpi/registry.hpp"

namespace kpi {
namespace {

std::string did_you_mean(std::string_view id) {
  const auto close = suggest_metrics(id);
  if (close.empty()) return " (see 'kpi list')";
  std::string out = "; did you mean ";
  for (std::size_t i = 0; i < close.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + close[i];
  }
  return out + "?";
}

Status check_metric_ids(const ComputeOptions& options) {
  for (const auto& id : options.metrics) {
    if (find_metric(id) == nullptr) return Error("unknown metric '" + id + "'" + did_you_mean(id));
  }
  for (const auto& [name, value] : options.set) {
    if (find_metric(name) == nullptr) {
      return Error("--set " + name + ": unknown input or metric '" + name + "'" + did_you_mean(name));
    }
  }
  return Status::ok();
}

std::unique_ptr<Aggregator> make_aggregator(const std::string& kind, const ComputeOptions& options,
                                            const TimeContext& time) {
  if (kind == "events") return make_events_aggregator(options, time);
  if (kind == "subscriptions") return make_subscriptions_aggregator(options, time);
  if (kind == "tickets") return make_tickets_aggregator(options, time);
  if (kind == "responses") return make_responses_aggregator(options, time);
  if (kind == "work_items") return make_work_items_aggregator(options, time);
  return make_summary_aggregator(options, time);
}

std::string describe(const std::string& metric, const Group& group) {
  std::string out = metric + " " + group.period;
  if (!group.dims.empty()) {
    out += " {";
    for (std::size_t i = 0; i < group.dims.size(); ++i) {
      out += (i == 0 ? "" : ", ") + group.dims[i].first + "=" + group.dims[i].second;
    }
    out += "}";
  }
  return out;
}

// One evaluated group: every metric the registry could derive from its values.
struct Evaluation {
  const Group* group;
  std::map<std::string, Evaluated, std::less<>> metrics;
};

// The inputs a formula metric was computed from, when it was computed (not given).
std::vector<std::pair<std::string, std::optional<double>>> formula_inputs(
    const std::string& id, const Group& group, const std::map<std::string, Evaluated, std::less<>>& metrics) {
  std::vector<std::pair<std::string, std::optional<double>>> out;
  const MetricInfo* m = find_metric(id);
  if (m == nullptr || !m->is_formula() || group.values.count(id) != 0) return out;
  for (const auto in : m->inputs) {
    const auto it = metrics.find(in);
    out.emplace_back(std::string(in), it == metrics.end() ? std::nullopt : it->second.value);
  }
  return out;
}

bool reportable(const Group& group, std::string_view id) {
  return group.only.empty() || std::find(group.only.begin(), group.only.end(), id) != group.only.end();
}

}  // namespace

Expected<ResultSet> compute(const ComputeOptions& options) {
  if (Status st = check_metric_ids(options); !st) return std::move(st).error();
  auto time = make_time_context(options.input);
  if (!time) return std::move(time).error();

  ResultSet out;
  std::string kind;
  std::unique_ptr<Aggregator> aggregator;
  const SinkFactory sink_for = [&](const std::string& detected) -> Expected<RecordSink*> {
    aggregator = make_aggregator(detected, options, *time);
    return aggregator.get();
  };
  if (Status st = read_records(options.input, kind, sink_for, out.inputs, out.warnings); !st) {
    return std::move(st).error();
  }
  auto table = aggregator->finish();
  if (!table) return std::move(table).error();
  out.warnings.insert(out.warnings.end(), table->warnings.begin(), table->warnings.end());

  // Evaluate every group with --set applied on top of what was measured.
  std::vector<Evaluation> evaluations;
  evaluations.reserve(table->groups.size());
  for (Group& group : table->groups) {
    for (const auto& [name, value] : options.set) group.values[name] = value;
    evaluations.push_back({&group, evaluate(group.values)});
  }

  // Which metrics to report: -m, or every metric some group could compute. Summary
  // rows report a metric computable in any row in every row (METRICS.md §2).
  std::set<std::string, std::less<>> wanted(options.metrics.begin(), options.metrics.end());
  std::set<std::string, std::less<>> computable;
  for (const auto& e : evaluations) {
    for (const auto& [id, value] : e.metrics) {
      if (reportable(*e.group, id)) computable.insert(id);
    }
  }
  for (const auto& id : wanted) {
    if (computable.count(id) != 0) continue;
    const auto missing = missing_inputs(id, evaluations.empty() ? KnownValues{} : evaluations.front().group->values);
    std::string needs;
    for (const auto& m : missing) needs += (needs.empty() ? "" : ", ") + m;
    if (evaluations.empty()) {
      return Error("metric '" + id + "' cannot be computed: the input has no rows");
    }
    return Error("metric '" + id + "' cannot be computed from this " + kind + " data: it needs " +
                 (needs.empty() ? std::string("inputs the data does not have") : needs) +
                 " (give them as columns or with --set NAME=VALUE; see 'kpi explain " + id + "')");
  }
  const auto& report = wanted.empty() ? computable : wanted;

  std::vector<std::string> ids(report.begin(), report.end());
  std::stable_sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
    const auto ia = catalog_index(a);
    const auto ib = catalog_index(b);
    return ia != ib ? ia < ib : a < b;
  });
  for (const auto& id : ids) {
    for (const auto& e : evaluations) {
      const Group& group = *e.group;
      if (!reportable(group, id)) continue;
      Result r{id, group.period, group.dims, std::nullopt};
      const auto it = e.metrics.find(id);
      std::string reason;
      if (it == e.metrics.end()) {
        // Record kinds measure each metric in the groups it belongs to (feature_users
        // only in feature groups); only summary rows report every metric in every row.
        if (kind != "summary") continue;
        const auto missing = missing_inputs(id, group.values);
        for (const auto& m : missing) reason += (reason.empty() ? "missing " : ", ") + m;
      } else {
        r.value = it->second.value;
        reason = it->second.reason;
        if (options.explain_inputs) r.inputs = formula_inputs(id, group, e.metrics);
        if (const auto why = group.reasons.find(id); why != group.reasons.end()) reason = why->second;
      }
      if (!r.value) out.warnings.push_back(describe(id, group) + ": no value: " + reason);
      out.results.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace kpi
