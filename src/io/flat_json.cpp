// One NDJSON line as a flat object, in one forward pass (see flat_json.hpp).
//
// Mirrors ObjectParser in json_reader.cpp rule by rule, minus everything a flat
// line of events never needs: nested values, line breaks inside the object, and
// the rare cases (\u0000, a bound key holding '.') where matching the JSON reader
// would take more care than declining. Only ' ' and '\t' count as white space:
// the JSON reader also skips '\r' there, but counts a lone '\r' as a line break,
// so a line holding one would number the following lines differently.
//
// The bulk path calls this once per line, so the common line takes a short road:
// the object's closing '}' is found first (it must end the line) and then serves
// as a sentinel, so tokens are read without bounds checks; strings are scanned 16
// bytes per step; keys are matched by length first and compared word by word.
//
// Shorter still, the plain road (x86-64): most lines are printable ASCII alone,
// with no escape, no raw control character and nothing for the UTF-8 check, so
// every string ends at the first quote after its opening one. One pass of 16-byte
// compares over the object tells whether it is such a line and maps its quotes
// to bits (QuoteMap); each string is then two bit scans (QuoteCursor), where the
// general road scans it for its stop bytes, a chain of loads and compares from
// one string to the next. A key's slots come out of one pass over the bound
// keys. Any other object takes the general road, and so does one the plain road
// declines, so that a decline there never decides; flat_json_test checks that
// the roads agree on every line the plain road reads.
//
// Shortest, the shaped roads: an export's lines mostly repeat a few shapes, the
// same bytes but for the values. A line the plain road reads teaches the memo
// its shape (FlatKeyMemo::Shape); a later line that holds the same literals
// around values that are plain strings (or valid scalars where the shape has
// one) is then that object with other values, and its slots come from the
// shape without a key being looked at. split_shaped_line goes further for the
// bulk path: it reads a line of string values in place, and finds its end on
// the way (the '\n' after the suffix), so the line is never searched for first.
// A line no shape fits takes the roads above; flat_json_test checks the shaped
// roads against the general one as well.
#include "flat_json.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "byte_source.hpp"
#include "readers.hpp"

namespace kpi::io {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
// What a parse step returns to decline the line: every text it returns otherwise,
// even an empty one, has a non-null data() (a view into the line or scratch).
constexpr std::string_view kDecline{};
// The plain road's answer for a line not for it.
constexpr auto kNotPlain = static_cast<FlatRow>(-1);

constexpr std::uint64_t has_zero(std::uint64_t v) noexcept { return (v - kOnes) & ~v & kHigh; }

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\t'; }

int hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename Word>
Word load(const char* p) noexcept {
  Word w{};
  std::memcpy(&w, p, sizeof w);
  return w;
}

// The n <= 8 bytes at p as one word, read without touching a byte outside them:
// two overlapping loads (so some bytes twice), the rest zero. Two such words of
// the same n are equal exactly when the bytes are, and a byte value other than
// zero is in the word exactly when it is among the bytes.
std::uint64_t short_word(const char* p, std::size_t n) noexcept {
  if (n >= 4) return load<std::uint32_t>(p) | (std::uint64_t{load<std::uint32_t>(p + n - 4)} << 32);
  if (n >= 2) return load<std::uint16_t>(p) | (std::uint64_t{load<std::uint16_t>(p + n - 2)} << 16);
  return n == 1 ? static_cast<unsigned char>(*p) : 0;
}

// a[0, n) == b[0, n) for n >= 8, a word at a time: inline, as a call to memcmp
// in the key loop would cost the common case registers.
bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i + 8 < n; i += 8) {
    if (load<std::uint64_t>(a + i) != load<std::uint64_t>(b + i)) return false;
  }
  return load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
}

// A key's first and last 8 bytes (overlapping; both short_word up to 8 bytes).
// Keys of one size up to 16 bytes are equal exactly when their words are, and
// hold a byte (other than NUL) exactly when a word does.
struct KeyWords {
  std::uint64_t head = 0, tail = 0;
  bool operator==(const KeyWords&) const = default;
};

KeyWords words_of(std::string_view s) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n <= 8) {
    const std::uint64_t w = short_word(p, n);
    return {w, w};
  }
  return {load<std::uint64_t>(p), load<std::uint64_t>(p + n - 8)};
}

// A key of the line, compared with every bound key: bound keys are short, and
// a length and two words per key cost less than calls to memcmp.
class LineKey {
 public:
  explicit LineKey(std::string_view key) noexcept : key_(key), words_(words_of(key)) {}

  bool is(std::string_view bound) const noexcept {
    return bound.size() == key_.size() && words_of(bound) == words_ &&
           (key_.size() <= 16 || same_bytes(bound.data(), key_.data(), key_.size()));
  }

  bool empty() const noexcept { return key_.empty(); }

  bool has_dot() const noexcept {
    constexpr std::uint64_t kDots = kOnes * '.';
    if (key_.size() <= 8) return has_zero(words_.head ^ kDots) != 0;  // (tail == head)
    if (key_.size() <= 16) return (has_zero(words_.head ^ kDots) | has_zero(words_.tail ^ kDots)) != 0;
    return key_.find('.') != std::string_view::npos;
  }

 private:
  std::string_view key_;
  KeyWords words_;
};

