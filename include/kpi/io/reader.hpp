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

/// A record as read. Views stay valid until the next call to RecordReader::next.
struct Record {
  std::string_view file;       ///< display name of the input
  std::size_t line = 0;        ///< 1-based physical line where the record starts
  std::string_view raw;        ///< the record's text (may span lines for quoted CSV)
  std::string_view prefix;     ///< text before `raw` on its first line (JSON array elements)
  std::vector<Field> fields;   ///< one per bound name, in bind order

  /// Location of field `slot` (line/column adjusted when `raw` spans lines).
  Location where(std::size_t slot) const;
  /// "column 'NAME': expected EXPECTED, got "TEXT"" located at field `slot`.
  Error error(std::size_t slot, std::string_view name, std::string_view expected) const;
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

 protected:
  bool recoverable_ = false;
  std::string name_;
  Format format_ = Format::csv;
  std::vector<std::string> columns_;
};

}  // namespace kpi::io
