// RFC 4180 delimited text (CSV, TSV, any one-byte delimiter), streamed record by record.
//
// Quoted fields may hold delimiters, doubled quotes and line breaks; CRLF, LF and
// lone CR all end a line; a UTF-8 BOM is skipped; blank lines (no bytes at all) are
// skipped. Every record is checked for NUL bytes and invalid UTF-8 and for having
// exactly as many fields as the header.
#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "readers.hpp"

namespace kpi::io {
namespace {

struct Span {
  std::uint32_t begin = 0;   // offset into the record (or into scratch when escaped)
  std::uint32_t size = 0;
  std::uint32_t at = 0;      // offset of the field's first byte within the record
  bool escaped = false;      // text lives in scratch_
};

// `field`: internal to parse(), one field (or the start of a record) read, the record goes on.
enum class Parse { record, need_more, blank_line, error, field };

// The end of an unquoted field starting at i: the first delimiter, '\n' or '\r'
// (s.size() if none), tested 8 bytes per step: a byte-by-byte loop with three
// compares was most of the time spent splitting lines. Always inlined: it has two
// callers (a new record and a resumed one), and a call per field costs ~5%.
[[gnu::always_inline]] inline std::size_t unquoted_end(std::string_view s, std::size_t i,
                                                       char delimiter) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  // Nonzero when some byte of v is zero (may flag bytes after the first zero).
  const auto has_zero = [&](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t d = kOnes * static_cast<unsigned char>(delimiter);
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t hits = has_zero(w ^ d) | has_zero(w ^ (kOnes * '\n')) | has_zero(w ^ (kOnes * '\r'));
    // The lowest flagged byte is always a real hit (false flags only follow a
    // real one); little-endian: it is the first in the text.
    if (hits == 0) continue;
    if constexpr (std::endian::native == std::endian::little)
      return i + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
    break;  // elsewhere the byte loop below finds it
  }
  while (i < s.size() && s[i] != delimiter && s[i] != '\n' && s[i] != '\r') ++i;
  return i;
}

class DelimitedReader final : public RecordReader {
 public:
  DelimitedReader(ByteSource source, Format format, char delimiter, const ReaderOptions& options)
      : source_(std::move(source)), delimiter_(delimiter), options_(options) {
    name_ = source_.name();
    format_ = format;
  }

  Status read_header() {
    if (source_.window().substr(0, 3) == "\xEF\xBB\xBF") source_.consume(3);
    auto got = read_record();
    if (!got) return std::move(got).error();
    if (!*got) {
      return Error(Location{name_, 0, 0, {}},
                   "the input is empty (expected a header line naming the columns)");
    }
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      std::string name(text_of(spans_[i]));
      if (name.empty()) {
        return Error(locate(name_, record_line_, record_raw_, spans_[i].at),
                     "header: column " + std::to_string(i + 1) + " has no name");
      }
      // Hashed, not a search of header_: the header may have any number of columns.
      if (!index_.emplace(name, static_cast<int>(i)).second) {
        return Error(locate(name_, record_line_, record_raw_, spans_[i].at),
                     "header: duplicate column name '" + name + "'");
      }
      header_.push_back(std::move(name));
    }
    for (const auto& [canon, source] : options_.map) {
      if (std::find(header_.begin(), header_.end(), source) == header_.end()) {
        return Error(Location{name_, 1, 0, {}}, "--map " + canon + "=" + source + ": no column '" +
                                                    source + "' in the header (columns: " +
                                                    join(header_) + ")");
      }
    }
    columns_ = canonical_columns(header_, options_, false);
    return Status::ok();
  }

  void bind(const std::vector<std::string>& names) override {
    bound_.clear();
    for (const auto& name : names) {
      Binding b;
      const std::string_view source = source_of(options_, name);
      const auto it = index_.find(std::string(source));
      b.column = it == index_.end() ? -1 : it->second;
      b.fallback = default_of(options_, name);
      bound_.push_back(b);
    }
  }

