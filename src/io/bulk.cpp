// Chunks of a plain file read with pread, and blocks of a pipe, split into rows (see bulk.hpp).
#include "kpi/io/bulk.hpp"

#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "blocks.hpp"
#include "byte_source.hpp"
#include "flat_json.hpp"
#include "kpi/io/reader.hpp"
#include "readers.hpp"

namespace kpi::io {
namespace {

// A chunk's read buffer: small enough to stay in a core's L2 cache between
// pread copying into it and the parser reading it (4 MiB went to L3 and back).
constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;


// Reads [offset, offset + n) completely; false on a read error or a short file.
bool pread_all(int fd, char* dst, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    const ssize_t got = ::pread(fd, dst, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    dst += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

// The offset just after the first '\n' at or after `from` (`end` if none).
std::optional<std::uint64_t> line_start_after(int fd, std::uint64_t from, std::uint64_t end) {
  char block[64 * 1024];
  while (from < end) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof block, end - from));
    if (!pread_all(fd, block, n, from)) return std::nullopt;
    if (const void* nl = std::memchr(block, '\n', n); nl != nullptr)
      return from + static_cast<std::uint64_t>(static_cast<const char*>(nl) - block) + 1;
    from += n;
  }
  return end;
}

// Exactly the zero bytes of v: bit 7 of each byte that is zero. (The shorter
// (v - 0x01..) & ~v & 0x80.. also flags a 0x01 byte above a zero one: a '-'
// after a ',' would read as a second comma.)
constexpr std::uint64_t zero_bytes(std::uint64_t v) noexcept {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  return ~(((v & kLow7) + kLow7) | v | kLow7);
}

}  // namespace

void ByteBlockFree::operator()(char* p) const noexcept { free_block(p, mapped); }

ByteBlock make_byte_block(std::size_t bytes) {
  std::size_t mapped = 0;
  auto* p = static_cast<char*>(grow_block(nullptr, mapped, 0, bytes));
  return ByteBlock(p, ByteBlockFree{mapped});
}

BulkChunk::BulkChunk(const BulkInput& input, std::uint64_t begin, std::uint64_t end)
    : input_(&input), next_read_(begin), end_(end), first_(begin == 0) {
  keys_.assign(input.key_of_slot.begin(), input.key_of_slot.end());
  if (input.format == Format::ndjson) key_memo_ = std::make_unique<FlatKeyMemo>();
  slot_of_column_.assign(input.fields + 1, -1);  // + 1: a field too many lands there
  for (std::size_t slot = 0; slot < input.column_of_slot.size(); ++slot) {
    const int col = input.column_of_slot[slot];
    if (col < 0 || static_cast<std::size_t>(col) >= input.fields) {
      unfilled_.push_back(slot);
    } else if (const int first = slot_of_column_[static_cast<std::size_t>(col)]; first >= 0) {
      copies_.emplace_back(slot, static_cast<std::size_t>(first));  // --by on a bound column
    } else {
      slot_of_column_[static_cast<std::size_t>(col)] = static_cast<int>(slot);
    }
  }
}
BulkChunk::BulkChunk(const BulkInput& input, std::string_view block, std::size_t readable_after)
    : BulkChunk(input, 0, 0) {
  first_ = false;  // a stream's blocks follow the header (or the reader's first look)
  bytes_ = block.data();
  is_block_ = true;
  len_ = block.size();
  readable_after_ = readable_after;
}
BulkChunk::BulkChunk(BulkChunk&&) noexcept = default;
BulkChunk& BulkChunk::operator=(BulkChunk&&) noexcept = default;
BulkChunk::~BulkChunk() = default;

namespace {

// The '\n' bytes of [p, p + n). Byte-wide counters over 32 lanes, emptied
// before they can wrap, are what the compiler turns into vector compares:
// std::count's 64-bit counter was 4% of a piped `kpi compute`.
std::uint64_t count_newlines(const char* p, std::size_t n) noexcept {
  constexpr std::size_t kLanes = 32, kRounds = 255;
  std::uint64_t total = 0;
  std::size_t i = 0;
  while (n - i >= kLanes) {
    std::uint8_t acc[kLanes] = {};
    const std::size_t rounds = std::min(kRounds, (n - i) / kLanes);
    for (std::size_t r = 0; r < rounds; ++r, i += kLanes)
      for (std::size_t k = 0; k < kLanes; ++k) acc[k] = static_cast<std::uint8_t>(acc[k] + (p[i + k] == '\n'));
    for (const std::uint8_t a : acc) total += a;
  }
  for (; i < n; ++i) total += p[i] == '\n';
  return total;
}

}  // namespace