// Where a plain run of string bytes ends: the first position at or after i
// (<= the line's size) holding '"', '\\' or a control character, the line's
// size if none. `high` is non-zero if a byte >= 0x80 went by; it may include a
// few bytes before i or after the stop, but those are outside strings, so in a
// row they are ASCII (a needless UTF-8 check at worst).
struct Run {
  std::size_t end = 0;
  std::uint64_t high = 0;
};

Run plain_run_end_8(std::string_view s, std::size_t i) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t high = 0;
  for (; i + 8 <= n; i += 8) {
    const auto w = load<std::uint64_t>(p + i);
    high |= w & kHigh;
    const std::uint64_t control = (w - kOnes * 0x20) & ~w & kHigh;
    const std::uint64_t hits = has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | control;
    if (hits == 0) continue;
    // The lowest flagged byte is a real hit; little-endian: the first in the text.
    if constexpr (std::endian::native == std::endian::little) {
      return {i + static_cast<std::size_t>(std::countr_zero(hits)) / 8, high};
    }
    break;  // elsewhere the byte loop below finds it
  }
  for (; i < n; ++i) {
    const auto u = static_cast<unsigned char>(p[i]);
    high |= u & 0x80U;
    if (u == '"' || u == '\\' || u < 0x20) break;
  }
  return {i, high};
}

#if defined(__SSE2__)
// Bit k set: p[k] is '"', '\\' or below 0x20; `high` gets the bytes >= 0x80.
unsigned stops_16(const char* p, unsigned& high) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // x ^ 2 maps 0x00-0x1F onto itself and '"' (0x22) to 0x20, any other byte above.
  const __m128i flipped = _mm_xor_si128(x, _mm_set1_epi8(2));
  const __m128i quote_or_control = _mm_cmpeq_epi8(_mm_min_epu8(flipped, _mm_set1_epi8(0x20)), flipped);
  const __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
  high |= static_cast<unsigned>(_mm_movemask_epi8(x));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(quote_or_control, backslash)));
}

// plain_run_end_8, 16 bytes per step (x86-64 always has SSE2), for lines of 16
// bytes or more: past the last whole block, the line's last 16 bytes are
// compared and those before i ignored, so there is no byte-wise tail.
Run plain_run_end_16(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = s.size();
  unsigned high = 0;
  unsigned hits = 0;
  for (; i + 16 <= n; i += 16) {
    hits = stops_16(s.data() + i, high);
    if (hits != 0) break;
  }
  if (hits == 0 && i < n) {
    const std::size_t from = n - 16;
    hits = stops_16(s.data() + from, high) >> (i - from);
  }
  return {hits != 0 ? i + static_cast<std::size_t>(std::countr_zero(hits)) : n, high};
}
#endif

Run plain_run_end(std::string_view s, std::size_t i) noexcept {
#if defined(__SSE2__)
  if (s.size() >= 16) return plain_run_end_16(s, i);
#endif
  return plain_run_end_8(s, i);
}

#if defined(__SSE2__)
// The quotes of an object of printable ASCII, as bits (one per byte).
// (bits_ is left unset: build() sets every word a QuoteCursor reaches, and
// clearing all of it would cost each line a few stores more.)
class QuoteMap {  // NOLINT(cppcoreguidelines-pro-type-member-init): see above
 public:
  // Longer objects take the general road: a flat event line is far shorter.
  static constexpr std::size_t kMaxBytes = 512;

  // Maps the object text [p, p + n), '{' to '}': true if it is printable ASCII
  // but '\\', and 16 <= n <= kMaxBytes (a whole block at least). 16 bytes per
  // step, and the last 16 bytes for the tail. Also notes any '.'.
  bool build(const char* p, std::size_t n) noexcept {
    if (n < 16 || n > kMaxBytes) return false;
    __m128i care = _mm_setzero_si128(), dots = _mm_setzero_si128();
    // Each word is stored once, when whole: or-ing into memory block by block
    // would chain the blocks through a store and a load each.
    std::size_t b = 0;
    for (; b + 64 <= n; b += 64) {
      bits_[b / 64] = block(p + b, care, dots) | block(p + b + 16, care, dots) << 16 |
                      block(p + b + 32, care, dots) << 32 | block(p + b + 48, care, dots) << 48;
    }
    if (b < n) {
      std::uint64_t word = 0;
      for (; b + 16 <= n; b += 16) word |= block(p + b, care, dots) << (b % 64);
      if (b < n) word |= block(p + n - 16, care, dots) >> (b - (n - 16)) << (b % 64);
      bits_[(n - 1) / 64] = word;
    }
    // The closing '}' as a quote: every search ends (a string reaching it declines).
    bits_[(n - 1) / 64] |= std::uint64_t{1} << ((n - 1) % 64);
    dots_ = _mm_movemask_epi8(dots) != 0;
    return _mm_movemask_epi8(care) == 0;
  }

  bool dots() const noexcept { return dots_; }
  const std::uint64_t* bits() const noexcept { return bits_; }

