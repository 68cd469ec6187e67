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
//
// A pipe cannot be read twice, so it cannot be declined whole: a BulkStream
// reads it in blocks of whole lines as they arrive, the sink takes blocks in
// order on every core, and at the first row it is unsure of it stops; the
// record reader then goes on from the first block not taken (BulkRest), with
// the line numbers it would have counted itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpi::io {

struct FlatKeyMemo;  // src/io/flat_json.hpp

enum class Format;

/// Where the rows of a file (or a pipe) lie and how they map to bound slots.
struct BulkInput {
  Format format{};               ///< csv/tsv (delimited) or ndjson
  char delimiter = ',';          ///< delimited text only
  int fd = -1;                   ///< a regular file, read with pread (position untouched)
  std::uint64_t begin = 0;       ///< offset of the first row (after the header)
  std::uint64_t end = 0;         ///< the file's size when opened
  /// A pipe (or socket), read with read() by a BulkStream; then `head` holds the
  /// bytes the reader has already read from `begin` on (a view into the
  /// reader's buffer, valid until it reads again), `first_line` is the line
  /// number of its first byte, and `end` is unused.
  bool stream = false;
  std::string_view head;
  std::uint64_t first_line = 1;
  std::size_t block_bytes = std::size_t{8} << 20;  ///< a stream's block size (tests make it tiny)
  std::size_t fields = 0;        ///< delimited: fields per row (the header's)
  std::vector<int> column_of_slot;        ///< delimited: header column of each bound slot, -1 if none
  std::vector<std::string> key_of_slot;   ///< ndjson: top-level key of each bound slot, "" if none
  /// Smallest chunk worth a thread of its own, and the most chunks (0: one
  /// per core, bulk_threads()); tests change both to cut tiny files finely.
  std::uint64_t min_chunk_bytes = std::uint64_t{4} << 20;
  std::size_t max_chunks = 0;
};

/// A read buffer: mapped memory on transparent huge pages where the system has
/// them (a page fault per 2 MiB, not per 4 KiB), freed by its deleter.
struct ByteBlockFree {
  std::size_t mapped = 0;
  void operator()(char* p) const noexcept;
};
using ByteBlock = std::unique_ptr<char[], ByteBlockFree>;
/// A ByteBlock of at least `bytes` bytes, uninitialised. Throws std::bad_alloc.
ByteBlock make_byte_block(std::size_t bytes);

/// The rows of one chunk of a BulkInput, read sequentially with pread into a
/// buffer of its own (so memory stays bounded whatever the file's size).
class BulkChunk {
 public:
  enum class Step { row, end, decline };

  BulkChunk(const BulkInput& input, std::uint64_t begin, std::uint64_t end);
  /// The rows of a block of whole lines already in memory (a BulkStream's),
  /// which must outlive the chunk. `readable_after`: bytes after the block's
  /// end that may be loaded (and ignored), kReadSlack for a whole-word
  /// splitter; 0 is always safe.
  BulkChunk(const BulkInput& input, std::string_view block, std::size_t readable_after = 0);
  /// Bytes past the data that the splitter's 16-byte loads may read: buffers
  /// made for chunks and blocks are this much longer than their data.
  static constexpr std::size_t kReadSlack = 16;
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
  /// A stream's block: its line breaks (once next() answered `end`, the lines
  /// of the block: a row the bulk path accepts never holds a lone CR, the one
  /// other line break the record readers count).
  std::uint64_t lines() const noexcept;

 private:
  bool refill();
  Step split_delimited(std::string_view line, std::span<std::string_view> slots);

  const BulkInput* input_;
  std::uint64_t next_read_, end_;    // file offsets still to read
  ByteBlock buf_;
  const char* bytes_ = nullptr;      // buf_, or a stream's block
  std::size_t readable_after_ = 0;   // bytes after bytes_ + len_ that may be loaded
  bool is_block_ = false;
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
  std::unique_ptr<FlatKeyMemo> key_memo_;  // ndjson: the keys of the last lines
  bool first_ = true;                     // the chunk's first row (a BOM may open the file)
};

/// Cuts `input` into at most `max_chunks` chunks of at least
/// input.min_chunk_bytes, each starting at a line start; nullopt when the file
/// cannot be read (the caller reads it with the record reader, which reports why).
std::optional<std::vector<BulkChunk>> split_bulk(const BulkInput& input, std::size_t max_chunks);

/// Where the record reader goes on after a BulkStream: the bytes read but not
/// taken, the input offset and line number of their first byte.
struct BulkRest {
  std::string bytes;
  std::uint64_t offset = 0;
  std::uint64_t line = 1;
};

/// A pipe read in blocks of whole lines (BulkInput::stream), for a sink that
/// parses them on several threads and takes them in order. Every byte of the
/// input is either in a block taken (taken()) or in rest(), in input order.
/// next() may be called from several threads (one reads at a time); taken()
/// and stop() too.
class BulkStream {
 public:
  explicit BulkStream(const BulkInput& input);
  BulkStream(const BulkStream&) = delete;
  BulkStream& operator=(const BulkStream&) = delete;
  ~BulkStream();

  /// The next block: its number (0, 1, ... in input order) and its rows. nullopt
  /// at the end of the input, after stop(), after a read error, or when a line is
  /// longer than a block: the record reader then takes over from rest().
  std::optional<std::pair<std::size_t, BulkChunk>> next();
  /// The sink took every row of block k (with `lines` line breaks, the chunk's
  /// lines()): its bytes are dropped. REQUIRES: k is the first block not taken.
  void taken(std::size_t k, std::uint64_t lines);
  /// No more blocks: a read under way ends after its current read() call.
  void stop() noexcept { stopped_.store(true, std::memory_order_relaxed); }
  /// The usual size of a block (the head and long lines make larger ones).
  std::size_t block_bytes() const noexcept { return input_.block_bytes; }
  /// The bytes not taken. REQUIRES: no next() is running.
  BulkRest rest();

 private:
  struct Block {
    ByteBlock bytes;
    std::size_t size = 0;
    std::uint64_t offset = 0;
    std::size_t capacity = 0;
  };
  std::size_t block_size() const noexcept { return input_.block_bytes == 0 ? 1 : input_.block_bytes; }
  // A block's buffer holds a block after a carried-over line of up to a quarter block.
  std::size_t usual_capacity() const noexcept { return block_size() + block_size() / 4; }
  const BulkInput& input_;
  std::mutex read_mutex_;             // one read at a time, in input order; carry_ and the flags
  std::string carry_;                 // read but not in a block: a line not yet complete
  std::uint64_t carry_offset_ = 0;
  bool eof_ = false, failed_ = false;
  mutable std::mutex blocks_mutex_;   // blocks_ and the counters below
  std::deque<Block> blocks_;          // read and not taken, in input order
  std::vector<ByteBlock> spare_;  // buffers of taken blocks, reused (fresh
                                                // pages cost a fault each: a block's worth)
  std::size_t first_block_ = 0;       // number of blocks_.front()
  std::uint64_t line_ = 1;            // line of blocks_.front()'s first byte
  std::atomic<bool> stopped_{false};
};

/// How many threads the bulk path and the events analyses use: one per core,
/// unless set_bulk_threads capped it.
std::size_t bulk_threads() noexcept;
/// Caps bulk_threads() at n (0: one per core again). For a program that embeds
/// kpi::core beside other work, and for tests that compare one thread with several.
void set_bulk_threads(std::size_t n) noexcept;

}  // namespace kpi::io