// Counted once per block, not in next(), which files use too.
std::uint64_t BulkChunk::lines() const noexcept { return is_block_ ? count_newlines(bytes_, len_) : 0; }

// Keeps the unconsumed tail, reads more after it; grows the buffer only when
// one line fills it. False at the chunk's end or on a read error (or a file
// that shrank since it was opened).
bool BulkChunk::refill() {
  if (next_read_ >= end_) return false;
  if (buf_ == nullptr) {
    cap_ = static_cast<std::size_t>(std::min<std::uint64_t>(kBufferBytes, end_ - next_read_));
    buf_ = make_byte_block(cap_ + kReadSlack);
  }
  const std::size_t tail = len_ - pos_;
  if (pos_ > 0) std::memmove(buf_.get(), buf_.get() + pos_, tail);
  pos_ = 0;
  len_ = tail;
  if (len_ == cap_) {
    if (cap_ >= ByteSource::kMaxRecordBytes) return false;  // the record reader says why
    ByteBlock bigger = make_byte_block(cap_ * 2 + kReadSlack);
    std::memcpy(bigger.get(), buf_.get(), len_);
    buf_ = std::move(bigger);
    cap_ *= 2;
  }
  bytes_ = buf_.get();
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(cap_ - len_, end_ - next_read_));
  if (!pread_all(input_->fd, buf_.get() + len_, n, next_read_)) {
    next_read_ = end_;
    len_ = pos_ = 0;
    return false;
  }
  next_read_ += n;
  len_ += n;
  std::memset(buf_.get() + len_, 0, kReadSlack);  // loaded past the last line, never used
  readable_after_ = kReadSlack;
  return true;
}

BulkChunk::Step BulkChunk::next(std::span<std::string_view> slots) {
  // Most NDJSON lines repeat the last ones' shape: read as such, with no search
  // for their end first.
  if (key_memo_ != nullptr && !first_ && pos_ < len_ && readable_after_ >= kReadSlack) {
    if (const std::size_t size = split_shaped_line(bytes_ + pos_, len_ - pos_, slots, *key_memo_);
        size != kNoShapedLine) {
      pos_ += size + 1;
      ++rows_;
      return Step::row;
    }
  }
  while (true) {
    const char* start = bytes_ + pos_;
    const void* nl = len_ > pos_ ? std::memchr(start, '\n', len_ - pos_) : nullptr;
    std::string_view line;
    if (nl != nullptr) {
      line = {start, static_cast<std::size_t>(static_cast<const char*>(nl) - start)};
      pos_ += line.size() + 1;
    } else if (next_read_ < end_) {
      if (!refill()) return Step::decline;  // a read error, or the file shrank
      continue;
    } else if (pos_ < len_) {
      line = {start, len_ - pos_};  // the file's last line, without a line ending
      pos_ = len_;
    } else {
      return Step::end;
    }
    if (first_) {
      first_ = false;
      if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    }
    Step step = Step::decline;
    if (input_->format == Format::ndjson) {  // (split_flat_object takes a CRLF's CR itself)
      switch (split_flat_object(line, keys_, slots, scratch_, key_memo_.get())) {
        case FlatRow::row: step = Step::row; break;
        case FlatRow::blank: continue;
        case FlatRow::decline: return Step::decline;
      }
    } else {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
      if (line.empty()) continue;  // a blank line, as the record reader skips it
      step = split_delimited(line, slots);
    }
    if (step == Step::row) ++rows_;
    return step;
  }
}

