// Test support: the first difference between two event logs (unit tests and
// the bulk fuzzer hold the bulk path to the record path with it).
#pragma once

#include <bit>
#include <cstdint>
#include <string>

#include "../../src/kinds/events_store.hpp"

namespace kpi::test {

/// "" when the logs hold the same events with the same string ids; else what
/// differs first. Session codes may differ (SessionIds compares them by text),
/// so their texts are compared.
inline std::string first_difference(const events_detail::EventLog& a, const events_detail::EventLog& b) {
  using events_detail::Event;
  using events_detail::EventDetail;
  using events_detail::kNone;
  const auto pools = [](const events_detail::StringPool& x, const events_detail::StringPool& y) {
    if (x.size() != y.size()) return false;
    for (std::uint32_t i = 0; i < x.size(); ++i)
      if (x.str(i) != y.str(i)) return false;
    return true;
  };
  if (!pools(a.users(), b.users())) return "user ids";
  if (!pools(a.names(), b.names())) return "event names";
  if (!pools(a.features(), b.features())) return "features";
  if (a.segment_count() != b.segment_count()) return "segment count";
  if (a.size() != b.size()) return "event count";
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Event& x = a.event(i);
    const Event& y = b.event(i);
    const std::string at = " of event " + std::to_string(i);
    const EventDetail dx = a.detail(i), dy = b.detail(i);
    if (x.ts != y.ts || x.user != y.user || x.event != y.event || dx.feature != dy.feature) return "fields" + at;
    if ((dx.session == kNone) != (dy.session == kNone)) return "session presence" + at;
    if (dx.session != kNone && a.sessions().str(dx.session) != b.sessions().str(dy.session)) return "session" + at;
    const double* va = a.value_of(i);
    const double* vb = b.value_of(i);
    if ((va == nullptr) != (vb == nullptr)) return "value presence" + at;
    if (va != nullptr && std::bit_cast<std::uint64_t>(*va) != std::bit_cast<std::uint64_t>(*vb)) return "value" + at;
    if (a.segment_dims(a.seg_of(i)) != b.segment_dims(b.seg_of(i))) return "segment" + at;
  }
  if (a.min_ts() != b.min_ts() || a.max_ts() != b.max_ts()) return "time range";
  return "";
}

}  // namespace kpi::test
