// kpi/io/values.hpp — strict parsing of field text into numbers and booleans.
//
// Shared by every record kind so that "12", "1e3" and "-0" mean the same thing
// everywhere and "1,5", "0x10", "NaN", "inf", "1e309" are rejected everywhere
// (never silently coerced). Leading and trailing ASCII spaces are ignored.
#pragma once

#include <optional>
#include <string_view>

namespace kpi::io {

/// A finite decimal number (optional '-', digits, optional fraction and exponent);
/// nullopt for anything else, including overflow to infinity. -0 reads as 0.
std::optional<double> parse_number(std::string_view text) noexcept;

/// A whole number written as one ("12", "12.0", "1e2"); nullopt otherwise.
std::optional<long long> parse_integer(std::string_view text) noexcept;

/// true/false, 1/0, yes/no, y/n, t/f (case-insensitive); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text) noexcept;

/// The text without leading and trailing ASCII spaces and tabs.
std::string_view trim(std::string_view text) noexcept;

}  // namespace kpi::io
