// kpi/io/reader.hpp — streaming record readers for CSV, TSV, JSON and NDJSON.
//
// A `RecordReader` turns one input (a file, or "-" for stdin) into records, one
// at a time, without ever holding the whole file: memory is bounded by the
// longest record. Consumers ask for *canonical* column names (`bind`), after
// `--map CANON=SOURCE` renames (SOURCE may be a dotted JSON path such as
// `properties.distinct_id`) and `--default CANON=VALUE` fill-ins, and then read
// `Field`s by slot. Structural problems — a ragged CSV row, an unterminated
// quote, malformed JSON, invalid UTF-8, an empty file — come back as an `Error`
// with file, line, column and the offending line, ready for the caret.
//
// JSON values are read as text: strings unescaped, numbers by their literal
// (`1700000000`, `9.0`), booleans `true`/`false`, `null` as a blank field; nested
// objects are addressed by dotted paths. An object or array where a scalar is
// wanted is reported by the consumer via `Record::error`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kpi/error.hpp"
#include "kpi/io/bulk.hpp"

namespace kpi::io {

enum class Format { csv, tsv, json, ndjson };

std::optional<Format> parse_format(std::string_view name) noexcept;
std::string_view format_name(Format f) noexcept;

struct ReaderOptions {
  std::optional<Format> format;                              ///< --input-format
  std::optional<char> delimiter;                             ///< -d (delimited text only)
  std::vector<std::pair<std::string, std::string>> map;      ///< --map CANON=SOURCE
  std::vector<std::pair<std::string, std::string>> defaults; ///< --default CANON=VALUE
};

/// One value of a record.
struct Field {
  std::string_view text;      ///< unescaped text; empty when blank or absent
  bool present = false;       ///< the input has this column/key for this record
  bool defaulted = false;     ///< text came from --default
  bool scalar = true;         ///< false for a JSON object/array
  std::uint32_t offset = 0;   ///< byte offset of the value within Record::raw
};

/// Room for what a RecordPreparer works out about a record ahead of its
/// consumer (parsed timestamps, hashes of ids); its meaning is the preparer's.
/// Small: it crosses from the reader's core to the consumer's with every record.
struct Prepared {
  bool valid = false;            ///< set by RecordPreparer::prepare
  std::uint64_t words[3] = {};
};

/// A record as read. Views stay valid until the next call to RecordReader::next.
struct Record {
  std::string_view file;       ///< display name of the input
  std::size_t line = 0;        ///< 1-based physical line where the record starts
  std::string_view raw;        ///< the record's text (may span lines for quoted CSV)
  std::string_view prefix;     ///< text before `raw` on its first line (JSON array elements)
  std::vector<Field> fields;   ///< one per bound name, in bind order
  Prepared prepared;           ///< filled ahead by a RecordPreparer, if any

  /// Location of field `slot` (line/column adjusted when `raw` spans lines).
  Location where(std::size_t slot) const;
  /// "column 'NAME': expected EXPECTED, got "TEXT"" located at field `slot`.
  Error error(std::size_t slot, std::string_view name, std::string_view expected) const;
};

/// The part of a consumer's per-record work that needs none of its state
/// (parsing a timestamp, hashing an id). A reader running ahead on another
/// thread calls prepare() there, so two cores share the work, and prefetch()
/// on the consumer's thread a few records before the consumer reaches them.
/// REQUIRES: both are safe to call concurrently with the consumer.
class RecordPreparer {
 public:
  virtual ~RecordPreparer() = default;
  /// Fills record.prepared (record.prepared.valid = true when it did).
  virtual void prepare(Record& record) const noexcept = 0;
  /// How far ahead a prefetch() is: `far` comes first, then `near` for the
  /// same record, so a second lookup can use what the first one fetched.
  enum class Ahead { far, near };
  /// A hint: the record with `prepared` comes soon; fetch what it will touch.
  virtual void prefetch(const Prepared& prepared, Ahead ahead) const noexcept = 0;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;

  /// Opens `path` ("-" = stdin). Format: options.format, else the extension
  /// (.csv .tsv .json .ndjson .jsonl), else sniffed from the first bytes. Reads
  /// the header (CSV) or the first record (JSON) to learn the columns.
  static Expected<std::unique_ptr<RecordReader>> open(const std::string& path,
                                                      const ReaderOptions& options);

  const std::string& display_name() const noexcept { return name_; }
  Format format() const noexcept { return format_; }

  /// Canonical column names the input offers: the header (JSON: the flattened
  /// keys of the first record, e.g. "properties.time"), renamed by --map, plus
  /// the --default names, in input order without duplicates.
  const std::vector<std::string>& columns() const noexcept { return columns_; }
  bool has_column(std::string_view canonical) const noexcept;

  /// Chooses the canonical columns `next` fills, in this order. Call before next().
  virtual void bind(const std::vector<std::string>& canonical_names) = 0;

  /// Reads the next record into `out`: true if one was read, false at the end,
  /// or an Error for malformed input.
  virtual Expected<bool> next(Record& out) = 0;

  /// After next() returned an Error: true when that record was consumed and
  /// reading may go on (a ragged row, invalid UTF-8), so --skip-invalid can skip
  /// it; false for errors that leave no safe place to resume (an unterminated
  /// quote, malformed JSON).
  bool can_skip_last_error() const noexcept { return recoverable_; }

  /// After bind() and before next(): the rest of the input laid out for the
  /// bulk path (bulk.hpp), when it is a regular file in a format that has one
  /// (CSV/TSV, NDJSON) and no bound column has a --default; else nullopt.
  /// The BulkInput refers to this reader, which must outlive it; reading it
  /// leaves this reader where it was.
  virtual std::optional<BulkInput> bulk() const { return std::nullopt; }
  /// After a BulkStream over this reader's bulk() stopped short of the end:
  /// reads on from `rest` (then the rest of the input), counting lines from
  /// rest.line, as if it had read every row before it itself.
  /// REQUIRES: bulk() gave a stream input, and rest is that stream's rest().
  virtual void resume(const BulkRest& rest) { (void)rest; }

 protected:
  bool recoverable_ = false;
  std::string name_;
  Format format_ = Format::csv;
  std::vector<std::string> columns_;
};

}  // namespace kpi::io