 private:
  // Bit k set: p[k] is '"'. `care` collects the bytes below ' ' or >= 0x80 (as
  // signed bytes, both less than ' ') and '\\'; `dots` the '.'.
  static std::uint64_t block(const char* p, __m128i& care, __m128i& dots) noexcept {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    care = _mm_or_si128(care, _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(' ')),
                                           _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    dots = _mm_or_si128(dots, _mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"'))));
  }

  std::uint64_t bits_[kMaxBytes / 64];  // words 0 to (n - 1) / 64 set by build
  bool dots_ = false;
};

// The quotes of a QuoteMap in order. A local of the parse loop, so that it
// stays in registers: the next string's place is then a bit operation away
// from the last one's, not a load and a compare.
class QuoteCursor {
 public:
  explicit QuoteCursor(const QuoteMap& map) noexcept : word_(map.bits()), left_(*word_) {}

  // The next quote's offset (after the last, the closing '}'; no further).
  std::size_t take() noexcept {
    while (left_ == 0) {
      left_ = *++word_;
      base_ += 64;
    }
    const std::size_t at = base_ + static_cast<std::size_t>(std::countr_zero(left_));
    left_ &= left_ - 1;
    return at;
  }

 private:
  const std::uint64_t* word_;
  std::uint64_t left_;  // the quotes in *word_ not taken yet
  std::size_t base_ = 0;
};

#endif

// a[0, n) == b[0, n) for 0 < n <= 16: two loads a side, overlapping.
bool same_short(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    return ((load<std::uint64_t>(a) ^ load<std::uint64_t>(b)) |
            (load<std::uint64_t>(a + n - 8) ^ load<std::uint64_t>(b + n - 8))) == 0;
  }
  if (n >= 4) {
    return ((load<std::uint32_t>(a) ^ load<std::uint32_t>(b)) |
            (load<std::uint32_t>(a + n - 4) ^ load<std::uint32_t>(b + n - 4))) == 0;
  }
  if (n >= 2) {
    return ((load<std::uint16_t>(a) ^ load<std::uint16_t>(b)) |
            (load<std::uint16_t>(a + n - 2) ^ load<std::uint16_t>(b + n - 2))) == 0;
  }
  return *a == *b;
}

#if defined(__SSE2__)
// The slots bound to a key of the line on the plain road, one bit each (slot k:
// bit k): those first_slot and bind find, in one pass (they compare the key with
// every bound key twice over). ("" binds nothing, and no slot is bound to it.)
// REQUIRES: keys.size() <= kMaxPlainKeys.
constexpr std::size_t kMaxPlainKeys = 16;  // more: the general road

// slots_of for a key over 16 bytes. (Out of line: a call to memcmp on the
// common road costs it registers.)
[[gnu::noinline]] unsigned long_slots_of(std::span<const std::string_view> keys, std::string_view key) noexcept {
  unsigned match = 0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (key == keys[k]) match |= 1U << k;
  }
  return match;
}

unsigned slots_of(std::span<const std::string_view> keys, std::string_view key) noexcept {
  const std::size_t n = key.size();
  if (n == 0) return 0;
  if (n > 16) return long_slots_of(keys, key);
  unsigned match = 0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (keys[k].size() == n && same_short(key.data(), keys[k].data(), n)) match |= 1U << k;
  }
  return match;
}
#endif

// a[0, n) == b[0, n) for any n: a literal of a shape against the line.
bool same_literal(const char* a, const char* b, std::size_t n) noexcept {
  if (n == 0) return true;
  return n <= 16 ? same_short(a, b, n) : same_bytes(a, b, n);
}

using Shape = FlatKeyMemo::Shape;

// A plain-road line's values as the parse meets them, for a Shape.
struct ShapeDraft {
  std::size_t members = 0;  // over Shape::kMaxMembers: too many for a shape
  std::size_t begin[Shape::kMaxMembers] = {}, end[Shape::kMaxMembers] = {};  // a string's quotes excluded
  bool string_value[Shape::kMaxMembers] = {};
  unsigned slots[Shape::kMaxMembers] = {};

  void note(bool is_string, std::size_t from, std::size_t to, unsigned value_slots) noexcept {
    if (members < Shape::kMaxMembers) {
      begin[members] = from;
      end[members] = to;
      string_value[members] = is_string;
      slots[members] = value_slots;
    }
    ++members;
  }
};

// For a literal of `size` bytes compared 16 at a time: the bits past it in its
// last 16 (all of them for an empty literal).
std::uint16_t last_block_ignore(std::size_t size) noexcept {
  const std::size_t in_last = size == 0 ? 0 : (size - 1) % 16 + 1;
  return static_cast<std::uint16_t>(0xFFFFU << in_last);
}

