// JSON input: an array of objects, one object, or a stream of objects (NDJSON, or a
// ".json" file holding one object per line), parsed element by element.
//
// A small recursive-descent parser of our own keeps the byte offset of every value,
// so a bad value gets a caret, and flattens nested objects into dotted paths
// ("properties.distinct_id"). Nesting deeper than kMaxDepth is an error, never a
// stack overflow. Strings are validated as UTF-8 and unescaped (\uXXXX with
// surrogate pairs).
#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "readers.hpp"

namespace kpi::io {
namespace {

constexpr int kMaxDepth = 64;

struct JsonField {
  std::string path;
  std::uint32_t begin = 0;  // text: offset into the record, or into scratch when escaped
  std::uint32_t size = 0;
  std::uint32_t at = 0;     // offset of the value within the record
  bool escaped = false;
  bool scalar = true;
  bool null = false;
};

enum class Outcome { ok, need_more, error };

// The first position at or after i holding '"', '\\' or a control character
// (s.size() if none): 8 bytes per step, as string contents are mostly plain.
std::size_t plain_run_end(std::string_view s, std::size_t i) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const auto has_zero = [&](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // Bytes < 0x20: (w - 0x20..) borrows into the high bit of a byte whose high bit was clear.
    const std::uint64_t control = (w - 0x2020202020202020ull) & ~w & kHigh;
    const std::uint64_t hits = has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | control;
    // The lowest flagged byte is always a real hit (false flags only follow a
    // real one); little-endian: it is the first in the text.
    if (hits == 0) continue;
    if constexpr (std::endian::native == std::endian::little)
      return i + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
    break;  // elsewhere the byte loop below finds it
  }
  while (i < s.size() && s[i] != '"' && s[i] != '\\' && static_cast<unsigned char>(s[i]) >= 0x20) ++i;
  return i;
}

// Parses one top-level object starting at s[0] (which must be '{').
class ObjectParser {
 public:
  ObjectParser(std::string_view s, bool eof, std::vector<JsonField>& fields, std::string& scratch)
      : s_(s), eof_(eof), fields_(fields), scratch_(scratch) {}

  Outcome parse(std::size_t& end) {
    fields_.clear();
    scratch_.clear();
    path_.clear();
    const Outcome o = object(0);
    end = i_;
    return o;
  }
  std::size_t error_offset() const noexcept { return error_at_; }
  const std::string& error_message() const noexcept { return message_; }

