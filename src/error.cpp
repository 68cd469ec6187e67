// Rendering of located errors: "file:line:col: message", the offending line and a caret.
#include "kpi/error.hpp"

#include <string_view>

namespace kpi {
namespace {

// Longest source line shown in full; longer lines are cut to a window around the caret.
constexpr std::size_t kMaxShownLine = 160;
constexpr std::size_t kContext = 60;

bool is_continuation_byte(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Makes the line printable: control characters (other than tab) become '?', so a
// stray NUL or escape code cannot mangle the terminal. Byte positions are kept.
std::string printable(std::string_view line) {
  std::string out(line);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) c = '?';
  }
  return out;
}

// Caret line for byte position `byte` (0-based) of `line`: tabs are copied so the caret
// lines up, and a multi-byte UTF-8 character counts as one column.
std::string caret_line(std::string_view line, std::size_t byte) {
  std::string pad;
  for (std::size_t i = 0; i < byte && i < line.size(); ++i) {
    if (line[i] == '\t') {
      pad += '\t';
    } else if (!is_continuation_byte(line[i])) {
      pad += ' ';
    }
  }
  return pad + '^';
}

}  // namespace

std::string Error::render() const {
  std::string out;
  if (!where_.file.empty()) {
    out += where_.file;
    if (where_.line > 0) {
      out += ':' + std::to_string(where_.line);
      if (where_.column > 0) out += ':' + std::to_string(where_.column);
    }
    out += ": ";
  }
  out += message_;
  if (where_.line == 0 || where_.source_line.empty()) return out;

  // `column` counts characters; find its byte position for the caret.
  std::string_view line = where_.source_line;
  std::size_t byte = 0;
  for (std::size_t col = 1; byte < line.size() && col < where_.column; ++col) {
    ++byte;
    while (byte < line.size() && is_continuation_byte(line[byte])) ++byte;
  }
  std::string prefix;
  if (line.size() > kMaxShownLine) {
    std::size_t start = byte > kContext ? byte - kContext : 0;
    while (start > 0 && start < line.size() && is_continuation_byte(line[start])) --start;
    std::size_t stop = start + 2 * kContext;
    while (stop < line.size() && is_continuation_byte(line[stop])) ++stop;
    const bool cut_end = stop < line.size();
    line = line.substr(start, stop - start);
    byte -= start;
    if (start > 0) prefix = "...";
    out += "\n  " + prefix + printable(line) + (cut_end ? "..." : "");
  } else {
    out += "\n  " + printable(line);
  }
  out += "\n  " + std::string(prefix.size(), ' ') + caret_line(line, byte);
  return out;
}

}  // namespace kpi
