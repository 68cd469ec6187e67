// kpi/input.hpp — reading every input of one record kind into a sink.
//
// This is the one read loop that `compute`, `funnel` and `retention` share: it
// opens each file, detects or checks the record kind against the columns
// (after --map/--default), binds the sink's columns, streams the records, and
// applies --skip-invalid (each skip reported: the first 20 in full, then a
// count). A sink validates a whole record before it changes any state, so a
// rejected row leaves no trace.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/compute.hpp"
#include "kpi/error.hpp"
#include "kpi/io/reader.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"

namespace kpi {

/// A record kind: its name and the canonical columns it requires and may use.
struct KindInfo {
  std::string_view name;
  std::span<const std::string_view> required;
  std::span<const std::string_view> optional;
};

/// events, subscriptions, tickets, responses, work_items, summary — in that order.
std::span<const KindInfo> record_kinds() noexcept;
const KindInfo* find_kind(std::string_view name) noexcept;

/// Zone, timestamp parser and analysis range, parsed once from InputOptions.
struct TimeContext {
  time::Zone zone;
  time::TimestampParser parser{time::Zone{}};
  std::optional<time::Day> from, to;  ///< --from/--to, inclusive local days
};
Expected<TimeContext> make_time_context(const InputOptions& options);

/// Receives validated records of one kind.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  /// Canonical columns to bind, in slot order. Called once per input file, with
  /// that file's columns (summary data binds whatever it finds).
  virtual std::vector<std::string> columns(const std::vector<std::string>& available) = 0;
  /// Validates and takes one record; an Error (usually Record::error) rejects it
  /// without side effects.
  virtual Status add(const io::Record& record) = 0;
  /// Work on records that add() can have done ahead, on the reader's thread;
  /// nullptr (the default) when there is none. Valid after columns().
  virtual const io::RecordPreparer* preparer() const noexcept { return nullptr; }
  /// Takes a whole file through the bulk path (io/bulk.hpp), parsing it on
  /// several threads: the number of rows taken, or nullopt when the sink has no
  /// bulk path or declined the file (then it is unchanged, and the caller reads
  /// the file record by record). Called after columns(), instead of add().
  virtual std::optional<std::uint64_t> add_bulk(const io::BulkInput& input) {
    (void)input;
    return std::nullopt;
  }
  /// Takes a pipe's rows through the bulk path, block by block as they arrive
  /// (io::BulkStream): the number of rows taken. The sink takes whole blocks
  /// in order and may stop at any block (one it is not sure of); the caller
  /// then reads the stream's rest() record by record. Called after columns(),
  /// before add(). The default takes nothing.
  virtual std::uint64_t add_bulk_stream(io::BulkStream& stream) {
    (void)stream;
    return 0;
  }
};

/// The kind of `columns`: --kind if given (checked), else detected as CLI.md says.
Expected<std::string> detect_kind(const std::vector<std::string>& columns,
                                  const std::string& requested, const std::string& file);

/// Reads every file of `options` into `sink`. `kind` may be "" to detect it from
/// the first file; on return it holds the kind read. Fills `info` (files, kind,
/// rows, skipped_rows) and appends skip reports to `warnings`.
Status read_records(const InputOptions& options, std::string& kind, RecordSink& sink,
                    InputsInfo& info, std::vector<std::string>& warnings);

/// As above, for callers whose sink depends on the kind: `sink_for(kind)` is
/// called once, when the first file's kind is known, and returns the sink (or an
/// Error, e.g. "funnel needs events").
using SinkFactory = std::function<Expected<RecordSink*>(const std::string& kind)>;
Status read_records(const InputOptions& options, std::string& kind, const SinkFactory& sink_for,
                    InputsInfo& info, std::vector<std::string>& warnings);

}  // namespace kpi