 private:
  Outcome fail(std::size_t at, std::string message) {
    error_at_ = at;
    message_ = std::move(message);
    return Outcome::error;
  }
  // Running out of bytes: more may come unless this is the end of the input.
  Outcome truncated() {
    if (!eof_) return Outcome::need_more;
    return fail(s_.size(), "unexpected end of input inside a JSON value (truncated file?)");
  }
  std::string found_here() const {
    if (i_ >= s_.size()) return "the end of the input";
    const char c = s_[i_];
    if (c == '\n' || c == '\r') return "the end of the line";
    return std::string("'") + c + "'";
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  Outcome object(int depth) {
    if (depth >= kMaxDepth) {
      return fail(i_, "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ++i_;  // '{'
    skip_ws();
    if (i_ >= s_.size()) return truncated();
    if (s_[i_] == '}') {
      ++i_;
      return Outcome::ok;
    }
    while (true) {
      skip_ws();
      if (i_ >= s_.size()) return truncated();
      if (s_[i_] != '"') return fail(i_, "expected a quoted key, got " + found_here());
      std::uint32_t kb = 0, ks = 0;
      bool kesc = false;
      if (Outcome o = string(kb, ks, kesc); o != Outcome::ok) return o;
      // The key goes straight onto the dotted path (no std::string per key).
      const std::size_t saved = path_.size();
      if (!path_.empty()) path_ += '.';
      path_.append(kesc ? std::string_view(scratch_).substr(kb, ks) : s_.substr(kb, ks));
      skip_ws();
      if (i_ >= s_.size()) return truncated();
      if (s_[i_] != ':') return fail(i_, "expected ':' after a key, got " + found_here());
      ++i_;
      skip_ws();
      if (i_ >= s_.size()) return truncated();
      if (Outcome o = value(depth); o != Outcome::ok) return o;
      path_.resize(saved);
      skip_ws();
      if (i_ >= s_.size()) return truncated();
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        return Outcome::ok;
      }
      return fail(i_, "expected ',' or '}' in an object, got " + found_here());
    }
  }

  Outcome value(int depth) {
    JsonField f;
    f.at = static_cast<std::uint32_t>(i_);
    const char c = s_[i_];
    if (c == '{') {
      const std::size_t before = fields_.size();
      if (Outcome o = object(depth + 1); o != Outcome::ok) return o;
      if (fields_.size() == before) {  // {} : an empty object is still a (non-scalar) value
        f.path = path_;
        f.scalar = false;
        fields_.push_back(std::move(f));
      }
      return Outcome::ok;
    }
    if (c == '[') {
      if (Outcome o = skip_array(depth + 1); o != Outcome::ok) return o;
      f.path = path_;
      f.scalar = false;
      f.begin = f.at;
      f.size = static_cast<std::uint32_t>(i_ - f.at);
      fields_.push_back(std::move(f));
      return Outcome::ok;
    }
    if (c == '"') {
      if (Outcome o = string(f.begin, f.size, f.escaped); o != Outcome::ok) return o;
    } else if (c == 't' || c == 'f' || c == 'n') {
      const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      if (s_.size() - i_ < word.size()) {
        if (s_.substr(i_) == word.substr(0, s_.size() - i_)) return truncated();
        return fail(i_, "expected a JSON value, got " + found_here());
      }
      if (s_.substr(i_, word.size()) != word) return fail(i_, "expected a JSON value, got " + found_here());
      f.begin = f.at;
      f.size = c == 'n' ? 0 : static_cast<std::uint32_t>(word.size());
      f.null = c == 'n';
      i_ += word.size();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (Outcome o = number(); o != Outcome::ok) return o;
      f.begin = f.at;
      f.size = static_cast<std::uint32_t>(i_ - f.at);
    } else {
      return fail(i_, "expected a JSON value, got " + found_here());
    }
    f.path = path_;
    fields_.push_back(std::move(f));
    return Outcome::ok;
  }

  // Arrays are kept as one opaque value; only their syntax is checked.
  Outcome skip_array(int depth) {
    if (depth >= kMaxDepth) {
      return fail(i_, "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ++i_;  // '['
    skip_ws();
    if (i_ >= s_.size()) return truncated();
    if (s_[i_] == ']') {
      ++i_;
      return Outcome::ok;
    }
    std::vector<JsonField> inner;
    while (true) {
      skip_ws();
      if (i_ >= s_.size()) return truncated();
      const char c = s_[i_];
      Outcome o;
      if (c == '[') {
        o = skip_array(depth + 1);
      } else if (c == '{') {
        // Parse into a throwaway field list so nested keys do not become columns.
        std::swap(inner, fields_);
        const std::string saved = path_;
        o = object(depth + 1);
        path_ = saved;
        std::swap(inner, fields_);
        inner.clear();
      } else {
        const std::size_t before = fields_.size();
        o = value(depth);
        fields_.resize(before);
      }
      if (o != Outcome::ok) return o;
      skip_ws();
      if (i_ >= s_.size()) return truncated();
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        return Outcome::ok;
      }
      return fail(i_, "expected ',' or ']' in an array, got " + found_here());
    }
  }

  Outcome number() {
    const std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    auto digits = [&] {
      const std::size_t b = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - b;
    };
    if (i_ >= s_.size()) return truncated();
    if (s_[i_] == '0') {
      ++i_;
    } else if (digits() == 0) {
      return fail(start, "malformed JSON number");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) return i_ >= s_.size() ? truncated() : fail(start, "malformed JSON number");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) return i_ >= s_.size() ? truncated() : fail(start, "malformed JSON number");
    }
    if (i_ >= s_.size() && !eof_) return Outcome::need_more;
    if (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == 'x' || s_[i_] == '.' ||
                           std::isalpha(static_cast<unsigned char>(s_[i_])))) {
      return fail(start, "malformed JSON number");
    }
    return Outcome::ok;
  }

