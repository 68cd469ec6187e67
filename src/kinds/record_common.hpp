// src/kinds/record_common.hpp — what the record-kind aggregators (subscriptions,
// tickets, responses, work_items) share: column binding with `--by`, strict
// field parsing (numbers, booleans, integer scores, timestamps), segment
// interning, and the analysis range cut into periods (METRICS.md §2 "Time and
// range"). Keeping the range/period logic here means every kind reports the
// same periods for the same range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kpi/compute.hpp"
#include "kpi/error.hpp"
#include "kpi/input.hpp"
#include "kpi/io/reader.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "kpi/time.hpp"
#include "period_grid.hpp"

namespace kpi::kinds {

inline constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

/// ASCII spaces and tabs trimmed from both ends.
std::string_view trim(std::string_view s) noexcept;
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;
/// ASCII lower-case copy (for option values, not on the per-row path).
std::string to_lower(std::string_view s);

/// A finite decimal number (the whole trimmed text); nullopt otherwise.
std::optional<double> parse_number(std::string_view text) noexcept;
/// true/false, 1/0, yes/no (case-insensitive); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text) noexcept;
/// An integral number within [lo, hi] ("9.0" reads as 9; "9.5" is rejected).
std::optional<int> parse_int_score(std::string_view text, int lo, int hi) noexcept;

/// Binds a kind's canonical columns for one input file: required ones first,
/// then the optional ones the file has, then each `--by` column (reusing the
/// slot when a --by column is also a kind column). Remembers which optional
/// columns any file had, so a kind reports only what the data can feed.
class Columns {
 public:
  Columns(std::span<const std::string_view> required, std::span<const std::string_view> optional,
          std::vector<std::string> by);

  /// The names to bind for a file offering `available`; resets the slots.
  std::vector<std::string> bind(const std::vector<std::string>& available);

  /// Slot of kind column `index` (required then optional order), or kNoSlot.
  std::size_t slot(std::size_t index) const noexcept { return slots_[index]; }
  /// Slot of the i-th --by column.
  std::size_t by_slot(std::size_t i) const noexcept { return by_slots_[i]; }
  const std::vector<std::string>& by() const noexcept { return by_; }
  /// Some file so far had kind column `index`.
  bool ever_had(std::size_t index) const noexcept { return ever_[index]; }
  /// The current file has kind column `index`.
  bool has(std::size_t index) const noexcept { return slots_[index] != kNoSlot; }
  std::string_view name(std::size_t index) const noexcept { return all_[index]; }

 private:
  std::vector<std::string_view> all_;
  std::size_t required_count_;
  std::vector<std::string> by_;
  std::vector<std::size_t> slots_;
  std::vector<std::size_t> by_slots_;
  std::vector<bool> ever_;
  std::vector<bool> by_available_;
};

/// The field of a record at `slot`, or nullptr when the column is not bound or
/// the record does not have it.
const io::Field* field_at(const io::Record& record, std::size_t slot) noexcept;
/// Trimmed text of the field at `slot` ("" when absent or blank).
std::string_view text_at(const io::Record& record, std::size_t slot) noexcept;

/// "column 'NAME': expected a non-empty value, got """ when the required field
/// at `slot` is blank; ok otherwise.
Status require_nonblank(const io::Record& record, std::size_t slot, std::string_view name);

/// Parses the timestamp at `slot` (REQUIRES: non-blank) with the context's parser.
Expected<time::Micros> read_time(const io::Record& record, std::size_t slot,
                                 std::string_view name, const TimeContext& time);

/// Interns segment keys (the --by values of a record) into dense indices.
/// Lookups with an existing key do not allocate.
class Segments {
 public:
  /// Checks the --by columns and builds the key without adding it yet; call
  /// `commit()` after the record validated to get its index.
  Status prepare(const io::Record& record, const Columns& columns);
  std::size_t commit(const Columns& columns);
  /// Without --by there is exactly one segment (no dims), even with no records,
  /// so every period of a --from/--to range is reported.
  void ensure_default(const Columns& columns);

  std::size_t size() const noexcept { return dims_.size(); }
  /// The dims of segment i: --by name/value pairs in --by order.
  const Dims& dims(std::size_t i) const noexcept { return dims_[i]; }
  /// Segment indices with their dims in ascending order of values.
  std::vector<std::size_t> sorted() const;

 private:
  std::string key_;  // reused buffer: values joined by '\x1f'
  std::vector<std::string_view> values_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<Dims> dims_;
};

/// Interns ids (customer ids, sprint names) into dense indices.
class Interner {
 public:
  std::uint32_t intern(std::string_view id);
  std::size_t size() const noexcept { return map_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> map_;
};

/// Tracks the first and last local day seen (the default range).
struct DaySpan {
  std::optional<time::Day> first, last;
  void add(time::Day d) noexcept {
    if (!first || d < *first) first = d;
    if (!last || d > *last) last = d;
  }
};

/// Puts a measured value (or, with no value, the reason) into a group.
void put(Group& group, std::string_view id, double value);
void put(Group& group, std::string_view id, std::optional<double> value, std::string_view reason);

/// Table with no groups and a warning, for inputs with nothing in range.
Table empty_table(std::string_view kind, std::vector<std::string> warnings);

/// Formats a double for messages (shortest round-trip form).
std::string format_number(double v);

}  // namespace kpi::kinds
