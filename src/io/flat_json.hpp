// flat_json.hpp — a strict one-pass reader of one NDJSON line holding a flat object (internal).
//
// The bulk path reads NDJSON on several threads, line by line, and needs only the
// few bound top-level keys of each line. split_flat_object gives exactly the texts
// the JSON reader (json_reader.cpp) would give for those keys, or declines the
// line: nested values, duplicate bound keys, \u0000, lone '\r', anything malformed
// or unusual. A decline costs nothing but speed (the caller then reads the whole
// file with the JSON reader, which reports errors precisely), so every doubt
// declines; a row is only ever returned for a line the JSON reader reads the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kpi::io {

enum class FlatRow { row, blank, decline };

/// One NDJSON line (without its '\n'; may end in '\r') read as a flat JSON object.
/// keys[slot] is the top-level key bound to that slot (an empty view: nothing bound).
/// On FlatRow::row, out[slot] is the slot's text exactly as the JSON reader's Field::text
/// would be: strings unescaped, numbers as their literal, true/false as "true"/"false",
/// null and absent keys as "". FlatRow::blank for a line the NDJSON reader skips as blank.
/// FlatRow::decline for anything else: nested object/array values (anywhere in the line),
/// duplicate keys, invalid JSON or UTF-8, NUL, trailing garbage, ... — anything where the
/// JSON reader would report an error or behave differently.
/// REQUIRES: out.size() == keys.size(). Views in `out` point into `line` or `scratch`
/// and stay valid until the next call with the same scratch. `memo` (may be null):
/// see FlatKeyMemo; REQUIRES the same `keys` at every call with one memo.
struct FlatKeyMemo;
FlatRow split_flat_object(std::string_view line, std::span<const std::string_view> keys,
                          std::span<std::string_view> out, std::string& scratch, FlatKeyMemo* memo = nullptr);

/// What the last lines looked like, for the next one. The lines of one export
/// repeat their keys in one order, and most repeat every byte but the values'
/// too. A reader keeps one per binding; a new one remembers nothing.
struct FlatKeyMemo {
  /// What the key at each member position was bound to: a key is compared with
  /// the one last met at its position before it is looked up among the bound keys.
  static constexpr std::size_t kPositions = 8;  ///< the first members of a line
  struct Entry {
    std::size_t size = 0;  ///< 0: nothing remembered (keys of 1 to 16 bytes are)
    char bytes[16] = {};
    unsigned slots = 0;    ///< bit k: bound to keys[k]
  };
  Entry at[kPositions];

  /// A line read on the plain road, less its values: the bytes before,
  /// between and after them (literal k before value k; the last, after the last
  /// value, is the suffix), whether each value is a string, and the slots each
  /// value goes to. A line of the same bytes but for the values, each value a
  /// string without escapes or control bytes (and valid UTF-8) or a valid scalar
  /// where the shape has one, is the same object but for those values: its
  /// slots come without looking at a key.
  struct Shape {
    static constexpr std::size_t kMaxMembers = 8;
    static constexpr std::size_t kMaxBytes = 256;  ///< all literals together
    struct Member {
      std::uint16_t literal_from = 0, literal_size = 0;  ///< the literal before the value, in bytes
      std::uint16_t literal_ignore = 0;  ///< the bits past the literal in its last 16 bytes, compared at once
      bool string_value = false;
      unsigned slots = 0;  ///< bit k: keys[k]
    };
    std::size_t members = 0;  ///< 0: no shape
    Member member[kMaxMembers];
    std::uint16_t suffix_from = 0, suffix_size = 0;  ///< the literal after the last value
    unsigned unbound = 0;    ///< the slots no member binds (absent)
    std::uint32_t hits = 0;  ///< lines read in this shape (up to the maximum)
    /// For split_shaped_line: every value a string, a slot at most per value.
    bool whole_line = false;
    std::uint16_t suffix_ignore = 0;  ///< as literal_ignore, for the suffix and '\n'
    char bytes[kMaxBytes + 16] = {};  ///< (16 bytes more: literals are compared 16 bytes at a time)
  };
  /// The shapes of the last lines, the most used first: an export's events may
  /// differ in the keys they have. A line of a new shape takes the last place.
  static constexpr std::size_t kShapes = 4;
  Shape shapes[kShapes];
};

/// The bulk path's shortest road: the line at `p` (`size` bytes to the end of the
/// data) read in one of the memo's shapes (see FlatKeyMemo::Shape::whole_line),
/// with its end found on the way. Returns the line's length n (p[n] is its '\n',
/// and n < size), with `out` as split_flat_object would set it for that line; or
/// kNoShapedLine, with `out` unspecified, for a line to read the usual way.
/// REQUIRES: 16 bytes after p + size may be loaded; `memo` as for split_flat_object.
inline constexpr std::size_t kNoShapedLine = static_cast<std::size_t>(-1);
std::size_t split_shaped_line(const char* p, std::size_t size, std::span<std::string_view> out,
                              FlatKeyMemo& memo) noexcept;

namespace detail {

/// For tests only: the two roads split_flat_object takes. `general` reads any line;
/// `plain` reads only objects of printable ASCII without '\\' (16 to 512 bytes,
/// x86-64) and gives std::nullopt for any other. Where both read a line, they must
/// agree exactly, declines included. `shaped` reads only lines of one of the
/// memo's shapes, as rows, and learns none (std::nullopt for any other line).
enum class FlatRoad { general, plain, shaped };

/// split_flat_object on one road alone (lines without an object give their
/// outcome on either road).
std::optional<FlatRow> split_flat_object_on(FlatRoad road, std::string_view line,
                                            std::span<const std::string_view> keys, std::span<std::string_view> out,
                                            std::string& scratch, FlatKeyMemo* memo = nullptr);

}  // namespace detail

}  // namespace kpi::io