  static int hex(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
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

  Outcome read_hex4(std::uint32_t& out) {
    if (s_.size() - i_ < 4) return truncated();
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex(s_[i_ + static_cast<std::size_t>(k)]);
      if (h < 0) return fail(i_, "malformed \\u escape in a JSON string");
      out = out * 16 + static_cast<std::uint32_t>(h);
    }
    i_ += 4;
    return Outcome::ok;
  }

  // Reads a string at s_[i_] == '"'. Unescaped text stays a view (begin/size into
  // the record); escaped text is decoded into scratch_.
  Outcome string(std::uint32_t& begin, std::uint32_t& size, bool& escaped) {
    const std::size_t open = i_;
    ++i_;
    const std::size_t content = i_;
    escaped = false;
    std::size_t out_begin = 0;
    while (true) {
      if (!escaped) i_ = plain_run_end(s_, i_);
      if (i_ >= s_.size()) return truncated();
      const char c = s_[i_];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) {
        if (c == '\n' || c == '\r') return fail(open, "unterminated JSON string");
        return fail(i_, "control character inside a JSON string (must be escaped)");
      }
      if (c != '\\') {
        if (escaped) scratch_ += c;
        ++i_;
        continue;
      }
      if (!escaped) {
        escaped = true;
        out_begin = scratch_.size();
        scratch_.append(s_.substr(content, i_ - content));
      }
      if (i_ + 1 >= s_.size()) return truncated();
      const char e = s_[i_ + 1];
      i_ += 2;
      switch (e) {
        case '"': scratch_ += '"'; break;
        case '\\': scratch_ += '\\'; break;
        case '/': scratch_ += '/'; break;
        case 'b': scratch_ += '\b'; break;
        case 'f': scratch_ += '\f'; break;
        case 'n': scratch_ += '\n'; break;
        case 'r': scratch_ += '\r'; break;
        case 't': scratch_ += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (Outcome o = read_hex4(cp); o != Outcome::ok) return o;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.size() - i_ < 6) return truncated();
            std::uint32_t low = 0;
            if (s_[i_] != '\\' || s_[i_ + 1] != 'u') return fail(i_, "unpaired surrogate in a JSON string");
            i_ += 2;
            if (Outcome o = read_hex4(low); o != Outcome::ok) return o;
            if (low < 0xDC00 || low > 0xDFFF) return fail(i_ - 6, "unpaired surrogate in a JSON string");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail(i_ - 6, "unpaired surrogate in a JSON string");
          }
          append_utf8(cp);
          break;
        }
        default:
          return fail(i_ - 2, std::string("invalid escape '\\") + e + "' in a JSON string");
      }
    }
    if (escaped) {
      begin = static_cast<std::uint32_t>(out_begin);
      size = static_cast<std::uint32_t>(scratch_.size() - out_begin);
    } else {
      begin = static_cast<std::uint32_t>(content);
      size = static_cast<std::uint32_t>(i_ - content);
    }
    ++i_;  // closing quote
    return Outcome::ok;
  }

  std::string_view s_;
  bool eof_;
  std::vector<JsonField>& fields_;
  std::string& scratch_;
  std::string path_;
  std::size_t i_ = 0;
  std::size_t error_at_ = 0;
  std::string message_;
};

class JsonReader final : public RecordReader {
 public:
  JsonReader(ByteSource source, Format format, const ReaderOptions& options)
      : source_(std::move(source)), options_(options) {
    name_ = source_.name();
    format_ = format;
  }

