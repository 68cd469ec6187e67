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

#include "readers.hpp"

namespace kpi::io {
namespace {

struct Span {
  std::uint32_t begin = 0;   // offset into the record (or into scratch when escaped)
  std::uint32_t size = 0;
  std::uint32_t at = 0;      // offset of the field's first byte within the record
  bool escaped = false;      // text lives in scratch_
};

enum class Parse { record, need_more, blank_line, error };

// The end of an unquoted field starting at i: the first delimiter, '\n' or '\r'
// (s.size() if none), tested 8 bytes per step: a byte-by-byte loop with three
// compares was most of the time spent splitting lines.
std::size_t unquoted_end(std::string_view s, std::size_t i, char delimiter) noexcept {
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
      const std::string_view window = source_.window();
      std::size_t consumed = 0;
      const Parse p = parse(window, source_.eof(), consumed);
      if (p == Parse::need_more) {
        auto more = source_.fill();
        if (!more) return std::move(more).error();
        continue;  // at EOF parse() now sees eof() and finishes the record
      }
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
    std::size_t i = 0;
    while (true) {
      Span span;
      span.at = static_cast<std::uint32_t>(i);
      if (i < n && s[i] == '"') {
        const std::size_t open = i;
        ++i;
        const std::size_t content = i;
        bool escaped = false;
        std::size_t close;
        while (true) {
          const void* q = std::memchr(s.data() + i, '"', n - i);
          if (q == nullptr) {
            if (!eof) return Parse::need_more;
            pending_error_ = Error(locate(name_, line_, s.substr(0, n), open),
                                   "unterminated quoted field: the quote opened here is never closed");
            return Parse::error;
          }
          const std::size_t j = static_cast<std::size_t>(static_cast<const char*>(q) - s.data());
          if (j + 1 == n && !eof) return Parse::need_more;
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
      } else {
        i = unquoted_end(s, i, delimiter_);
        if (i == n && !eof) return Parse::need_more;
        span.begin = span.at;
        span.size = static_cast<std::uint32_t>(i - span.at);
      }
      spans_.push_back(span);
      if (i < n && s[i] == delimiter_) {
        ++i;
        continue;
      }
      break;
    }
    record_raw_ = s.substr(0, i);
    if (i < n && s[i] == '\r') {
      if (i + 1 == n && !eof) return Parse::need_more;
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
