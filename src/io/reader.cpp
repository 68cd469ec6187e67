// Format detection, opening, and the parts of Record shared by every reader.
#include "kpi/io/reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "readers.hpp"

namespace kpi::io {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<Format> format_from_extension(std::string_view path) noexcept {
  if (ends_with(path, ".csv")) return Format::csv;
  if (ends_with(path, ".tsv") || ends_with(path, ".tab")) return Format::tsv;
  if (ends_with(path, ".ndjson") || ends_with(path, ".jsonl")) return Format::ndjson;
  if (ends_with(path, ".json")) return Format::json;
  return std::nullopt;
}

// Guesses the format of input without a telling extension from its first bytes.
Format sniff(std::string_view head) noexcept {
  std::size_t i = 0;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
  if (i < head.size() && (head[i] == '{' || head[i] == '[')) return Format::json;
  const std::string_view first_line = head.substr(0, head.find('\n'));
  const bool tabs = first_line.find('\t') != std::string_view::npos;
  const bool commas = first_line.find(',') != std::string_view::npos;
  return tabs && !commas ? Format::tsv : Format::csv;
}

// Escapes a found value for a message: quotes and control characters shown, long values cut.
std::string quote_found(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "\"";
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "csv") return Format::csv;
  if (name == "tsv") return Format::tsv;
  if (name == "json") return Format::json;
  if (name == "ndjson" || name == "jsonl") return Format::ndjson;
  return std::nullopt;
}

std::string_view format_name(Format f) noexcept {
  switch (f) {
    case Format::csv: return "csv";
    case Format::tsv: return "tsv";
    case Format::json: return "json";
    case Format::ndjson: return "ndjson";
  }
  return "";
}

bool RecordReader::has_column(std::string_view canonical) const noexcept {
  return std::find(columns_.begin(), columns_.end(), canonical) != columns_.end();
}

Expected<std::unique_ptr<RecordReader>> RecordReader::open(const std::string& path,
                                                           const ReaderOptions& options) {
  if (ends_with(path, ".gz") || ends_with(path, ".zst") || ends_with(path, ".bz2")) {
    return Error(Location{path, 0, 0, {}},
                 "compressed input is not read directly; decompress it into a pipe, e.g. "
                 "'gzip -dc " + path + " | kpi compute -'");
  }
  auto source = ByteSource::open(path);
  if (!source) return std::move(source).error();
  std::optional<Format> format = options.format;
  if (!format) format = format_from_extension(path);
  if (!format) format = sniff(source->window());
  if (*format == Format::csv || *format == Format::tsv) {
    const char delimiter = options.delimiter.value_or(*format == Format::tsv ? '\t' : ',');
    return make_delimited_reader(std::move(*source), *format, delimiter, options);
  }
  return make_json_reader(std::move(*source), *format, options);
}

Location locate(std::string_view file, std::size_t first_line, std::string_view raw,
                std::size_t offset, std::string_view prefix) {
  offset = std::min(offset, raw.size());
  if (!prefix.empty()) {
    // The record starts mid-line: measure columns from the physical line's start.
    std::string joined(prefix);
    joined.append(raw);
    return locate(file, first_line, joined, offset + prefix.size());
  }
  std::size_t line = first_line;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 >= raw.size() || raw[i + 1] != '\n'))) {
      ++line;
      line_start = i + 1;
    }
  }
  std::size_t line_end = line_start;
  while (line_end < raw.size() && raw[line_end] != '\n' && raw[line_end] != '\r') ++line_end;
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(raw[i]) & 0xC0) != 0x80) ++column;
  }
  return Location{std::string(file), line, column, std::string(raw.substr(line_start, line_end - line_start))};
}

Location Record::where(std::size_t slot) const {
  if (slot >= fields.size() || !fields[slot].present || fields[slot].defaulted) {
    return locate(file, line, raw, 0, prefix);
  }
  return locate(file, line, raw, fields[slot].offset, prefix);
}

Error Record::error(std::size_t slot, std::string_view name, std::string_view expected) const {
  std::string found;
  if (slot < fields.size() && !fields[slot].scalar) {
    found = "a JSON object or array";
  } else if (slot < fields.size() && fields[slot].present) {
    found = quote_found(fields[slot].text);
  } else {
    found = "no value (the column is missing)";
  }
  Location at = where(slot);
  if (slot >= fields.size() || !fields[slot].present) at.column = 0;
  return Error(std::move(at), "column '" + std::string(name) + "': expected " +
                                  std::string(expected) + ", got " + found);
}

std::uint64_t file_size(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

std::size_t find_invalid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII, non-NUL bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t block;
      std::memcpy(&block, s + i, 8);
      const bool ascii = (block & 0x8080808080808080ULL) == 0;
      const bool has_zero = ((block - 0x0101010101010101ULL) & ~block & 0x8080808080808080ULL) != 0;
      if (ascii && !has_zero) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t min;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1FU;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0FU;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07U;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string_view source_of(const ReaderOptions& options, std::string_view canonical) noexcept {
  for (const auto& [canon, source] : options.map) {
    if (canon == canonical) return source;
  }
  return canonical;
}

const std::string* default_of(const ReaderOptions& options, std::string_view canonical) noexcept {
  for (const auto& [canon, value] : options.defaults) {
    if (canon == canonical) return &value;
  }
  return nullptr;
}

std::vector<std::string> canonical_columns(const std::vector<std::string>& input_names,
                                           const ReaderOptions& options, bool keep_unmatched_maps) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;  // hashed: linear in the number of columns
  auto add = [&](const std::string& name) {
    if (seen.insert(name).second) out.push_back(name);
  };
  for (const auto& name : input_names) {
    bool renamed = false;
    for (const auto& [canon, source] : options.map) {
      if (source == name) {
        add(canon);
        renamed = true;
      }
    }
    if (!renamed) add(name);
  }
  if (keep_unmatched_maps) {
    for (const auto& [canon, source] : options.map) add(canon);
  }
  for (const auto& [canon, value] : options.defaults) add(canon);
  return out;
}

}  // namespace kpi::io
