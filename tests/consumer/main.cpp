// A program outside the kpi tree: evaluates a metric through the public API.
#include <cstdio>

#include "kpi/registry.hpp"

int main() {
  const kpi::KnownValues known{{"lost_customers", 21.0}, {"customers_start", 500.0}};
  const auto results = kpi::evaluate(known);
  const auto it = results.find("churn_rate");
  if (it == results.end() || !it->second.value) return 1;
  std::printf("churn_rate %g\n", *it->second.value);
  return 0;
}