  // Finds the first record to learn the columns, without consuming it.
  Status start() {
    if (source_.window().substr(0, 3) == "\xEF\xBB\xBF") source_.consume(3);
    if (Status st = skip_space(); !st) return st;
    const std::string_view w = source_.window();
    if (w.empty()) {
      return Error(Location{name_, 0, 0, {}}, "the input is empty (expected JSON objects)");
    }
    if (w[0] == '[') {
      in_array_ = true;
      consume(1);
      if (Status st = skip_space(); !st) return st;
      const std::string_view rest = source_.window();
      if (!rest.empty() && rest[0] == ']') {
        array_done_ = true;
        consume(1);
        return check_trailing();
      }
    }
    auto first = parse_next(/*take=*/false);
    if (!first) return std::move(first).error();
    std::vector<std::string> keys;
    if (*first) {
      for (const auto& f : fields_) keys.push_back(f.path);
    }
    columns_ = canonical_columns(keys, options_, true);
    return Status::ok();
  }

  void bind(const std::vector<std::string>& names) override {
    bound_.clear();
    slot_of_.clear();
    shape_.clear();
    for (const auto& name : names) {
      bound_.push_back({std::string(source_of(options_, name)), default_of(options_, name)});
    }
    // Backwards, so each path's chain of slots ends up in bind order.
    for (std::size_t slot = bound_.size(); slot-- > 0;) {
      auto [it, inserted] = slot_of_.try_emplace(bound_[slot].path, slot);
      if (!inserted) {
        bound_[slot].next_same = it->second;
        it->second = slot;
      }
    }
  }

  // Objects one after another, as NDJSON (also in a .json file, or sniffed from
  // a pipe): the bulk path takes those that are one per line and declines the
  // rest; not a JSON array (one record over many lines). Only keys without a
  // dot: a dotted path may name a nested value, which the bulk path does not
  // read. A pipe is read on from the first object, which must start its line
  // (it does, unless blanks precede it).
  std::optional<BulkInput> bulk() const override {
    if (in_array_ || seen_one_) return std::nullopt;
    BulkInput in;
    in.format = Format::ndjson;
    in.fd = source_.fd();
    if (source_.is_regular_file()) {
      in.begin = 0;
      in.end = file_size(source_.fd());
    } else if (source_.is_pipe() && prefix_.empty()) {
      in.stream = true;
      in.begin = source_.offset();
      in.head = source_.window();
      in.first_line = line_;
    } else {
      return std::nullopt;
    }
    for (const Binding& b : bound_) {
      if (b.fallback != nullptr || b.path.find('.') != std::string::npos) return std::nullopt;
      in.key_of_slot.push_back(b.path);
    }
    return in;
  }

  void resume(const BulkRest& rest) override {
    source_.restart(rest.bytes, rest.offset);
    line_ = rest.line;
    prefix_.clear();  // the rest starts a line
  }

  Expected<bool> next(Record& out) override {
    recoverable_ = false;
    auto got = parse_next(/*take=*/true);
    if (!got || !*got) return got;
    out.file = name_;
    out.line = record_line_;
    out.raw = record_raw_;
    out.prefix = record_prefix_;
    out.fields.resize(bound_.size());
    for (Field& f : out.fields) f = Field{};
    // One lookup per key: the record's size, not columns × keys, bounds the work.
    constexpr std::size_t kNone = Binding::kNone;
    std::size_t dup_slot = kNone;
    const JsonField* dup = nullptr;
    for (std::size_t k = 0; k < fields_.size(); ++k) {
      const JsonField& jf = fields_[k];
      const std::size_t first = slot_of(k, jf.path);
      if (first == kNone) continue;
      if (out.fields[first].present) {
        // A second value for the same column: taking either would silently drop
        // the other. Reported for the first such column in bind order, at its
        // second value, as when each column searched the keys in turn.
        if (first < dup_slot) {
          dup_slot = first;
          dup = &jf;
        }
        continue;
      }
      for (std::size_t slot = first; slot != kNone; slot = bound_[slot].next_same) {
        Field& f = out.fields[slot];
        f.present = true;
        f.scalar = jf.scalar;
        f.offset = jf.at;
        f.text = jf.escaped ? std::string_view(scratch_).substr(jf.begin, jf.size)
                            : record_raw_.substr(jf.begin, jf.size);
      }
    }
    if (dup != nullptr) {
      recoverable_ = true;  // the record is consumed; --skip-invalid may go on
      return Error(locate(name_, record_line_, record_raw_, dup->at, record_prefix_),
                   "duplicate key '" + dup->path + "' in a JSON object");
    }
    for (std::size_t slot = 0; slot < bound_.size(); ++slot) {
      Field& f = out.fields[slot];
      if (f.text.empty() && f.scalar && bound_[slot].fallback != nullptr) {
        f.text = *bound_[slot].fallback;
        f.present = true;
        f.defaulted = true;
      }
    }
    return true;
  }

