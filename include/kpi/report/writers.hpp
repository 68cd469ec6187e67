// kpi/report/writers.hpp — results → table, json, csv, tsv, ndjson, markdown.
//
// The machine formats follow CLI.md "Output" exactly: numbers at full precision
// (shortest text that reads back to the same double), null for undefined values,
// `dims` only when there are dimensions. The human formats (table, markdown) put
// metrics in rows and periods in columns, one block per combination of
// dimensions, with values rounded for reading and `—` for no value.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "kpi/registry.hpp"
#include "kpi/result.hpp"

namespace kpi::report {

enum class Format { table, json, csv, tsv, ndjson, markdown };

std::optional<Format> parse_format(std::string_view name) noexcept;

/// Writes `results` in `format`. Warnings are not written (the CLI prints them on
/// stderr) except inside the JSON envelope.
void write(std::ostream& out, const ResultSet& results, Format format);

/// The metric catalog as a Markdown table (id, unit, formula, description): what
/// `kpi list -f markdown` prints and what README.md embeds (a test keeps them equal).
std::string catalog_markdown();

/// Shortest decimal text that reads back as `value` ("4.2", "100", "1e+21").
std::string machine_number(double value);
/// A value for people, by unit: "4.2%", "12,345.67", "1,234", "2h 03m", "3.1x".
std::string human_number(double value, Unit unit);
/// JSON string literal with escapes, quotes included.
std::string json_string(std::string_view text);

}  // namespace kpi::report
