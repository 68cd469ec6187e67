// The registry engine: lookup, suggestions and chained evaluation over catalog().
#include "kpi/registry.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace kpi {
namespace {

constexpr std::string_view kTimeToPrefix = "time_to_";
constexpr std::string_view kP90Suffix = "_p90";

// `time_to_<event>` and `time_to_<event>_p90` (from --time-to) share the catalog
// rows `time_to_EVENT` and `time_to_EVENT_p90`.
std::string_view catalog_id_of(std::string_view id) noexcept {
  if (id.size() <= kTimeToPrefix.size() || id.substr(0, kTimeToPrefix.size()) != kTimeToPrefix) {
    return id;
  }
  const bool p90 = id.size() > kTimeToPrefix.size() + kP90Suffix.size() &&
                   id.substr(id.size() - kP90Suffix.size()) == kP90Suffix;
  return p90 ? std::string_view("time_to_EVENT_p90") : std::string_view("time_to_EVENT");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::string_view unit_symbol(Unit u) noexcept {
  switch (u) {
    case Unit::currency: return "currency";
    case Unit::count: return "count";
    case Unit::percent: return "%";
    case Unit::score: return "score";
    case Unit::ratio: return "ratio";
    case Unit::times: return "x";
    case Unit::seconds: return "s";
    case Unit::points: return "points";
    case Unit::months: return "months";
  }
  return "";
}

const MetricInfo* find_metric(std::string_view id) noexcept {
  for (const auto& m : catalog()) {
    if (m.id == id) return &m;
  }
  const std::string_view placeholder = catalog_id_of(id);
  if (placeholder == id) return nullptr;
  for (const auto& m : catalog()) {
    if (m.id == placeholder) return &m;
  }
  return nullptr;
}

std::size_t catalog_index(std::string_view id) noexcept {
  const MetricInfo* m = find_metric(id);
  return m == nullptr ? catalog().size() : static_cast<std::size_t>(m - catalog().data());
}

std::vector<std::string> suggest_metrics(std::string_view unknown) {
  std::vector<std::pair<std::size_t, std::string_view>> scored;
  for (const auto& m : catalog()) {
    if (m.id.find("EVENT") != std::string_view::npos) continue;
    std::size_t d = edit_distance(unknown, m.id);
    // A substring match ("churn" → "churn_rate") is as good as a small typo.
    if (unknown.size() >= 3 && m.id.find(unknown) != std::string_view::npos) d = std::min<std::size_t>(d, 2);
    if (d <= std::max<std::size_t>(2, unknown.size() / 3)) scored.emplace_back(d, m.id);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < 3; ++i) out.emplace_back(scored[i].second);
  return out;
}

std::map<std::string, Evaluated, std::less<>> evaluate(const KnownValues& known) {
  std::map<std::string, Evaluated, std::less<>> out;
  for (const auto& [id, value] : known) {
    Evaluated e;
    e.value = value;
    if (!value) e.reason = "no value";
    out.emplace(id, std::move(e));
  }
  // Derive to a fixed point: each pass adds every formula metric whose inputs are
  // all present. A metric is never recomputed once present, so given values win
  // and a cycle such as mrr ↔ arpu cannot feed itself.
  std::vector<double> args;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& m : catalog()) {
      if (!m.is_formula() || out.count(m.id) != 0) continue;
      const bool ready = std::all_of(m.inputs.begin(), m.inputs.end(),
                                     [&](std::string_view in) { return out.count(in) != 0; });
      if (!ready) continue;
      Evaluated e;
      args.clear();
      std::vector<std::string> undefined_inputs;
      for (std::string_view in : m.inputs) {
        const auto& v = out.find(in)->second.value;
        if (v) {
          args.push_back(*v);
        } else {
          undefined_inputs.emplace_back(in);
        }
      }
      if (!undefined_inputs.empty()) {
        e.reason = "no value for " + join_names(undefined_inputs);
      } else {
        e.value = m.compute(args.data());
        if (e.value && !std::isfinite(*e.value)) e.value.reset();
        if (!e.value) {
          e.reason = m.undefined_when.empty() ? std::string("undefined")
                                              : std::string(m.undefined_when);
        }
      }
      out.emplace(std::string(m.id), std::move(e));
      changed = true;
    }
  }
  return out;
}

namespace {

void collect_missing(std::string_view id, const KnownValues& known, std::set<std::string>& visiting,
                     std::vector<std::string>& missing) {
  if (known.count(id) != 0) return;
  const MetricInfo* m = find_metric(id);
  const bool cyclic = m != nullptr && std::any_of(m->inputs.begin(), m->inputs.end(), [&](std::string_view in) {
    return visiting.count(std::string(in)) != 0 && known.count(in) == 0;
  });
  if (m == nullptr || !m->is_formula() || cyclic) {
    if (std::find(missing.begin(), missing.end(), id) == missing.end()) missing.emplace_back(id);
    return;
  }
  visiting.emplace(id);
  for (std::string_view in : m->inputs) collect_missing(in, known, visiting, missing);
  visiting.erase(std::string(id));
}

}  // namespace

std::vector<std::string> missing_inputs(std::string_view id, const KnownValues& known) {
  if (known.count(id) != 0) return {};
  const auto derived = evaluate(known);
  if (derived.count(id) != 0) return {};
  std::set<std::string> visiting;
  std::vector<std::string> missing;
  const MetricInfo* m = find_metric(id);
  if (m == nullptr || !m->is_formula()) return {std::string(id)};
  visiting.emplace(id);
  for (std::string_view in : m->inputs) collect_missing(in, known, visiting, missing);
  return missing;
}

}  // namespace kpi