 private:
  struct Binding {
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::string path;
    const std::string* fallback = nullptr;
    std::size_t next_same = kNone;  // the next slot bound to the same path
  };

  // The first slot bound to `path`, the k-th key of the record (kNone if none).
  // Records mostly repeat the previous one's keys in the same order, so the answer
  // for the previous record's k-th key is tried first: one string compare instead
  // of hashing the key.
  std::size_t slot_of(std::size_t k, const std::string& path) {
    if (k < shape_.size() && shape_[k].first == path) [[likely]] return shape_[k].second;
    const auto it = slot_of_.find(path);
    const std::size_t slot = it == slot_of_.end() ? Binding::kNone : it->second;
    if (k < shape_.size()) {
      shape_[k].first = path;
      shape_[k].second = slot;
    } else {  // k == shape_.size(): keys are looked up in order
      shape_.emplace_back(path, slot);
    }
    return slot;
  }

  // Skips whitespace, counting lines, refilling as needed.
  Status skip_space() {
    while (true) {
      const std::string_view w = source_.window();
      std::size_t i = 0;
      while (i < w.size() && (w[i] == ' ' || w[i] == '\t' || w[i] == '\n' || w[i] == '\r')) {
        if (w[i] == '\n' || (w[i] == '\r' && (i + 1 >= w.size() || w[i + 1] != '\n'))) ++line_;
        ++i;
      }
      consume(i);
      if (i < w.size() || source_.eof()) return Status::ok();
      auto more = source_.fill();
      if (!more) return std::move(more).error();
    }
  }

  Status check_trailing() {
    if (Status st = skip_space(); !st) return st;
    const std::string_view w = source_.window();
    if (!w.empty()) {
      return Error(locate(name_, line_, w.substr(0, std::min<std::size_t>(w.size(), 4096)), 0),
                   "unexpected text after the end of the JSON array");
    }
    return Status::ok();
  }

  static bool has_line_break(std::string_view text) noexcept {
    return std::memchr(text.data(), '\n', text.size()) != nullptr ||
           std::memchr(text.data(), '\r', text.size()) != nullptr;
  }

