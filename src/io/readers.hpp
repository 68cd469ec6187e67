// readers.hpp — constructors of the concrete readers and shared text helpers (internal).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "byte_source.hpp"
#include "kpi/io/reader.hpp"

namespace kpi::io {

Expected<std::unique_ptr<RecordReader>> make_delimited_reader(ByteSource source, Format format,
                                                              char delimiter,
                                                              const ReaderOptions& options);
Expected<std::unique_ptr<RecordReader>> make_json_reader(ByteSource source, Format format,
                                                         const ReaderOptions& options);

/// The size of the regular file open as `fd` (0 if fstat fails).
std::uint64_t file_size(int fd) noexcept;

/// Offset of the first byte that is not part of valid UTF-8 (or is NUL), or npos.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

/// Where a byte offset of a record's raw text lies: its line, 1-based character
/// column and the physical line's text.
Location locate(std::string_view file, std::size_t first_line, std::string_view raw,
                std::size_t offset, std::string_view prefix = {});

/// Resolves canonical names to input names: `--map CANON=SOURCE` gives SOURCE.
std::string_view source_of(const ReaderOptions& options, std::string_view canonical) noexcept;
/// The --default for `canonical`, if any.
const std::string* default_of(const ReaderOptions& options, std::string_view canonical) noexcept;

/// The canonical column list: input names with their --map renames, then --default names.
std::vector<std::string> canonical_columns(const std::vector<std::string>& input_names,
                                           const ReaderOptions& options, bool keep_unmatched_maps);

}  // namespace kpi::io