  std::optional<BulkInput> bulk() const override {
    if (!source_.is_regular_file() && !source_.is_pipe()) return std::nullopt;
    BulkInput in;
    in.format = format_;
    in.delimiter = delimiter_;
    in.fd = source_.fd();
    in.begin = source_.offset();
    if (source_.is_pipe()) {
      in.stream = true;
      in.head = source_.window();
      in.first_line = line_;
    } else {
      in.end = file_size(source_.fd());
    }
    in.fields = header_.size();
    for (const Binding& b : bound_) {
      if (b.fallback != nullptr) return std::nullopt;
      in.column_of_slot.push_back(b.column);
    }
    return in;
  }

  void resume(const BulkRest& rest) override {
    source_.restart(rest.bytes, rest.offset);
    line_ = rest.line;
  }

  Expected<bool> next(Record& out) override {
    recoverable_ = false;
    auto got = read_record();
    if (!got || !*got) return got;
    if (spans_.size() != header_.size()) {
      recoverable_ = true;
      return ragged_error();
    }
    out.file = name_;
    out.line = record_line_;
    out.raw = record_raw_;
    out.fields.resize(bound_.size());
    for (std::size_t slot = 0; slot < bound_.size(); ++slot) {
      const Binding& b = bound_[slot];
      Field& f = out.fields[slot];
      f = Field{};
      if (b.column >= 0) {
        const Span& s = spans_[static_cast<std::size_t>(b.column)];
        f.text = text_of(s);
        f.present = true;
        f.offset = s.at;
      }
      if (f.text.empty() && b.fallback != nullptr) {
        f.text = *b.fallback;
        f.present = true;
        f.defaulted = true;
      }
    }
    return true;
  }

 private:
  struct Binding {
    int column = -1;
    const std::string* fallback = nullptr;
  };

  static std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  std::string_view text_of(const Span& s) const noexcept {
    return s.escaped ? std::string_view(scratch_).substr(s.begin, s.size)
                     : record_raw_.substr(s.begin, s.size);
  }

  Error ragged_error() const {
    const std::size_t want = header_.size();
    const std::size_t got = spans_.size();
    const std::size_t at = got > want ? spans_[want].at : record_raw_.size();
    return Error(locate(name_, record_line_, record_raw_, at),
                 "expected " + std::to_string(want) + " field" + (want == 1 ? "" : "s") +
                     " (as in the header), got " + std::to_string(got));
  }

  // Reads the next non-blank record into spans_/record_raw_. False at the end.
  Expected<bool> read_record() {
    while (true) {
      std::size_t consumed = 0;
      Parse p = parse(source_.window(), source_.eof(), consumed);
      if (p == Parse::need_more) [[unlikely]] p = parse_rest(consumed);
      if (p == Parse::error) return pending_error_;
      if (p == Parse::blank_line) {
        if (consumed == 0) return false;  // end of input
        source_.consume(consumed);
        line_ += 1;
        continue;
      }
      record_line_ = line_;
      line_ += lines_in_record_;
      const std::size_t bad = find_invalid_utf8(record_raw_);
      if (bad != std::string_view::npos) {
        const bool nul = record_raw_[bad] == '\0';
        Error error(locate(name_, record_line_, record_raw_, bad),
                    nul ? "NUL byte in text input (is this a binary or UTF-16 file?)"
                        : "invalid UTF-8 byte sequence (kpi reads UTF-8 text)");
        source_.consume(consumed);
        recoverable_ = true;
        return error;
      }
      source_.consume(consumed);
      return true;
    }
  }

  // Parses one record at the start of `s`. On success record_raw_ views it (without
  // its line ending), spans_ hold its fields and `consumed` covers the line ending.
  Parse parse(std::string_view s, bool eof, std::size_t& consumed) {
    if (const Parse p = start(s, eof, consumed); p != Parse::field) return p;
    return fields(s, eof, 0, consumed);
  }