// One pass, 16 or 8 bytes per step: the delimiters' positions cut the fields, and
// any byte only the record reader handles is noted on the way — a quote, a CR
// (a line ending of its own there), or a byte >= 0x80 or NUL, which
// find_invalid_utf8 must vouch for.
BulkChunk::Step BulkChunk::split_delimited(std::string_view line, std::span<std::string_view> slots) {
  const std::size_t want = input_->fields, n = line.size();
  const char* p = line.data();
  const char d = input_->delimiter;
  const std::uint64_t dd = kOnes * static_cast<unsigned char>(d);
  const int* slot_of = slot_of_column_.data();
  std::uint64_t care = 0, high = 0;
  std::size_t field = 0, from = 0, i = 0;
  // A field goes straight to its slot; a field beyond the header's count
  // only counts (the row then declines).
  const auto cut = [&](std::size_t at) noexcept {
    if (const int slot = slot_of[field < want ? field : want]; slot >= 0)
      slots[static_cast<std::size_t>(slot)] = std::string_view(p + from, at - from);
    ++field;
    from = at + 1;
  };
#if defined(__SSE2__)
  // 16 bytes per step where x86-64 always has SSE2: exact byte compares. When
  // the buffer has room after the line (kReadSlack), its last step loads past
  // the end and masks those bytes off: no 8-byte and byte tails.
  const __m128i vd = _mm_set1_epi8(d), vq = _mm_set1_epi8('"'), vr = _mm_set1_epi8('\r');
  const __m128i vz = _mm_setzero_si128();
  const auto step = [&](unsigned live) noexcept {  // the 16 bytes at i, those of `live`'s bits
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    care |= static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(w, vq), _mm_cmpeq_epi8(w, vr)))) & live;
    high |= static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(w, _mm_cmpeq_epi8(w, vz)))) & live;
    for (auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, vd))) & live; hits != 0; hits &= hits - 1)
      cut(i + static_cast<std::size_t>(std::countr_zero(hits)));
  };
  for (; i + 16 <= n; i += 16) step(0xFFFFu);
  if (i < n && static_cast<std::size_t>(bytes_ + len_ + readable_after_ - (p + i)) >= 16) {
    step((1u << (n - i)) - 1u);
    i = n;
  }
#endif
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    care |= zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\r'));
    high |= zero_bytes(w) | (w & kHigh);
    for (std::uint64_t hits = zero_bytes(w ^ dd); hits != 0; hits &= hits - 1) {
      if constexpr (std::endian::native == std::endian::little) {
        cut(i + static_cast<std::size_t>(std::countr_zero(hits)) / 8);
      } else {
        return Step::decline;  // elsewhere the record reader does it all
      }
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '"' || c == '\r') care = 1;
    if (c == 0 || c >= 0x80) high = 1;
    if (p[i] == d) cut(i);
  }
  cut(n);
  if (care != 0 || field != want) return Step::decline;
  if (high != 0 && find_invalid_utf8(line) != std::string_view::npos) return Step::decline;
  for (const std::size_t slot : unfilled_) slots[slot] = std::string_view{};
  for (const auto& [slot, same_as] : copies_) slots[slot] = slots[same_as];
  return Step::row;
}

std::optional<std::vector<BulkChunk>> split_bulk(const BulkInput& input, std::size_t max_chunks) {
  const std::uint64_t size = input.end > input.begin ? input.end - input.begin : 0;
  const std::uint64_t by_size = std::max<std::uint64_t>(1, size / std::max<std::uint64_t>(1, input.min_chunk_bytes));
  const auto n = static_cast<std::size_t>(std::clamp<std::uint64_t>(by_size, 1, std::max<std::size_t>(1, max_chunks)));
  std::vector<BulkChunk> chunks;
  std::uint64_t begin = input.begin;
  for (std::size_t k = 1; k <= n && begin < input.end; ++k) {
    std::uint64_t end = input.end;
    if (k < n) {
      // The chunk ends after the line that holds its nominal end (line_start_after
      // looks from one byte before, so a nominal end at a line start stays put).
      const std::uint64_t nominal = input.begin + size * k / n;
      auto cut = line_start_after(input.fd, std::max(begin, nominal - 1), input.end);
      if (!cut) return std::nullopt;
      end = *cut;
    }
    if (end > begin) chunks.emplace_back(input, begin, end);
    begin = end;
  }
  return chunks;
}

BulkStream::BulkStream(const BulkInput& input)
    : input_(input), carry_(input.head), carry_offset_(input.begin), line_(input.first_line) {}

