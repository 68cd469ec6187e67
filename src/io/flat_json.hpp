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

/// What the keys at each member position of the last lines were bound to. The
/// lines of one export repeat their keys in one order, so a key is compared
/// with the one last met at its position before it is looked up among the
/// bound keys (most of an NDJSON row's lookups). A reader keeps one per
/// binding; a new one remembers nothing.
struct FlatKeyMemo {
  static constexpr std::size_t kPositions = 8;  ///< the first members of a line
  struct Entry {
    std::size_t size = 0;  ///< 0: nothing remembered (keys of 1 to 16 bytes are)
    char bytes[16] = {};
    unsigned slots = 0;    ///< bit k: bound to keys[k]
  };
  Entry at[kPositions];
};

namespace detail {

/// For tests only: the two roads split_flat_object takes. `general` reads any line;
/// `plain` reads only objects of printable ASCII without '\\' (16 to 512 bytes,
/// x86-64) and gives std::nullopt for any other. Where both read a line, they must
/// agree exactly, declines included.
enum class FlatRoad { general, plain };

/// split_flat_object on one road alone (lines without an object give their
/// outcome on either road).
std::optional<FlatRow> split_flat_object_on(FlatRoad road, std::string_view line,
                                            std::span<const std::string_view> keys, std::span<std::string_view> out,
                                            std::string& scratch, FlatKeyMemo* memo = nullptr);

}  // namespace detail

}  // namespace kpi::io