  // A record that runs past the bytes read so far (the cold path): reads more and
  // goes on where parse() stopped, which resume_ keeps, until the record is
  // complete. ByteSource::fill keeps the record at the window's start, so offsets
  // stay valid. Parsing again from the record's start after each read made a
  // record grown from a pipe (64 KiB per read) cost its size squared.
  [[gnu::noinline]] Parse parse_rest(std::size_t& consumed) {
    while (true) {
      auto more = source_.fill();
      if (!more) {
        resume_ = Resume{};
        pending_error_ = std::move(more).error();
        return Parse::error;
      }
      // At EOF the scan now sees eof() and finishes the record.
      const Parse p = resume(source_.window(), source_.eof(), consumed);
      if (p != Parse::need_more) return p;
    }
  }

  Parse resume(std::string_view s, bool eof, std::size_t& consumed) {
    const Resume r = std::exchange(resume_, Resume{});
    std::size_t i = 0;
    Parse p = Parse::field;
    switch (r.at) {
      case Resume::At::none:  // stopped before the record's first byte
        if (p = start(s, eof, consumed); p != Parse::field) return p;
        return fields(s, eof, 0, consumed);
      case Resume::At::field_start: return fields(s, eof, r.field, consumed);
      case Resume::At::quoted: p = quoted_field(s, eof, r.field, r.scan, r.escaped, i); break;
      case Resume::At::unquoted: p = unquoted_field(s, eof, r.field, r.scan, i); break;
      case Resume::At::line_end: return record_end(s, eof, r.field, consumed);
    }
    if (p != Parse::field) return p;
    if (i < s.size() && s[i] == delimiter_) return fields(s, eof, i + 1, consumed);
    return record_end(s, eof, i, consumed);
  }

  // A new record: blank lines and the end of the input. Parse::field when `s`
  // starts a record.
  [[gnu::always_inline]] inline Parse start(std::string_view s, bool eof, std::size_t& consumed) {
    spans_.clear();
    scratch_.clear();
    lines_in_record_ = 1;
    const std::size_t n = s.size();
    if (n == 0) {
      if (eof) return Parse::blank_line;
      return Parse::need_more;
    }
    if (s[0] == '\n' || s[0] == '\r') {
      if (s[0] == '\r' && n == 1 && !eof) return Parse::need_more;
      consumed = (s[0] == '\r' && n > 1 && s[1] == '\n') ? 2 : 1;
      return Parse::blank_line;
    }
    return Parse::field;
  }

  // The record's fields from the one at s[i] on, then its end.
  [[gnu::always_inline]] inline Parse fields(std::string_view s, bool eof, std::size_t i,
                                             std::size_t& consumed) {
    const std::size_t n = s.size();
    while (true) {
      const Parse p = i < n && s[i] == '"' ? quoted_field(s, eof, i, i + 1, false, i)
                                           : unquoted_field(s, eof, i, i, i);
      if (p != Parse::field) [[unlikely]] return p;
      if (i < n && s[i] == delimiter_) {
        ++i;
        continue;
      }
      break;
    }
    return record_end(s, eof, i, consumed);
  }

  // The record ends at s[i] (a line ending or the end of the input).
  [[gnu::always_inline]] inline Parse record_end(std::string_view s, bool eof, std::size_t i,
                                                 std::size_t& consumed) {
    const std::size_t n = s.size();
    record_raw_ = s.substr(0, i);
    if (i < n && s[i] == '\r') {
      if (i + 1 == n && !eof) return stop(Resume::At::line_end, i, i, false);
      consumed = (i + 1 < n && s[i + 1] == '\n') ? i + 2 : i + 1;
    } else if (i < n) {
      consumed = i + 1;
    } else {
      consumed = i;
    }
    if (record_raw_.size() > UINT32_MAX) {
      pending_error_ = Error(Location{name_, line_, 0, {}}, "record longer than 4 GiB");
      return Parse::error;
    }
    return Parse::record;
  }

  // Where parse() stopped inside a record: the field (or line ending) it was in.
  struct Resume {
    enum class At : std::uint8_t { none, field_start, quoted, unquoted, line_end };
    At at = At::none;
    std::size_t field = 0;  // the field's first byte (its opening quote), or the line ending
    std::size_t scan = 0;   // where its scan goes on
    bool escaped = false;   // quoted: a doubled quote was seen before `scan`
  };

  Parse stop(Resume::At at, std::size_t field, std::size_t scan, bool escaped) noexcept {
    resume_ = Resume{at, field, scan, escaped};
    return Parse::need_more;
  }