// The shape of `line`, read on the plain road as `draft` noted, into `shape`;
// no shape (members 0) for a line of no member, or of too many members or bytes.
// `all`: every slot.
void learn_shape(std::string_view line, const ShapeDraft& draft, unsigned all, Shape& shape) noexcept {
  shape.members = 0;
  if (draft.members == 0 || draft.members > Shape::kMaxMembers) return;
  std::size_t literal_bytes = line.size();
  for (std::size_t k = 0; k < draft.members; ++k) literal_bytes -= draft.end[k] - draft.begin[k];
  if (literal_bytes > Shape::kMaxBytes) return;
  std::size_t from = 0, out = 0;  // in the line; in shape.bytes
  const auto copy_literal = [&](std::size_t to) {
    std::memcpy(shape.bytes + out, line.data() + from, to - from);
    out += to - from;
    return static_cast<std::uint16_t>(to - from);
  };
  unsigned bound = 0;
  for (std::size_t k = 0; k < draft.members; ++k) {
    Shape::Member& member = shape.member[k];
    member.literal_from = static_cast<std::uint16_t>(out);
    member.literal_size = copy_literal(draft.begin[k]);
    member.literal_ignore = last_block_ignore(member.literal_size);
    member.string_value = draft.string_value[k];
    member.slots = draft.slots[k];
    bound |= draft.slots[k];
    from = draft.end[k];
  }
  shape.suffix_from = static_cast<std::uint16_t>(out);
  shape.suffix_size = copy_literal(line.size());
  shape.bytes[out] = '\n';  // (within the 16 bytes after kMaxBytes)
  shape.suffix_ignore = last_block_ignore(shape.suffix_size + 1U);
  shape.whole_line = true;
  for (std::size_t k = 0; k < draft.members; ++k) {
    const Shape::Member& member = shape.member[k];
    shape.whole_line = shape.whole_line && member.string_value && std::popcount(member.slots) <= 1;
  }
  shape.unbound = all & ~bound;
  shape.hits = 0;
  shape.members = draft.members;
}

// The place for a shape not among the memo's: the first free one, or the last.
Shape& new_shape(FlatKeyMemo& memo) noexcept {
  for (Shape& shape : memo.shapes) {
    if (shape.members == 0) return shape;
  }
  return memo.shapes[FlatKeyMemo::kShapes - 1];
}

// A line read in memo.shapes[k]: shapes move up as they come to be used more.
void count_hit(FlatKeyMemo& memo, std::size_t k) noexcept {
  Shape* shapes = memo.shapes;
  if (shapes[k].hits != std::numeric_limits<std::uint32_t>::max()) ++shapes[k].hits;
  if (k > 0 && shapes[k].hits > shapes[k - 1].hits) std::swap(shapes[k], shapes[k - 1]);
}

#if defined(__SSE2__)
// Whether p[0, 16) equals literal[0, 16) but at the bits set in `ignore`.
bool same_16(const char* p, const char* literal, unsigned ignore) noexcept {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(literal));
  return (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b))) | ignore) == 0xFFFF;
}

// Whether p[at, at + size) holds the literal, 16 bytes per compare; `ignore` as
// Shape::Member::literal_ignore. Only data bytes (before `end`) start a load.
// (Inlined: the whole-line road compares every member's literal with it.)
[[gnu::always_inline]] inline bool literal_in_data(const char* p, std::size_t at, std::size_t end,
                                                   const char* literal, std::size_t size, unsigned ignore) noexcept {
  if (size <= 16) return at < end && same_16(p + at, literal, ignore);  // (the usual literal: one step)
  std::size_t off = 0;
  for (; off + 16 < size; off += 16) {
    if (at + off >= end || !same_16(p + at + off, literal + off, 0)) return false;
  }
  return at + off < end && same_16(p + at + off, literal + off, ignore);
}

// split_shaped_line in one shape: the line's size, or kNoShapedLine.
std::size_t whole_line_in(const char* p, std::size_t size, std::span<std::string_view> out,
                          const Shape& shape) noexcept {
  std::size_t at = 0;
  for (std::size_t k = 0; k < shape.members; ++k) {
    // (A copy: a store to `out` could be to the shape, as far as the compiler knows.)
    const Shape::Member member = shape.member[k];
    // (Every load starts within the data, so it ends within the 16 bytes after.)
    if (!literal_in_data(p, at, size, shape.bytes + member.literal_from, member.literal_size, member.literal_ignore)) {
      return kNoShapedLine;
    }
    at += member.literal_size;
    const std::size_t from = at;
    unsigned stops = 0, high = 0;
    while (true) {
      if (at >= size) return kNoShapedLine;
      stops = stops_16(p + at, high);
      if (stops != 0) break;
      if (high != 0) return kNoShapedLine;  // UTF-8 to check: the usual way
      at += 16;
    }
    const unsigned before = (stops & (0U - stops)) - 1;  // the bits before the stop
    if ((high & before) != 0) return kNoShapedLine;
    at += static_cast<std::size_t>(std::countr_zero(stops));
    // The stop is the string's end if it is a quote: the next literal (or the
    // suffix), which starts with the quote, checks that.
    if (member.slots != 0) out[static_cast<std::size_t>(std::countr_zero(member.slots))] = {p + from, at - from};
  }
  if (!literal_in_data(p, at, size, shape.bytes + shape.suffix_from, shape.suffix_size + 1U, shape.suffix_ignore)) {
    return kNoShapedLine;
  }
  const std::size_t line = at + shape.suffix_size;  // p[line] is the '\n' just compared
  if (line >= size || line >= ByteSource::kMaxRecordBytes) return kNoShapedLine;
  for (unsigned left = shape.unbound; left != 0; left &= left - 1) {
    out[static_cast<std::size_t>(std::countr_zero(left))] = std::string_view{};
  }
  return line;
}
#endif

// A string from its first escape on, off the common road: decoded into scratch,
// or, for a value no slot wants, only checked.
class EscapedString {
 public:
  // The string lies in line[..., end); `decoded` is null to only check it.
  EscapedString(std::string_view line, std::size_t end, std::string* decoded) noexcept
      : s_(line), end_(end), decoded_(decoded) {}

  struct Rest {
    std::size_t next = kNone;  // after the closing quote; kNone: decline
    std::string_view text;
  };

