// One NDJSON line as a flat object, in one forward pass (see flat_json.hpp).
//
// Mirrors ObjectParser in json_reader.cpp rule by rule, minus everything a flat
// line of events never needs: nested values, line breaks inside the object, and
// the rare cases (\u0000, a bound key holding '.') where matching the JSON reader
// would take more care than declining. Only ' ' and '\t' count as white space:
// the JSON reader also skips '\r' there, but counts a lone '\r' as a line break,
// so a line holding one would number the following lines differently.
#include "flat_json.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "byte_source.hpp"
#include "readers.hpp"

namespace kpi::io {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

constexpr std::uint64_t has_zero(std::uint64_t v) noexcept { return (v - kOnes) & ~v & kHigh; }

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every member returns false to decline the line; none allocates (scratch_ is
// reserved to the line's size, which bounds all decoded text, by the caller).
class FlatParser {
 public:
  FlatParser(std::string_view line, std::string& scratch) noexcept : s_(line), scratch_(scratch) {}

  FlatRow parse(std::span<const std::string_view> keys, std::span<std::string_view> out) {
    const std::size_t n = s_.size();
    skip_ws();
    if (i_ == n || (s_[i_] == '\r' && i_ + 1 == n)) return FlatRow::blank;
    if (s_[i_] != '{' || n >= ByteSource::kMaxRecordBytes) return FlatRow::decline;
    scratch_.clear();
    // Decoded text is never longer than its escaped form, so appending stays
    // within this capacity and views into scratch_ stay valid.
    if (scratch_.capacity() < n) scratch_.reserve(n);
    // A set slot always has a non-null data(): a view into the line or scratch_,
    // empty for "" and null. Null data() marks a slot not seen yet.
    std::fill(out.begin(), out.end(), std::string_view{});
    const std::size_t open = i_;
    ++i_;
    skip_ws();
    if (i_ < n && s_[i_] == '}') {
      ++i_;
    } else if (!members(keys, out)) {
      return FlatRow::decline;
    }
    const std::size_t close = i_;
    // NDJSON: the object ends its line (a '\r' only as the line's last byte).
    skip_ws();
    if (i_ < n && !(s_[i_] == '\r' && i_ + 1 == n)) return FlatRow::decline;
    // Bytes >= 0x80 only pass through plain_run_end (inside strings); the JSON
    // reader checks the whole object's raw text, so check the same span.
    if ((seen_ & kHigh) != 0 && find_invalid_utf8(s_.substr(open, close - open)) != std::string_view::npos) {
      return FlatRow::decline;
    }
    return FlatRow::row;
  }

 private:
  void skip_ws() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }

  // After '{' and white space, with the object not empty: "key": value, ... '}'.
  bool members(std::span<const std::string_view> keys, std::span<std::string_view> out) {
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    const std::size_t n = s_.size();
    while (true) {
      if (i_ >= n || s_[i_] != '"') return false;
      // An escaped key is decoded into scratch_ only long enough to compare it.
      const std::size_t mark = scratch_.size();
      std::string_view key;
      if (!string(true, key)) return false;
      std::size_t slot = kNone;
      for (std::size_t k = 0; k < keys.size(); ++k) {
        if (keys[k].size() == key.size() && !key.empty() && keys[k] == key) {
          slot = k;
          break;
        }
      }
      scratch_.resize(mark);
      if (slot != kNone) {
        // A second value for a bound key is the JSON reader's "duplicate key"
        // error; a dotted key could also be a nested path there.
        if (out[slot].data() != nullptr) return false;
        if (keys[slot].find('.') != std::string_view::npos) return false;
      }
      skip_ws();
      if (i_ >= n || s_[i_] != ':') return false;
      ++i_;
      skip_ws();
      std::string_view text;
      if (!value(slot != kNone, text)) return false;
      if (slot != kNone) {
        // Every slot bound to this key gets the value, as the JSON reader's chain does.
        const std::string_view bound = keys[slot];
        out[slot] = text;
        for (std::size_t k = slot + 1; k < keys.size(); ++k) {
          if (keys[k] == bound) out[k] = text;
        }
      }
      skip_ws();
      if (i_ >= n) return false;
      if (s_[i_] == ',') {
        ++i_;
        skip_ws();
        continue;
      }
      if (s_[i_] != '}') return false;
      ++i_;
      return true;
    }
  }

  bool value(bool decode, std::string_view& text) {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') return string(decode, text);
    if (c == 't') return word("true", text);
    if (c == 'f') return word("false", text);
    if (c == 'n') {
      if (!word("null", text)) return false;
      text = text.substr(0, 0);  // blank, but marked as seen (non-null data)
      return true;
    }
    if (c == '-' || is_digit(c)) {
      const std::size_t at = i_;
      if (!number()) return false;
      text = s_.substr(at, i_ - at);
      return true;
    }
    return false;  // '{', '[' (nested: declined) or not a JSON value
  }

  bool word(std::string_view w, std::string_view& text) noexcept {
    if (s_.substr(i_, w.size()) != w) return false;
    text = s_.substr(i_, w.size());
    i_ += w.size();
    return true;
  }

  // The JSON grammar, as json_reader's number() plus the ',' or '}' its caller
  // wants next: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() noexcept {
    const std::size_t n = s_.size();
    const auto digits = [&] {
      const std::size_t b = i_;
      while (i_ < n && is_digit(s_[i_])) ++i_;
      return i_ > b;
    };
    if (s_[i_] == '-') ++i_;
    if (i_ >= n) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (i_ < n && s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < n && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < n && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }

  // The first position at or after i holding '"', '\\' or a control character
  // (the line's size if none), 8 bytes per step as json_reader's plain_run_end;
  // also notes in seen_ whether a byte >= 0x80 went by.
  std::size_t plain_run_end(std::size_t i) noexcept {
    const char* p = s_.data();
    const std::size_t n = s_.size();
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + i, 8);
      seen_ |= w;  // may include bytes past the hit: at worst a needless UTF-8 check
      const std::uint64_t control = (w - kOnes * 0x20) & ~w & kHigh;
      const std::uint64_t hits = has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | control;
      if (hits == 0) continue;
      // The lowest flagged byte is a real hit; little-endian: the first in the text.
      if constexpr (std::endian::native == std::endian::little) {
        return i + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
      }
      break;  // elsewhere the byte loop below finds it
    }
    for (; i < n; ++i) {
      const auto u = static_cast<unsigned char>(p[i]);
      seen_ |= u;
      if (u == '"' || u == '\\' || u < 0x20) break;
    }
    return i;
  }

  // A string at s_[i_] == '"'. Unescaped, `text` is a view into the line; escaped,
  // it is decoded into scratch_ when `decode` (else only checked, text left empty).
  bool string(bool decode, std::string_view& text) {
    const std::size_t n = s_.size();
    ++i_;
    const std::size_t content = i_;
    i_ = plain_run_end(i_);
    if (i_ >= n) return false;
    if (s_[i_] == '"') {
      text = s_.substr(content, i_ - content);
      ++i_;
      return true;
    }
    if (s_[i_] != '\\') return false;  // a raw control character (or NUL, '\r')
    const std::size_t out_begin = scratch_.size();
    if (decode) scratch_.append(s_.substr(content, i_ - content));
    while (true) {
      if (!escape(decode)) return false;
      const std::size_t run = i_;
      i_ = plain_run_end(i_);
      if (i_ >= n) return false;
      if (decode) scratch_.append(s_.substr(run, i_ - run));
      if (s_[i_] == '"') break;
      if (s_[i_] != '\\') return false;
    }
    ++i_;
    text = decode ? std::string_view(scratch_).substr(out_begin) : std::string_view{};
    return true;
  }

  // An escape at s_[i_] == '\\'.
  bool escape(bool decode) {
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
      case 'u': return unicode(decode);
      default: return false;
    }
    if (decode) scratch_ += plain;
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
  bool unicode(bool decode) {
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
    if (decode) append_utf8(cp);
    return true;
  }

  void append_utf8(std::uint32_t cp) {
    if (cp < 0x80) {
      scratch_ += static_cast<char>(cp);
    } else if (cp < 0x800) {
      scratch_ += static_cast<char>(0xC0 | (cp >> 6));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      scratch_ += static_cast<char>(0xE0 | (cp >> 12));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      scratch_ += static_cast<char>(0xF0 | (cp >> 18));
      scratch_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  std::string& scratch_;
  std::size_t i_ = 0;
  std::uint64_t seen_ = 0;  // the OR of string bytes (and a few after them)
};

}  // namespace

FlatRow split_flat_object(std::string_view line, std::span<const std::string_view> keys,
                          std::span<std::string_view> out, std::string& scratch) {
  return FlatParser(line, scratch).parse(keys, out);
}

}  // namespace kpi::io