  // The quoted field whose opening quote is s[open], its closing quote searched from
  // `from` (`escaped`: a doubled quote came before). Parse::field with the span
  // added and `i` after the closing quote.
  [[gnu::always_inline]] inline Parse quoted_field(std::string_view s, bool eof, std::size_t open,
                                                   std::size_t from, bool escaped, std::size_t& i) {
    const std::size_t n = s.size();
    Span span;
    span.at = static_cast<std::uint32_t>(open);
    const std::size_t content = open + 1;
    i = from;
    std::size_t close;
    while (true) {
      const void* q = std::memchr(s.data() + i, '"', n - i);
      if (q == nullptr) {
        if (!eof) return stop(Resume::At::quoted, open, n, escaped);
        pending_error_ = Error(locate(name_, line_, s.substr(0, n), open),
                               "unterminated quoted field: the quote opened here is never closed");
        return Parse::error;
      }
      const std::size_t j = static_cast<std::size_t>(static_cast<const char*>(q) - s.data());
      if (j + 1 == n && !eof) return stop(Resume::At::quoted, open, j, escaped);
      if (j + 1 < n && s[j + 1] == '"') {
        escaped = true;
        i = j + 2;
        continue;
      }
      close = j;
      i = j + 1;
      break;
    }
    for (std::size_t k = content; k < close; ++k) {
      if (s[k] == '\n' || (s[k] == '\r' && (k + 1 >= close || s[k + 1] != '\n'))) ++lines_in_record_;
    }
    if (escaped) {
      span.escaped = true;
      span.begin = static_cast<std::uint32_t>(scratch_.size());
      for (std::size_t k = content; k < close; ++k) {
        scratch_ += s[k];
        if (s[k] == '"') ++k;  // "" → "
      }
      span.size = static_cast<std::uint32_t>(scratch_.size() - span.begin);
    } else {
      span.begin = static_cast<std::uint32_t>(content);
      span.size = static_cast<std::uint32_t>(close - content);
    }
    if (i < n && s[i] != delimiter_ && s[i] != '\n' && s[i] != '\r') {
      pending_error_ = Error(locate(name_, line_, s.substr(0, n), i),
                             std::string("expected a delimiter or the end of the line after a "
                                         "closing quote, got '") + s[i] + "'");
      return Parse::error;
    }
    spans_.push_back(span);
    return Parse::field;
  }

  // The unquoted field starting at s[at], known to hold no delimiter or line break
  // before `from`. Parse::field with the span added and `i` at its end.
  [[gnu::always_inline]] inline Parse unquoted_field(std::string_view s, bool eof, std::size_t at,
                                                     std::size_t from, std::size_t& i) {
    const std::size_t n = s.size();
    i = unquoted_end(s, from, delimiter_);
    if (i == n && !eof) {
      // Nothing of the field read yet: it may still turn out to be quoted.
      return at == n ? stop(Resume::At::field_start, at, at, false)
                     : stop(Resume::At::unquoted, at, n, false);
    }
    Span span;
    span.at = static_cast<std::uint32_t>(at);
    span.begin = span.at;
    span.size = static_cast<std::uint32_t>(i - at);
    spans_.push_back(span);
    return Parse::field;
  }

  ByteSource source_;
  char delimiter_;
  ReaderOptions options_;
  std::vector<std::string> header_;
  std::unordered_map<std::string, int> index_;  // header name → column
  std::vector<Binding> bound_;
  std::vector<Span> spans_;
  std::string scratch_;
  std::string_view record_raw_;
  std::size_t record_line_ = 0;
  std::size_t line_ = 1;
  std::size_t lines_in_record_ = 1;
  Resume resume_;
  Error pending_error_;
};

}  // namespace

Expected<std::unique_ptr<RecordReader>> make_delimited_reader(ByteSource source, Format format,
                                                              char delimiter,
                                                              const ReaderOptions& options) {
  auto reader = std::make_unique<DelimitedReader>(std::move(source), format, delimiter, options);
  if (Status st = reader->read_header(); !st) return std::move(st).error();
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace kpi::io