  std::size_t lines_in(std::string_view text) const noexcept {
    if (!has_line_break(text)) return 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) ++n;
    }
    return n;
  }

  Expected<bool> parse_next(bool take) {
    if (array_done_) return false;
    if (Status st = skip_space(); !st) return std::move(st).error();
    if (in_array_ && take && seen_one_) {
      // Between elements: ',' or ']'.
      const std::string_view w = source_.window();
      if (w.empty()) return truncated_error();
      if (w[0] == ']') {
        consume(1);
        array_done_ = true;
        if (Status st = check_trailing(); !st) return std::move(st).error();
        return false;
      }
      if (w[0] != ',') return structure_error("expected ',' or ']' between array elements");
      consume(1);
      if (Status st = skip_space(); !st) return std::move(st).error();
    }
    while (true) {
      const std::string_view w = source_.window();
      if (w.empty()) {
        if (in_array_) return truncated_error();
        return false;
      }
      if (w[0] != '{') {
        return structure_error(in_array_ ? "expected a JSON object as an array element"
                                         : "expected a JSON object (one per line)");
      }
      std::size_t end = 0;
      ObjectParser parser(w, source_.eof(), fields_, scratch_);
      const Outcome o = parser.parse(end);
      if (o == Outcome::need_more) {
        // The parse starts again from the record's start (a recursive descent keeps
        // no state to resume from): with twice the bytes each time, a record of R
        // bytes is parsed O(log R) times, O(R) in all, also from a pipe.
        auto more = source_.fill_to(2 * w.size());
        if (!more) return std::move(more).error();
        continue;
      }
      record_raw_ = w.substr(0, end);
      if (o == Outcome::error) {
        std::string_view context = w.substr(0, std::min(w.size(), parser.error_offset() + 4096));
        return Error(locate(name_, line_, context, parser.error_offset(), prefix_), parser.error_message());
      }
      const std::size_t bad = find_invalid_utf8(record_raw_);
      if (bad != std::string_view::npos) {
        return Error(locate(name_, line_, record_raw_, bad, prefix_),
                     "invalid UTF-8 byte sequence (kpi reads UTF-8 text)");
      }
      if (take) {
        record_line_ = line_;
        record_prefix_ = prefix_;
        const std::size_t lines = lines_in(record_raw_);
        line_ += lines;
        consume(end, lines > 0);
        seen_one_ = true;
        if (!in_array_) {
          // NDJSON: the object must end its line.
          std::string_view rest = source_.window();
          std::size_t i = 0;
          while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
          if (i < rest.size() && rest[i] != '\n' && rest[i] != '\r') {
            return Error(locate(name_, record_line_, record_raw_, record_raw_.size(), record_prefix_),
                         "expected the end of the line after a JSON object");
          }
        }
      }
      return true;
    }
  }

  Error truncated_error() const {
    return Error(Location{name_, line_, 0, {}},
                 "unexpected end of input inside a JSON array (truncated file?)");
  }
  Error structure_error(const std::string& what) const {
    const std::string_view w = source_.window();
    const std::string_view line = w.substr(0, std::min(w.size(), w.find('\n')));
    std::string found = w.empty() ? "the end of the input" : std::string("'") + w[0] + "'";
    return Error(locate(name_, line_, line, 0, prefix_), what + ", got " + found);
  }

  // Consumes n bytes, remembering the text since the last line break so errors
  // inside a record that starts mid-line get the right column.
  // `may_break` false: the caller knows the text holds no line break.
  void consume(std::size_t n, bool may_break = true) {
    const std::string_view gone = source_.window().substr(0, n);
    // Most consumed text (an NDJSON record) holds no line break: two vectorised
    // memchr calls say so; find_last_of("\n\r") called memchr once per byte, a
    // quarter of the time spent reading NDJSON.
    std::size_t after_nl = 0;
    if (may_break && has_line_break(gone)) {
      after_nl = gone.size();
      while (gone[after_nl - 1] != '\n' && gone[after_nl - 1] != '\r') --after_nl;
    }
    if (after_nl > 0) {
      prefix_.assign(gone.substr(after_nl));
    } else if (prefix_.size() < 4096) {
      prefix_.append(gone);
    }
    source_.consume(n);
  }

  ByteSource source_;
  std::string prefix_;
  std::string record_prefix_;
  ReaderOptions options_;
  std::vector<Binding> bound_;
  std::unordered_map<std::string, std::size_t> slot_of_;  // path → its first bound slot
  std::vector<std::pair<std::string, std::size_t>> shape_;  // k-th key → slot_of_, last seen
  std::vector<JsonField> fields_;
  std::string scratch_;
  std::string_view record_raw_;
  std::size_t record_line_ = 0;
  std::size_t line_ = 1;
  bool in_array_ = false;
  bool array_done_ = false;
  bool seen_one_ = false;
};

}  // namespace

Expected<std::unique_ptr<RecordReader>> make_json_reader(ByteSource source, Format format,
                                                         const ReaderOptions& options) {
  auto reader = std::make_unique<JsonReader>(std::move(source), format, options);
  if (Status st = reader->start(); !st) return std::move(st).error();
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace kpi::io