  // The string's plain start is [content, at), and s[at] is the byte that ended it.
  // (Out of line: inlined, it would crowd the common road's registers.)
  [[gnu::noinline]] Rest finish(std::size_t content, std::size_t at) {
    i_ = at;
    if (i_ >= end_ || s_[i_] != '\\') return {};  // a raw control character (or NUL, '\r')
    const std::size_t out_begin = decoded_ != nullptr ? decoded_->size() : 0;
    append(content, i_);
    while (true) {
      if (!escape()) return {};
      const std::size_t run = i_;
      // (8 bytes per step will do here; the caller checks UTF-8 after any escaped string.)
      i_ = plain_run_end_8(s_, i_).end;
      if (i_ >= end_) return {};
      append(run, i_);
      if (s_[i_] == '"') break;
      if (s_[i_] != '\\') return {};
    }
    ++i_;
    if (decoded_ == nullptr) return {i_, s_.substr(i_, 0)};
    return {i_, std::string_view(*decoded_).substr(out_begin)};
  }

 private:
  void append(std::size_t from, std::size_t to) {
    if (decoded_ != nullptr) decoded_->append(s_.substr(from, to - from));
  }

  void append(char c) {
    if (decoded_ != nullptr) *decoded_ += c;
  }

  // An escape at s_[i_] == '\\'.
  bool escape() {
    if (i_ + 1 >= s_.size()) return false;
    const char e = s_[i_ + 1];
    i_ += 2;
    char plain = 0;
    switch (e) {
      case '"': plain = '"'; break;
      case '\\': plain = '\\'; break;
      case '/': plain = '/'; break;
      case 'b': plain = '\b'; break;
      case 'f': plain = '\f'; break;
      case 'n': plain = '\n'; break;
      case 'r': plain = '\r'; break;
      case 't': plain = '\t'; break;
      case 'u': return unicode();
      default: return false;
    }
    append(plain);
    return true;
  }