BulkStream::~BulkStream() = default;

std::optional<std::pair<std::size_t, BulkChunk>> BulkStream::next() {
  const std::lock_guard read_lock(read_mutex_);
  if (failed_ || stopped_.load(std::memory_order_relaxed) || (eof_ && carry_.empty())) return std::nullopt;
  // Room for a block after the incomplete line carried over (or the reader's
  // head, which may be larger than a block).
  const std::size_t cap = std::max(carry_.size(), block_size() / 4) + block_size();
  ByteBlock buf;
  if (cap == usual_capacity()) {  // a spare one fits
    const std::lock_guard blocks_lock(blocks_mutex_);
    if (!spare_.empty()) {
      buf = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  if (buf == nullptr) buf = make_byte_block(cap + BulkChunk::kReadSlack);
  std::memcpy(buf.get(), carry_.data(), carry_.size());
  std::size_t len = carry_.size();
  while (len < cap && !eof_) {
    if (stopped_.load(std::memory_order_relaxed)) break;
    const ssize_t got = ::read(input_.fd, buf.get() + len, cap - len);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      failed_ = true;  // the record reader reads on, and reports the error
      break;
    }
    if (got == 0) eof_ = true;
    len += static_cast<std::size_t>(got);
  }
  if (len == 0) return std::nullopt;  // the end of the input
  std::memset(buf.get() + len, 0, BulkChunk::kReadSlack);  // loaded past the last line, never used
  // A block ends after its last line break; the input's last line needs none.
  std::size_t cut = len;
  if (!eof_) {
    const void* nl = ::memrchr(buf.get(), '\n', len);
    cut = nl == nullptr ? 0 : static_cast<std::size_t>(static_cast<const char*>(nl) - buf.get()) + 1;
  }
  if (failed_ || stopped_.load(std::memory_order_relaxed) || cut == 0) {
    // Stopped, failed, or a line longer than a block: all of it is left to
    // the record reader (in order: it follows every block handed out).
    carry_.assign(buf.get(), len);
    if (cut == 0 && !failed_) stopped_.store(true, std::memory_order_relaxed);
    return std::nullopt;
  }
  const std::uint64_t offset = carry_offset_;
  carry_.assign(buf.get() + cut, len - cut);
  carry_offset_ = offset + cut;
  const std::string_view bytes(buf.get(), cut);
  const std::lock_guard blocks_lock(blocks_mutex_);
  blocks_.push_back(Block{std::move(buf), cut, offset, cap});
  // After the block: the carried bytes, and the slack.
  return std::pair<std::size_t, BulkChunk>(first_block_ + blocks_.size() - 1,
                                           BulkChunk(input_, bytes, len - cut + BulkChunk::kReadSlack));
}

void BulkStream::taken(std::size_t k, std::uint64_t lines) {
  const std::lock_guard blocks_lock(blocks_mutex_);
  if (blocks_.empty() || k != first_block_) return;  // (REQUIRES broken: keep the bytes)
  if (blocks_.front().capacity == usual_capacity()) spare_.push_back(std::move(blocks_.front().bytes));
  blocks_.pop_front();
  ++first_block_;
  line_ += lines;
}

BulkRest BulkStream::rest() {
  const std::lock_guard read_lock(read_mutex_);
  const std::lock_guard blocks_lock(blocks_mutex_);
  BulkRest rest;
  rest.offset = blocks_.empty() ? carry_offset_ : blocks_.front().offset;
  rest.line = line_;
  std::size_t size = carry_.size();
  for (const Block& b : blocks_) size += b.size;
  rest.bytes.reserve(size);
  for (const Block& b : blocks_) rest.bytes.append(b.bytes.get(), b.size);
  rest.bytes += carry_;
  blocks_.clear();
  carry_.clear();
  return rest;
}

namespace {
std::atomic<std::size_t> thread_cap{0};  // 0: none
}  // namespace

std::size_t bulk_threads() noexcept {
  const std::size_t cores = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  const std::size_t cap = thread_cap.load(std::memory_order_relaxed);
  return cap == 0 ? cores : cap;
}

void set_bulk_threads(std::size_t n) noexcept { thread_cap.store(n, std::memory_order_relaxed); }

}  // namespace kpi::io
