// Shared helpers of the record-kind aggregators; see record_common.hpp.
#include "record_common.hpp"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace kpi::kinds {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {
constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::optional<double> parse_number(std::string_view text) noexcept {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;  // "+5" is a number in every export we know
  if (first == last) return std::nullopt;
  double v = 0;
  const auto r = fast_float::from_chars(first, last, v);
  if (r.ec != std::errc() || r.ptr != last || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
  text = trim(text);
  if (iequals(text, "true") || iequals(text, "1") || iequals(text, "yes")) return true;
  if (iequals(text, "false") || iequals(text, "0") || iequals(text, "no")) return false;
  return std::nullopt;
}

std::optional<int> parse_int_score(std::string_view text, int lo, int hi) noexcept {
  const auto v = parse_number(text);
  if (!v || *v != std::floor(*v) || *v < lo || *v > hi) return std::nullopt;
  return static_cast<int>(*v);
}

// ---- Columns ----------------------------------------------------------------

Columns::Columns(std::span<const std::string_view> required,
                 std::span<const std::string_view> optional, std::vector<std::string> by)
    : required_count_(required.size()), by_(std::move(by)) {
  all_.assign(required.begin(), required.end());
  all_.insert(all_.end(), optional.begin(), optional.end());
  slots_.assign(all_.size(), kNoSlot);
  ever_.assign(all_.size(), false);
  by_slots_.assign(by_.size(), kNoSlot);
  by_available_.assign(by_.size(), false);
}

std::vector<std::string> Columns::bind(const std::vector<std::string>& available) {
  const auto has = [&](std::string_view n) {
    return std::find(available.begin(), available.end(), n) != available.end();
  };
  std::vector<std::string> names;
  for (std::size_t i = 0; i < all_.size(); ++i) {
    slots_[i] = kNoSlot;
    if (i < required_count_ || has(all_[i])) {
      slots_[i] = names.size();
      names.emplace_back(all_[i]);
      if (has(all_[i])) ever_[i] = true;
    }
  }
  for (std::size_t b = 0; b < by_.size(); ++b) {
    by_available_[b] = has(by_[b]);
    const auto it = std::find(names.begin(), names.end(), by_[b]);
    if (it != names.end()) {
      by_slots_[b] = static_cast<std::size_t>(it - names.begin());
    } else {
      by_slots_[b] = names.size();
      names.push_back(by_[b]);
    }
  }
  return names;
}

// ---- record fields ----------------------------------------------------------

const io::Field* field_at(const io::Record& record, std::size_t slot) noexcept {
  if (slot == kNoSlot || slot >= record.fields.size()) return nullptr;
  const io::Field& f = record.fields[slot];
  return f.present ? &f : nullptr;
}

std::string_view text_at(const io::Record& record, std::size_t slot) noexcept {
  const io::Field* f = field_at(record, slot);
  return f ? trim(f->text) : std::string_view{};
}

Status require_nonblank(const io::Record& record, std::size_t slot, std::string_view name) {
  if (text_at(record, slot).empty()) return record.error(slot, name, "a non-empty value");
  return Status::ok();
}

Expected<time::Micros> read_time(const io::Record& record, std::size_t slot,
                                 std::string_view name, const TimeContext& time) {
  const io::Field* f = field_at(record, slot);
  if (f == nullptr || !f->scalar) return record.error(slot, name, time.parser.expectation());
  const auto t = time.parser.parse(trim(f->text));
  if (!t) return record.error(slot, name, time.parser.expectation());
  return *t;
}

// ---- Segments ---------------------------------------------------------------

Status Segments::prepare(const io::Record& record, const Columns& columns) {
  key_.clear();
  values_.clear();
  for (std::size_t b = 0; b < columns.by().size(); ++b) {
    const std::size_t slot = columns.by_slot(b);
    const io::Field* f = field_at(record, slot);
    if (f == nullptr) {
      Location where;
      where.file = std::string(record.file);
      where.line = record.line;
      return Error(std::move(where), "column '" + columns.by()[b] +
                                         "' given to --by is not in the input");
    }
    if (!f->scalar) return record.error(slot, columns.by()[b], "a scalar value");
    if (b > 0) key_.push_back('\x1f');
    key_.append(f->text);
    values_.push_back(f->text);
  }
  return Status::ok();
}

std::size_t Segments::commit(const Columns& columns) {
  const auto it = index_.find(std::string_view(key_));
  if (it != index_.end()) return it->second;
  Dims dims;
  dims.reserve(values_.size());
  for (std::size_t b = 0; b < values_.size(); ++b) {
    dims.emplace_back(columns.by()[b], std::string(values_[b]));
  }
  const std::size_t i = dims_.size();
  dims_.push_back(std::move(dims));
  index_.emplace(key_, i);
  return i;
}

void Segments::ensure_default(const Columns& columns) {
  if (!columns.by().empty() || !dims_.empty()) return;
  key_.clear();
  values_.clear();
  commit(columns);
}

std::vector<std::size_t> Segments::sorted() const {
  std::vector<std::size_t> order(dims_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Dims& x = dims_[a];
    const Dims& y = dims_[b];
    return std::lexicographical_compare(
        x.begin(), x.end(), y.begin(), y.end(),
        [](const auto& p, const auto& q) { return p.second < q.second; });
  });
  return order;
}

// ---- Interner ---------------------------------------------------------------

std::uint32_t Interner::intern(std::string_view id) {
  const auto it = map_.find(id);
  if (it != map_.end()) return it->second;
  const auto index = static_cast<std::uint32_t>(map_.size());
  map_.emplace(std::string(id), index);
  return index;
}

// ---- PeriodGrid -------------------------------------------------------------

void put(Group& group, std::string_view id, double value) {
  group.values.insert_or_assign(std::string(id), value);
}

void put(Group& group, std::string_view id, std::optional<double> value, std::string_view reason) {
  group.values.insert_or_assign(std::string(id), value);
  if (!value) group.reasons.insert_or_assign(std::string(id), std::string(reason));
}

Table empty_table(std::string_view kind, std::vector<std::string> warnings) {
  Table t;
  t.warnings = std::move(warnings);
  t.warnings.push_back(std::string(kind) + ": no records in the analysis range, nothing to report");
  return t;
}

std::string format_number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace kpi::kinds