  bool hex4(std::uint32_t& cp) noexcept {
    if (s_.size() - i_ < 4) return false;
    cp = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int h = hex(s_[i_ + k]);
      if (h < 0) return false;
      cp = cp * 16 + static_cast<std::uint32_t>(h);
    }
    i_ += 4;
    return true;
  }

  // After "\u": four hex digits, a surrogate pair as one code point. \u0000 is
  // declined: the JSON reader would put a NUL into the text.
  bool unicode() {
    std::uint32_t cp = 0;
    if (!hex4(cp) || cp == 0) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (s_.size() - i_ < 6 || s_[i_] != '\\' || s_[i_ + 1] != 'u') return false;
      i_ += 2;
      std::uint32_t low = 0;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    append_utf8(cp);
    return true;
  }

  void append_utf8(std::uint32_t cp) {
    if (cp < 0x80) {
      append(static_cast<char>(cp));
    } else if (cp < 0x800) {
      append(static_cast<char>(0xC0 | (cp >> 6)));
      append(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      append(static_cast<char>(0xE0 | (cp >> 12)));
      append(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      append(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      append(static_cast<char>(0xF0 | (cp >> 18)));
      append(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      append(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      append(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  std::size_t end_;
  std::string* decoded_;
  std::size_t i_ = 0;
};

// One line's parse. Its state stays in registers only as long as no call takes
// `this`: the parse is all inline, and the escaped path gets plain values.
// Every step returns false (or kDecline) to decline the line; none allocates
// (scratch_ is reserved to the line's size, which bounds all decoded text).
class FlatParser {
 public:
  FlatParser(std::string_view line, std::string& scratch) noexcept : s_(line), scratch_(scratch) {}

  // The line up to its object: FlatRow::row if it holds one to read (from
  // open_ to end_), else the line's outcome.
  FlatRow frame() noexcept {
    const std::size_t n = s_.size();
    while (open_ < n && is_ws(s_[open_])) ++open_;
    if (open_ == n || (s_[open_] == '\r' && open_ + 1 == n)) return FlatRow::blank;
    if (s_[open_] != '{' || n >= ByteSource::kMaxRecordBytes || !find_close()) return FlatRow::decline;
    return FlatRow::row;
  }

  // The general road, after frame().
  FlatRow object(std::span<const std::string_view> keys, std::span<std::string_view> out) {
    scratch_.clear();
    // Decoded text is never longer than its escaped form, so appending stays
    // within this capacity and views into scratch_ stay valid.
    if (scratch_.capacity() < s_.size()) scratch_.reserve(s_.size());
    // A set slot always has a non-null data(): a view into the line or scratch_,
    // empty for "" and null. Null data() marks a slot not seen yet.
    std::fill(out.begin(), out.end(), std::string_view{});
    i_ = open_ + 1;
    if (token() == '}') {
      if (i_ != end_) return FlatRow::decline;
    } else if (!members(keys, out)) {
      return FlatRow::decline;
    }
    // Bytes >= 0x80 pass through plain_run_end only (a row has them in strings
    // alone); the JSON reader checks the whole object's raw text, so check the same.
    if (high_ != 0 && find_invalid_utf8(s_.substr(open_, end_ + 1 - open_)) != std::string_view::npos) {
      return FlatRow::decline;
    }
    return FlatRow::row;
  }

#if defined(__SSE2__)
  // The plain road, after frame(): kNotPlain for an object not for it, else as object().
  FlatRow plain_object(std::span<const std::string_view> keys, std::span<std::string_view> out, FlatKeyMemo* memo) {
    QuoteMap quotes;
    if (!quotes.build(s_.data() + open_, end_ + 1 - open_) || keys.size() > kMaxPlainKeys) return kNotPlain;
    keys_ = keys;
    memo_ = memo;
    ShapeDraft draft;  // (noted only for a memo)
    i_ = open_ + 1;
    unsigned seen = 0;  // the slots bound
    if (token() == '}') {
      if (i_ != end_) return FlatRow::decline;
    } else if (!plain_members(out, quotes, seen, memo != nullptr ? &draft : nullptr)) {
      return FlatRow::decline;
    }
    // The slots not bound are absent (object() clears them all first).
    const unsigned all = (1U << out.size()) - 1;  // (out.size() <= kMaxPlainKeys)
    for (unsigned left = all & ~seen; left != 0; left &= left - 1) {
      out[static_cast<std::size_t>(std::countr_zero(left))] = std::string_view{};
    }
    if (memo != nullptr) learn_shape(s_, draft, all, new_shape(*memo));
    return FlatRow::row;
  }
#endif

  // The shaped road: a row if the line has the shape's literals around its
  // values, each value a valid string without escapes (where the shape has a
  // string) or a valid scalar; else kNotPlain. The line then is the shape's
  // line but for its values: the same object, valid, with the same keys bound.
  // REQUIRES: shape.members > 0, learned with the keys `out` is for.
  FlatRow shaped_object(std::span<std::string_view> out, const Shape& shape) noexcept {
    const char* line = s_.data();
    const std::size_t n = s_.size();
    if (n >= ByteSource::kMaxRecordBytes || n < shape.suffix_size ||
        !same_literal(line + n - shape.suffix_size, shape.bytes + shape.suffix_from, shape.suffix_size)) {
      return kNotPlain;
    }
    // Where the last value ends. The suffix holds the object's '}', which ends
    // every scalar's scan, and is past `body`: so line[at] is in the line while at <= body.
    const std::size_t body = n - shape.suffix_size;
    std::size_t at = 0;
    for (std::size_t k = 0; k < shape.members; ++k) {
      // (A copy: a store to `out` could be to the shape, as far as the compiler knows.)
      const Shape::Member member = shape.member[k];
      if (body - at < member.literal_size ||
          !same_literal(line + at, shape.bytes + member.literal_from, member.literal_size)) {
        return kNotPlain;
      }
      at += member.literal_size;
      std::string_view text;
      if (member.string_value) {
        const Run run = plain_run_end(s_, at);
        if (run.end > body || line[run.end] != '"') return kNotPlain;
        text = {line + at, run.end - at};
        // (Bytes >= 0x80 are only in values: the literals are a plain-road line's,
        // printable ASCII. So strings of valid UTF-8 make the whole object valid.)
        if (run.high != 0 && find_invalid_utf8(text) != std::string_view::npos) return kNotPlain;
        at = run.end;
      } else {
        i_ = at;
        text = scalar();
        at = i_;
        if (text.data() == nullptr || at > body) return kNotPlain;
      }
      for (unsigned left = member.slots; left != 0; left &= left - 1) {
        out[static_cast<std::size_t>(std::countr_zero(left))] = text;
      }
    }
    if (at != body) return kNotPlain;
    for (unsigned left = shape.unbound; left != 0; left &= left - 1) {
      out[static_cast<std::size_t>(std::countr_zero(left))] = std::string_view{};
    }
    return FlatRow::row;
  }

 private:
  // NDJSON: the object ends its line, so its '}' is the line's last byte but for
  // white space and a final '\r' (a '\r' elsewhere is a line break to the JSON
  // reader). Sets end_ to it and returns true, or false: no such '}', a decline.
  // Parsing then stops at end_: a '}' elsewhere is followed by more than white
  // space, which declines anyway; and as a byte that is neither white space, nor
  // a digit, nor a string's stop byte, s_[end_] ends every token scan by itself.
  bool find_close() noexcept {
    std::size_t e = s_.size();  // > 0: the line holds a '{'
    if (s_[e - 1] == '\r') --e;
    while (e > 0 && is_ws(s_[e - 1])) --e;
    if (e == 0 || s_[e - 1] != '}') return false;
    end_ = e - 1;
    return true;
  }

  // The byte at i_ once past white space; i_ <= end_ always holds, and the '}'
  // at end_ stops the skip. Tokens mostly follow each other directly, and every
  // byte a token starts with is above ' ': one compare for the common case.
  char token() noexcept {
    if (static_cast<unsigned char>(s_[i_]) > ' ') return s_[i_];
    while (is_ws(s_[i_])) ++i_;
    return s_[i_];
  }

  // At the first member: "key": value, ... '}'.
  bool members(std::span<const std::string_view> keys, std::span<std::string_view> out) {
    while (true) {
      if (token() != '"') return false;
      // An escaped key is decoded into scratch_ and left there: with the values,
      // still no more than the line's size.
      const std::string_view key = string(true);
      if (key.data() == nullptr) return false;
      const LineKey line_key(key);
      const std::size_t slot = first_slot(keys, line_key);
      // A second value for a bound key is the JSON reader's "duplicate key"
      // error; a dotted key could also be a nested path there.
      if (slot != kNone && (out[slot].data() != nullptr || line_key.has_dot())) return false;
      if (token() != ':') return false;
      ++i_;
      token();
      const std::string_view text = value(slot != kNone);
      if (text.data() == nullptr) return false;
      if (slot != kNone) bind(keys, out, slot, line_key, text);
      const char next = token();
      if (next == ',') {
        ++i_;
        continue;
      }
      // The first '}' after a member closes the object: it must be the last one.
      return next == '}' && i_ == end_;
    }
  }

#if defined(__SSE2__)
  // members() on the plain road: all slots of a key at once, and the slots
  // bound so far in a mask (where members() looks at out[slot]); `bound` gets
  // it at the end. (A local meanwhile: a reference would keep it in memory.)
  // `draft`, if any, notes the values for a shape.
  bool plain_members(std::span<std::string_view> out, const QuoteMap& map, unsigned& bound, ShapeDraft* draft) {
    QuoteCursor quotes(map);
    unsigned seen = 0;
    std::size_t member = 0;
    while (true) {
      if (token() != '"') return false;
      const std::string_view key = plain_string(quotes);
      if (key.data() == nullptr) return false;
      const unsigned slots = slots_at(member++, key);
      // A duplicate or dotted bound key declines, as in members(). (No '.' in
      // the object: none in a key.)
      if ((slots & seen) != 0 || (slots != 0 && map.dots() && LineKey(key).has_dot())) return false;
      if (token() != ':') return false;
      ++i_;
      const bool is_string = token() == '"';
      const std::size_t value_at = i_;
      const std::string_view text = is_string ? plain_string(quotes) : scalar();
      if (text.data() == nullptr) return false;
      // (A string's span is its content: i_ is past its closing quote.)
      if (draft != nullptr) draft->note(is_string, value_at + is_string, i_ - is_string, slots);
      seen |= slots;
      for (unsigned left = slots; left != 0; left &= left - 1) {
        out[static_cast<std::size_t>(std::countr_zero(left))] = text;
      }
      const char next = token();
      if (next == ',') {
        ++i_;
        continue;
      }
      bound = seen;
      return next == '}' && i_ == end_;
    }
  }

  // slots_of the key at member position `member`, asking the memo first.
  unsigned slots_at(std::size_t member, std::string_view key) noexcept {
    const std::size_t n = key.size();
    if (memo_ == nullptr || member >= FlatKeyMemo::kPositions || n == 0 || n > 16) return slots_of(keys_, key);
    FlatKeyMemo::Entry& e = memo_->at[member];
    if (e.size == n && same_short(key.data(), e.bytes, n)) return e.slots;
    e.size = n;
    std::memcpy(e.bytes, key.data(), n);
    e.slots = slots_of(keys_, key);
    return e.slots;
  }

  // A string at s_[i_] == '"' on the plain road: it ends at the next quote.
  std::string_view plain_string(QuoteCursor& quotes) noexcept {
    // Every quote before i_ began or ended a string (any other declines on the
    // spot), so the next one is this string's opening quote; checked all the same.
    if (open_ + quotes.take() != i_) return kDecline;
    const std::size_t content = i_ + 1;
    const std::size_t stop = open_ + quotes.take();
    if (stop >= end_) return kDecline;  // (the closing '}': no closing quote)
    i_ = stop + 1;
    return {s_.data() + content, stop - content};
  }
#endif

  // The first slot bound to the key, or kNone ("" binds nothing, and no slot is
  // bound to it).
  static std::size_t first_slot(std::span<const std::string_view> keys, const LineKey& key) noexcept {
    if (key.empty()) return kNone;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (key.is(keys[k])) return k;
    }
    return kNone;
  }

  // Every slot bound to the key gets the text, as the JSON reader's chain does;
  // `slot` is the first of them.
  static void bind(std::span<const std::string_view> keys, std::span<std::string_view> out, std::size_t slot,
                   const LineKey& key, std::string_view text) noexcept {
    out[slot] = text;
    for (std::size_t k = slot + 1; k < keys.size(); ++k) {
      if (key.is(keys[k])) out[k] = text;
    }
  }

  // At the value's first byte (not white space): its text, or kDecline.
  std::string_view value(bool decode) {
    if (s_[i_] == '"') return string(decode);
    return scalar();
  }

  // At a value's first byte, not '"': its text, or kDecline.
  std::string_view scalar() noexcept {
    const char c = s_[i_];
    if (c == 't') return word("true");
    if (c == 'f') return word("false");
    if (c == 'n') return word("null").substr(0, 0);  // blank, but marked as seen (non-null data)
    if (c == '-' || is_digit(c)) {
      const std::size_t at = i_;
      if (!number()) return kDecline;
      return s_.substr(at, i_ - at);
    }
    return kDecline;  // '{', '[' (nested: declined) or not a JSON value
  }

  // (A word never holds '}', so one running into end_ does not match.)
  std::string_view word(std::string_view w) noexcept {
    const std::string_view text = s_.substr(i_, w.size());
    if (text != w) return kDecline;
    i_ += w.size();
    return text;
  }

  // The JSON grammar, as json_reader's number() plus the ',' or '}' its caller
  // wants next: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  // No bounds checks: the '}' at end_ is none of the bytes looked for.
  bool number() noexcept {
    const auto digits = [&] {
      const std::size_t b = i_;
      while (is_digit(s_[i_])) ++i_;
      return i_ > b;
    };
    if (s_[i_] == '-') ++i_;
    if (s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (s_[i_] == 'e' || s_[i_] == 'E') {
      ++i_;
      if (s_[i_] == '+' || s_[i_] == '-') ++i_;
      if (!digits()) return false;
    }
    return true;
  }

  // A string at s_[i_] == '"', or kDecline. Unescaped, its text is a view into
  // the line; escaped, it is decoded into scratch_ when `decode` (else only
  // checked, and the text is empty).
  std::string_view string(bool decode) {
    const std::size_t content = i_ + 1;
    const Run run = plain_run_end(s_, content);
    const std::size_t stop = run.end;
    high_ |= run.high;
    if (stop < end_ && s_[stop] == '"') [[likely]] {
      i_ = stop + 1;
      return {s_.data() + content, stop - content};
    }
    const EscapedString::Rest rest =
        EscapedString(s_, end_, decode ? &scratch_ : nullptr).finish(content, stop);
    if (rest.next == kNone) return kDecline;
    i_ = rest.next;
    high_ = 1;  // the escaped part's bytes went by unnoted: check the UTF-8 to be sure
    return rest.text;
  }

  std::string_view s_;
  std::string& scratch_;
  std::size_t i_ = 0;
  std::size_t open_ = 0;     // the object's '{' (frame)
  std::size_t end_ = 0;      // the object's closing '}' (find_close)
  std::uint64_t high_ = 0;  // non-zero once a byte >= 0x80 may have gone by
  std::span<const std::string_view> keys_;  // the plain road's
  FlatKeyMemo* memo_ = nullptr;             // the plain road's, if any
};

// The plain road: a FlatRow, or kNotPlain for a line not for it. (Not
// std::optional: that comes back in memory, two small stores read back as one
// word, which waits for both.)
FlatRow plain_road(std::string_view line, std::span<const std::string_view> keys, std::span<std::string_view> out,
                   std::string& scratch, FlatKeyMemo* memo) {
#if defined(__SSE2__)
  FlatParser parser(line, scratch);
  if (const FlatRow framed = parser.frame(); framed != FlatRow::row) return framed;
  return parser.plain_object(keys, out, memo);
#else
  (void)line, (void)keys, (void)out, (void)scratch, (void)memo;
  return kNotPlain;
#endif
}

// The shaped road through each of the memo's shapes in turn; a hit is counted.
FlatRow shaped_road(std::string_view line, std::span<std::string_view> out, std::string& scratch,
                    FlatKeyMemo& memo) noexcept {
  for (std::size_t k = 0; k < FlatKeyMemo::kShapes && memo.shapes[k].members != 0; ++k) {
    const FlatRow row = FlatParser(line, scratch).shaped_object(out, memo.shapes[k]);
    if (row != kNotPlain) {
      count_hit(memo, k);
      return row;
    }
  }
  return kNotPlain;
}

FlatRow general_road(std::string_view line, std::span<const std::string_view> keys, std::span<std::string_view> out,
                     std::string& scratch) {
  FlatParser parser(line, scratch);
  if (const FlatRow framed = parser.frame(); framed != FlatRow::row) return framed;
  return parser.object(keys, out);
}

}  // namespace

FlatRow split_flat_object(std::string_view line, std::span<const std::string_view> keys,
                          std::span<std::string_view> out, std::string& scratch, FlatKeyMemo* memo) {
  if (memo != nullptr) {
    const FlatRow shaped = shaped_road(line, out, scratch, *memo);
    if (shaped != kNotPlain) return shaped;
  }
  const FlatRow plain = plain_road(line, keys, out, scratch, memo);
  if (plain != kNotPlain && plain != FlatRow::decline) return plain;
  return general_road(line, keys, out, scratch);
}

std::size_t split_shaped_line(const char* p, std::size_t size, std::span<std::string_view> out,
                              FlatKeyMemo& memo) noexcept {
#if defined(__SSE2__)
  for (std::size_t k = 0; k < FlatKeyMemo::kShapes && memo.shapes[k].members != 0; ++k) {
    if (!memo.shapes[k].whole_line) continue;
    if (const std::size_t line = whole_line_in(p, size, out, memo.shapes[k]); line != kNoShapedLine) {
      count_hit(memo, k);
      return line;
    }
  }
#else
  (void)p, (void)size, (void)out, (void)memo;
#endif
  return kNoShapedLine;
}

namespace detail {

std::optional<FlatRow> split_flat_object_on(FlatRoad road, std::string_view line,
                                            std::span<const std::string_view> keys, std::span<std::string_view> out,
                                            std::string& scratch, FlatKeyMemo* memo) {
  if (road == FlatRoad::general) return general_road(line, keys, out, scratch);
  if (road == FlatRoad::shaped) {
    if (memo == nullptr) return std::nullopt;
    const FlatRow shaped = shaped_road(line, out, scratch, *memo);
    if (shaped == kNotPlain) return std::nullopt;
    return shaped;
  }
  const FlatRow plain = plain_road(line, keys, out, scratch, memo);
  if (plain == kNotPlain) return std::nullopt;
  return plain;
}

}  // namespace detail

}  // namespace kpi::io
