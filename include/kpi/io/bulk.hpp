// kpi/io/bulk.hpp — reading a plain file's rows in chunks, one per core.
//
// A RecordReader (reader.hpp) streams records one at a time on one thread, and
// handles everything: quoted fields with line breaks, escapes, nested JSON,
// and diagnostics with line and caret. Most large exports are plainer than
// that: one record per line, nothing quoted. For such a file, read from disk,
// the reader offers a `BulkInput` (RecordReader::bulk) which a sink can cut
// into chunks at line starts and parse on several threads (BulkChunk).
//
// The bulk path never reports an error and never guesses: a row it is not sure
// about (a quote, a bare CR, a ragged row, bad UTF-8, a JSON line that is not
// a flat object, ...) makes BulkChunk::next answer `decline`, and the caller
// then reads the whole file with the record reader, which accepts or rejects
// it as before. A row the bulk path accepts has exactly the texts the record
// reader would give it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpi::io {

enum class Format;

/// Where the rows of a file lie and how they map to bound slots.
struct BulkInput {
  Format format{};               ///< csv/tsv (delimited) or ndjson
  char delimiter = ',';          ///< delimited text only
  int fd = -1;                   ///< a regular file, read with pread (position untouched)
  std::uint64_t begin = 0;       ///< offset of the first row (after the header)
  std::uint64_t end = 0;         ///< the file's size when opened
  std::size_t fields = 0;        ///< delimited: fields per row (the header's)
  std::vector<int> column_of_slot;        ///< delimited: header column of each bound slot, -1 if none
  std::vector<std::string> key_of_slot;   ///< ndjson: top-level key of each bound slot, "" if none
  /// Smallest chunk worth a thread of its own, and the most chunks (0: one
  /// per core, bulk_threads()); tests change both to cut tiny files finely.
  std::uint64_t min_chunk_bytes = std::uint64_t{4} << 20;
  std::size_t max_chunks = 0;
};

/// The rows of one chunk of a BulkInput, read sequentially with pread into a
/// buffer of its own (so memory stays bounded whatever the file's size).
class BulkChunk {
 public:
  enum class Step { row, end, decline };

  BulkChunk(const BulkInput& input, std::uint64_t begin, std::uint64_t end);
  BulkChunk(const BulkChunk&) = delete;
  BulkChunk& operator=(const BulkChunk&) = delete;
  BulkChunk(BulkChunk&&) noexcept;
  BulkChunk& operator=(BulkChunk&&) noexcept;
  ~BulkChunk();

  /// The next row: each bound slot's text (untrimmed; "" when the slot has no
  /// column or key) into `slots`, valid until the next call.
  /// REQUIRES: slots.size() is the number of bound slots.
  Step next(std::span<std::string_view> slots);
  /// Rows returned so far (blank lines are not rows).
  std::uint64_t rows() const noexcept { return rows_; }

 private:
  bool refill();
  Step split_delimited(std::string_view line, std::span<std::string_view> slots);

  const BulkInput* input_;
  std::uint64_t next_read_, end_;    // file offsets still to read
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0, pos_ = 0, len_ = 0;
  std::uint64_t rows_ = 0;
  // Delimited: the slot each column fills (-1: none), the slots no column
  // fills, and slots bound to a column another slot already has (slot, that
  // slot), copied after the split.
  std::vector<int> slot_of_column_;
  std::vector<std::size_t> unfilled_;
  std::vector<std::pair<std::size_t, std::size_t>> copies_;
  std::vector<std::string_view> keys_;    // ndjson: input_->key_of_slot
  std::string scratch_;                   // ndjson: unescaped strings
  bool first_ = true;                     // the chunk's first row (a BOM may open the file)
};

/// Cuts `input` into at most `max_chunks` chunks of at least
/// input.min_chunk_bytes, each starting at a line start; nullopt when the file
/// cannot be read (the caller reads it with the record reader, which reports why).
std::optional<std::vector<BulkChunk>> split_bulk(const BulkInput& input, std::size_t max_chunks);

/// How many threads the bulk path and the events analyses use: one per core,
/// unless set_bulk_threads capped it.
std::size_t bulk_threads() noexcept;
/// Caps bulk_threads() at n (0: one per core again). For a program that embeds
/// kpi::core beside other work, and for tests that compare one thread with several.
void set_bulk_threads(std::size_t n) noexcept;

}  // namespace kpi::io
