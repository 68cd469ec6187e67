// split_flat_object (src/io/flat_json.hpp): a table of lines with the outcome and
// texts worked out by hand, then a differential test against the JSON reader on
// generated lines, valid, tricky and broken: every line the flat parser takes as
// a row (or blank) must read the same through RecordReader.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../src/io/flat_json.hpp"
#include "kpi/io/reader.hpp"
#include "temp_file.hpp"

namespace {

using kpi::io::FlatRow;
using kpi::io::split_flat_object;
using namespace std::string_literals;

const char* outcome_name(FlatRow r) {
  switch (r) {
    case FlatRow::row: return "row";
    case FlatRow::blank: return "blank";
    case FlatRow::decline: return "decline";
  }
  return "?";
}

// The line with control and non-ASCII bytes shown as \xNN, for failure messages.
std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '\\') {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// Splits `line` with `keys`, returning the outcome and (for a row) copies of the texts.
struct Split {
  FlatRow outcome = FlatRow::decline;
  std::vector<std::string> texts;
};

Split split(std::string_view line, const std::vector<std::string_view>& keys, std::string& scratch) {
  std::vector<std::string_view> out(keys.size(), "stale");
  Split s;
  s.outcome = split_flat_object(line, keys, out, scratch);
  if (s.outcome == FlatRow::row) s.texts.assign(out.begin(), out.end());
  return s;
}

const std::vector<std::string_view> kEventKeys = {"user_id", "timestamp", "event", "session_id", "value"};

struct Case {
  std::string line;
  FlatRow outcome;
  std::vector<std::string> texts;  // for a row: per key of kEventKeys
};

}  // namespace

TEST_CASE("flat_json: rows, blanks and declines, by hand", "[flat_json]") {
  const FlatRow row = FlatRow::row, blank = FlatRow::blank, no = FlatRow::decline;
  const std::vector<Case> cases = {
      // The common line: every value a view into the line, the number by its literal.
      {R"({"user_id":"u4127","timestamp":"2025-03-04T12:34:56Z","event":"purchase","session_id":"8b6b8afcf863150f","value":29.00})",
       row, {"u4127", "2025-03-04T12:34:56Z", "purchase", "8b6b8afcf863150f", "29.00"}},
      // Any key order, unbound keys skipped, absent keys blank; CRLF's '\r' ends the line.
      {"{\"event\":\"view\",\"other\":1,\"user_id\":\"u1\"}\r", row, {"u1", "", "view", "", ""}},
      {"{}", row, {"", "", "", "", ""}},
      {"{ }\r", row, {"", "", "", "", ""}},
      // White space: ' ' and '\t' around every token, before and after the object.
      {" \t{ \"event\" :\t\"a b\" , \"value\" : -1.5e-3 } \t", row, {"", "", "a b", "", "-1.5e-3"}},
      {"{\"event\":\"x\"} \r", row, {"", "", "x", "", ""}},
      // null is blank; true/false by name; numbers by their literal.
      {R"({"user_id":null,"event":true,"session_id":false,"value":-0})", row, {"", "", "true", "false", "-0"}},
      {R"({"value":1E+05})", row, {"", "", "", "", "1E+05"}},
      {R"({"value":0.0})", row, {"", "", "", "", "0.0"}},
      {R"({"value":123456789012345678901234567890})", row, {"", "", "", "", "123456789012345678901234567890"}},
      {R"({"value":""})", row, {"", "", "", "", ""}},
      // Escapes: \" \\ \/ \b \f \n \r \t, \u with a surrogate pair (U+1F600 is F0 9F 98 80).
      {R"({"event":"a\"b\\c\/d\be\ff\ng\rh\ti"})", row, {"", "", "a\"b\\c/d\be\ff\ng\rh\ti", "", ""}},
      {R"({"event":"caf\u00e9 \u20AC \ud83d\ude00 \u0041"})", row,
       {"", "", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 A", "", ""}},
      {R"({"event":"\u001f"})", row, {"", "", "\x1f", "", ""}},
      // Raw UTF-8 (é, 😀) is kept as is.
      {"{\"event\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}", row, {"", "", "caf\xC3\xA9 \xF0\x9F\x98\x80", "", ""}},
      // An escaped key is the key it spells.
      {R"({"\u0065vent":"e","us\u0065r_id":"u"})", row, {"u", "", "e", "", ""}},
      // A key that is not bound may repeat, as in the JSON reader (it only checks bound keys).
      {R"({"other":1,"other":2,"event":"e"})", row, {"", "", "e", "", ""}},
      // A key differing by case or a space is another key.
      {R"({"Event":"x","event ":"y"})", row, {"", "", "", "", ""}},

      // The object's '}' ends the line (but for white space and a final '\r'): found
      // first, it bounds every scan; a '}' in a string, or a string running into it.
      {R"({"event":"}"})", row, {"", "", "}", "", ""}},
      {R"({"event":"a}"})", row, {"", "", "a}", "", ""}},
      {R"({"event":"x\\"})", row, {"", "", "x\\", "", ""}},
      {"{\"event\":\"x\"}\t \r", row, {"", "", "x", "", ""}},
      {R"({"event":"a})", no, {}},
      {R"({"event":"x\"})", no, {}},
      {R"({"event":"x"})" "\r ", no, {}},
      {R"({"value":12x})", no, {}},
      {R"({"value":1,})", no, {}},
      {R"({"value":1}})", no, {}},
      {R"({"value":1} })", no, {}},
      {R"({"event":"x"} {})", no, {}},
      {R"({"event":nul})", no, {}},
      // Lines under 16 bytes (scanned 8 bytes at a time, not 16).
      {R"({"value":1})", row, {"", "", "", "", "1"}},
      {R"({"event":""})", row, {"", "", "", "", ""}},
      {R"({"event":"\n"})", row, {"", "", "\n", "", ""}},
      {R"({"event":null})", row, {"", "", "", "", ""}},
      {R"({"event":true})", row, {"", "", "true", "", ""}},
      {"{\"event\":\"\xC3\xA9\"}", row, {"", "", "\xC3\xA9", "", ""}},
      {"{\"a\":\"\xC3\"}", no, {}},
      {"{\"a\":\"\x01\"}", no, {}},
      {R"({"event":"x")", no, {}},
      {R"({"event":"x})", no, {}},
      {R"({"a":"\u0000"})", no, {}},

      // Blank lines: only ' ', '\t' and a final '\r'.
      {"", blank, {}},
      {"   ", blank, {}},
      {"\t \r", blank, {}},
      {"\r", blank, {}},
      // A lone '\r' is a line break to the JSON reader: the lines would be numbered differently.
      {"\r\r", no, {}},
      {" \r ", no, {}},
      {"\r{\"event\":\"x\"}", no, {}},
      {"{\"event\":\r\"x\"}", no, {}},
      {"{\"event\":\"x\"}\r\r", no, {}},
      {"{\"event\":\"x\"}\r{\"event\":\"y\"}", no, {}},
      // Two objects, or anything else after the object.
      {R"({"event":"x"}{"event":"y"})", no, {}},
      {R"({"event":"x"} {"event":"y"})", no, {}},
      {R"({"event":"x"},)", no, {}},
      {R"({"event":"x"} x)", no, {}},
      {R"({"event":"x"}})", no, {}},
      // Not an object, or not a whole one (an object may span lines in the JSON reader).
      {R"(["x"])", no, {}},
      {R"("x")", no, {}},
      {"{", no, {}},
      {R"({"event":"x")", no, {}},
      {R"({"event":)", no, {}},
      {"\xEF\xBB\xBF{\"event\":\"x\"}", no, {}},  // a BOM is the caller's to strip
      // Nested values anywhere, bound or not.
      {R"({"event":{"a":1}})", no, {}},
      {R"({"other":{}})", no, {}},
      {R"({"other":[]})", no, {}},
      {R"({"event":"x","other":[1,2]})", no, {}},
      // A bound key twice: the JSON reader's "duplicate key" error.
      {R"({"event":"a","event":"b"})", no, {}},
      {R"({"event":"a","\u0065vent":"a"})", no, {}},
      {R"({"user_id":null,"user_id":"u"})", no, {}},
      // Broken syntax.
      {R"({"event":"x",})", no, {}},
      {R"({,"event":"x"})", no, {}},
      {R"({"event":"x" "value":1})", no, {}},
      {R"({"event" "x"})", no, {}},
      {R"({"event"="x"})", no, {}},
      {R"({event:"x"})", no, {}},
      {R"({'event':'x'})", no, {}},
      {R"({"event":x})", no, {}},
      {R"({"event":tru})", no, {}},
      {R"({"event":True})", no, {}},
      {R"({"event":nulll})", no, {}},
      {R"({"event":truex})", no, {}},
      // Numbers outside the JSON grammar.
      {R"({"value":01})", no, {}},
      {R"({"value":-01})", no, {}},
      {R"({"value":1.})", no, {}},
      {R"({"value":.5})", no, {}},
      {R"({"value":+1})", no, {}},
      {R"({"value":-})", no, {}},
      {R"({"value":1e})", no, {}},
      {R"({"value":1e+})", no, {}},
      {R"({"value":1.e3})", no, {}},
      {R"({"value":0x1F})", no, {}},
      {R"({"value":1.5.2})", no, {}},
      {R"({"value":NaN})", no, {}},
      {R"({"value":Infinity})", no, {}},
      {R"({"value":1ea})", no, {}},
      {R"({"other":00})", no, {}},
      // Strings: bad escapes, lone surrogates, \u0000, raw control bytes, bad UTF-8.
      {R"({"event":"\x"})", no, {}},
      {R"({"event":"\u12"})", no, {}},
      {R"({"event":"\uZZZZ"})", no, {}},
      {R"({"event":"\uD800"})", no, {}},
      {R"({"event":"\uD800\u0041"})", no, {}},
      {R"({"event":"\uDC00"})", no, {}},
      {R"({"event":"\u0000"})", no, {}},
      {R"({"other":"\u0000"})", no, {}},
      {"{\"event\":\"a\tb\"}", no, {}},
      {"{\"event\":\"a\x01\"}", no, {}},
      {"{\"event\":\"a\0b\"}"s, no, {}},
      {"{\"event\":\"x\"}\0"s, no, {}},
      {"{\"event\":\"\xC3\x28\"}", no, {}},          // a lead byte without its continuation
      {"{\"event\":\"\xC0\xAF\"}", no, {}},          // overlong '/'
      {"{\"event\":\"\xED\xA0\x80\"}", no, {}},      // an encoded surrogate
      {"{\"event\":\"\xF4\x90\x80\x80\"}", no, {}},  // beyond U+10FFFF
      {"{\"other\":\"\xFF\"}", no, {}},              // in an unbound value too
      {"{\"\xFF\":1}", no, {}},                      // and in a key
      {"{\"event\":\"x\xC3\"}", no, {}},             // cut short by the closing quote
  };
  std::string scratch;
  for (const Case& c : cases) {
    INFO("line: " << printable(c.line));
    const Split got = split(c.line, kEventKeys, scratch);
    CHECK(outcome_name(got.outcome) == std::string(outcome_name(c.outcome)));
    if (c.outcome == FlatRow::row && got.outcome == FlatRow::row) CHECK(got.texts == c.texts);
  }
}

TEST_CASE("flat_json: bindings", "[flat_json]") {
  std::string scratch;
  SECTION("several slots bound to one key all get its value; an empty key binds nothing") {
    const std::vector<std::string_view> keys = {"event", "", "value", "event"};
    const Split got = split(R"({"":"blank key","event":"e","value":7})", keys, scratch);
    REQUIRE(got.outcome == FlatRow::row);
    CHECK(got.texts == std::vector<std::string>{"e", "", "7", "e"});
  }
  SECTION("a bound key with a dot declines only a line that holds it") {
    const std::vector<std::string_view> keys = {"a.b", "event"};
    CHECK(split(R"({"a.b":1})", keys, scratch).outcome == FlatRow::decline);
    const Split got = split(R"({"event":"e","c.d":1})", keys, scratch);
    REQUIRE(got.outcome == FlatRow::row);
    CHECK(got.texts == std::vector<std::string>{"", "e"});
  }
  SECTION("keys are compared unescaped: a bound key with a quote or non-ASCII") {
    const std::vector<std::string_view> keys = {"q\"k", "k\xC3\xA9y"};
    Split got = split(R"({"q\"k":1,"k\u00e9y":2})", keys, scratch);
    REQUIRE(got.outcome == FlatRow::row);
    CHECK(got.texts == std::vector<std::string>{"1", "2"});
    got = split("{\"q\\u0022k\":3,\"k\xC3\xA9y\":4}", keys, scratch);
    REQUIRE(got.outcome == FlatRow::row);
    CHECK(got.texts == std::vector<std::string>{"3", "4"});
  }
  SECTION("no keys bound: the line is still checked") {
    const std::vector<std::string_view> keys;
    CHECK(split(R"({"a":1,"b":"x"})", keys, scratch).outcome == FlatRow::row);
    CHECK(split(R"({"a":1,"b":"\uD800"})", keys, scratch).outcome == FlatRow::decline);
  }
  SECTION("escaped texts stay valid next to each other in scratch; escaped keys do not clobber them") {
    // Each value is decoded into scratch; the escaped keys between them are decoded
    // there too and then dropped, so a view must not be overwritten by a later key.
    const std::vector<std::string_view> keys = {"a", "b", "c"};
    const std::string line = R"({"a":"x\ty","\u0062":"\u00e9\u00e9\u00e9","\u0063":"\"q\"","\u0064":"\u0041\u0042"})";
    std::vector<std::string_view> out(keys.size());
    scratch = "something long from an earlier call, longer than the line, still in scratch.....";
    REQUIRE(split_flat_object(line, keys, out, scratch) == FlatRow::row);
    CHECK(out[0] == "x\ty");
    CHECK(out[1] == "\xC3\xA9\xC3\xA9\xC3\xA9");
    CHECK(out[2] == "\"q\"");
  }
  SECTION("a second call clears the slots of the first") {
    const std::vector<std::string_view> keys = {"a", "b"};
    std::vector<std::string_view> out(keys.size());
    REQUIRE(split_flat_object(R"({"a":"1","b":"2"})", keys, out, scratch) == FlatRow::row);
    REQUIRE(split_flat_object(R"({"b":"3"})", keys, out, scratch) == FlatRow::row);
    CHECK(out[0].empty());
    CHECK(out[1] == "3");
  }
  SECTION("keys of every length, differing in one byte anywhere or holding a dot anywhere") {
    // Keys are compared by length and words: a difference in any byte must tell.
    for (std::size_t len = 1; len <= 40; ++len) {
      INFO("key length " << len);
      const std::string bound(len, 'k');
      const std::vector<std::string_view> keys = {bound};
      Split got = split("{\"" + bound + "\":1}", keys, scratch);
      REQUIRE(got.outcome == FlatRow::row);
      CHECK(got.texts[0] == "1");
      for (std::size_t at = 0; at < len; ++at) {
        INFO("byte " << at);
        std::string other = bound;
        other[at] = 'j';
        got = split("{\"" + other + "\":1}", keys, scratch);
        REQUIRE(got.outcome == FlatRow::row);
        CHECK(got.texts[0].empty());
        std::string dotted = bound;
        dotted[at] = '.';
        const std::vector<std::string_view> dotted_keys = {dotted};
        CHECK(split("{\"" + dotted + "\":1}", dotted_keys, scratch).outcome == FlatRow::decline);
        CHECK(split("{\"" + bound + "\":1}", dotted_keys, scratch).outcome == FlatRow::row);
      }
    }
  }
  SECTION("the key order changes from line to line, and keys come and go") {
    const std::vector<std::string_view> keys = {"user_id", "timestamp", "event", "session_id", "feature", "value"};
    std::vector<std::string> members = {R"("user_id":"u1")", R"("timestamp":"t")", R"("event":"e")",
                                        R"("session_id":"s")", R"("other":"o")"};
    const std::vector<std::string> want = {"u1", "t", "e", "s", "", ""};
    std::sort(members.begin(), members.end());
    std::size_t lines = 0;
    do {
      std::string line = "{";
      for (const std::string& m : members) line += (line.size() > 1 ? "," : "") + m;
      line += "}";
      INFO(line);
      const Split got = split(line, keys, scratch);
      REQUIRE(got.outcome == FlatRow::row);
      CHECK(got.texts == want);
      // Every other line drops the first member (and with it, perhaps, a bound key).
      const std::string shorter = "{" + line.substr(members.front().size() + 2);
      const Split fewer = split(shorter, keys, scratch);
      REQUIRE(fewer.outcome == FlatRow::row);
      for (std::size_t slot = 0; slot < keys.size(); ++slot) {
        const bool dropped = members.front().substr(1, keys[slot].size() + 1) == std::string(keys[slot]) + "\"";
        CHECK(fewer.texts[slot] == (dropped ? "" : want[slot]));
      }
      ++lines;
    } while (std::next_permutation(members.begin(), members.end()));
    CHECK(lines == 120);
  }
  SECTION("plain runs longer than 8 bytes, with the stop byte at every offset of a word") {
    const std::vector<std::string_view> keys = {"k"};
    for (std::size_t len = 0; len < 40; ++len) {
      const std::string plain(len, 'p');
      INFO("length " << len);
      Split got = split("{\"k\":\"" + plain + "\"}", keys, scratch);
      REQUIRE(got.outcome == FlatRow::row);
      CHECK(got.texts[0] == plain);
      got = split("{\"k\":\"" + plain + "\\n" + plain + "\"}", keys, scratch);
      REQUIRE(got.outcome == FlatRow::row);
      CHECK(got.texts[0] == plain + "\n" + plain);
      CHECK(split("{\"k\":\"" + plain + "\x01\"}", keys, scratch).outcome == FlatRow::decline);
      CHECK(split("{\"k\":\"" + plain + "\xC3\"}", keys, scratch).outcome == FlatRow::decline);
      CHECK(split("{\"k\":\"" + plain, keys, scratch).outcome == FlatRow::decline);
    }
  }
}

namespace {

// splitmix64: a fixed, portable sequence (the test must generate the same lines everywhere).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool percent(std::size_t p) { return below(100) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

 private:
  std::uint64_t state_;
};

// 1-3 byte edits of `s` (replace, insert, delete, truncate), each byte drawn
// from `bytes`: what both random line makers add to a share of their lines.
void mutate_bytes(Rng& rng, std::string& s, std::string_view bytes) {
  const std::size_t edits = 1 + rng.below(3);
  for (std::size_t e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t at = rng.below(s.size());
    const char b = bytes[rng.below(bytes.size())];
    switch (rng.below(4)) {
      case 0: s[at] = b; break;
      case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), b); break;
      case 2: s.erase(at, 1); break;
      default: s.resize(at); break;
    }
  }
}

// Lines of NDJSON, each built from members with some valid, tricky and broken
// parts, some then mutated byte by byte. Never a raw '\n' (the line's end).
class LineGenerator {
 public:
  explicit LineGenerator(std::uint64_t seed) : rng_(seed) {}

  std::string line() {
    if (rng_.percent(5)) return rng_.pick(blanks_);
    // A third of the lines are well formed (if perhaps odd), so that rows are many.
    clean_ = rng_.percent(33);
    std::string s;
    if (rng_.percent(10)) s += rng_.pick(leading_);
    s += '{';
    const std::size_t members = rng_.below(7);
    for (std::size_t m = 0; m < members; ++m) {
      if (m > 0 && (clean_ || !rng_.percent(2))) s += ',';
      s += ws();
      s += key();
      s += ws();
      if (clean_ || rng_.percent(98)) {
        s += ':';
      } else {
        s += rng_.percent(50) ? "=" : "";
      }
      s += ws();
      s += value();
      s += ws();
    }
    if (!clean_ && members > 0 && rng_.percent(2)) s += ',';
    if (members == 0) s += ws();
    if (clean_ || rng_.percent(99)) s += '}';
    if (rng_.percent(12)) s += rng_.pick(clean_ ? clean_trailing_ : trailing_);
    if (!clean_ && rng_.percent(8)) mutate(s);
    return s;
  }

 private:
  std::string ws() {
    if (rng_.percent(85)) return "";
    return rng_.pick(clean_ ? clean_spaces_ : spaces_);
  }

  std::string key() {
    if (!clean_ && rng_.percent(2)) return rng_.percent(50) ? "event" : "'event'";
    return "\"" + rng_.pick(keys_) + "\"";
  }

  std::string value() {
    if (clean_) {
      const std::size_t kind = rng_.below(4);
      if (kind == 0) return "\"" + plain_string() + "\"";
      if (kind == 1) return "\"" + escaped_string(false) + "\"";
      if (kind == 2) return rng_.pick(numbers_);
      return rng_.pick(words_);
    }
    const std::size_t kind = rng_.below(100);
    if (kind < 30) return "\"" + plain_string() + "\"";
    if (kind < 45) return "\"" + escaped_string(false) + "\"";
    if (kind < 52) return "\"" + escaped_string(true) + "\"";
    if (kind < 68) return rng_.pick(numbers_);
    if (kind < 73) return rng_.pick(bad_numbers_);
    if (kind < 85) return rng_.pick(words_);
    if (kind < 88) return rng_.pick(bad_words_);
    if (kind < 92) return rng_.pick(nested_);
    return rng_.pick(samples_);
  }

  // Printable ASCII without '"' and '\\', of lengths around the 8-byte scan steps.
  std::string plain_string() {
    static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789 -_:.,{}[]/#+'";
    std::string s;
    const std::size_t len = rng_.below(24);
    for (std::size_t i = 0; i < len; ++i) s += kChars[rng_.below(kChars.size())];
    return s;
  }

  // Plain runs and escapes; `broken` also mixes in pieces the JSON reader rejects.
  std::string escaped_string(bool broken) {
    std::string s;
    const std::size_t pieces = 1 + rng_.below(6);
    for (std::size_t i = 0; i < pieces; ++i) {
      const std::size_t what = rng_.below(10);
      if (what < 4) {
        s += plain_string();
      } else if (broken && what >= 8) {
        s += rng_.pick(bad_pieces_);
      } else {
        s += rng_.pick(good_pieces_);
      }
    }
    return s;
  }

  // 1-3 byte edits with bytes that matter to JSON.
  void mutate(std::string& s) {
    static constexpr std::string_view kBytes("\"\\{}[],:0-.eEu \t\r\x01\x80\xC3\xFF\xEF" "a1", 24);
    mutate_bytes(rng_, s, kBytes);
  }

  Rng rng_;
  bool clean_ = false;  // this line: no broken part, no nested value
  // Key spellings: bound keys (some escaped), near misses, unbound keys, and one
  // bound key holding a '.'.
  std::vector<std::string> keys_ = {
      "user_id", "user_id", "\\u0075ser_id", "timestamp", "event", "event", "ev\\u0065nt",
      "value", "value", "k\xC3\xA9y", "k\\u00e9y", "k\\u00E9y", "q\\\"k", "q\\u0022k",
      "other", "props", "more", "x.y", "", "Event", "user_id ", "\\u00e9", "k\xC3"};
  std::vector<std::string> good_pieces_ = {
      "\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\t", "\\r", "\\u00e9", "\\u20AC",
      "\\uD83D\\uDE00", "\\ud83d\\ude00", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
      "\\u0041", "\\u001f", "\\u007F", "\\u0800", "\\uFFFF", "\\uDBFF\\uDFFF"};
  std::vector<std::string> bad_pieces_ = {
      "\\uD800", "\\uDC00", "\\u0000", "\\x", "\\u12", "\\uZZZZ", "\t", "\x01",
      std::string(1, '\0'), "\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
      "\xFF", "\xC3", "\\uD83D\\u0041", "\\uD83Dx", "\\", "\\'", "\r"};
  std::vector<std::string> numbers_ = {
      "0", "-0", "1", "-1", "7", "29.00", "1e5", "1E+05", "-1.5e-3", "0.0", "10", "1700000000",
      "123456789012345678901234567890", "1e-0", "-0.0e+0", "0e0", "3.14159"};
  std::vector<std::string> bad_numbers_ = {
      "01", "1.", ".5", "+1", "-", "1e", "1.e3", "0x1F", "1.5.2", "NaN", "Infinity", "-01",
      "1ea", "--1", "1e+", "00", "1_000", "0.", "-.5", "1e5e5"};
  std::vector<std::string> words_ = {"true", "false", "null"};
  std::vector<std::string> bad_words_ = {"tru", "nul", "True", "NULL", "nulll", "falsey", "fals"};
  std::vector<std::string> nested_ = {
      "{}", "{\"a\":1}", "[]", "[1,2]", "[{\"x\":1}]", "{\"event\":\"x\"}", "{\"a\":{\"b\":[]}}"};
  std::vector<std::string> samples_ = {
      "\"u4127\"", "\"2025-03-04T12:34:56Z\"", "\"purchase\"", "\"8b6b8afcf863150f\"", "\"\""};
  std::vector<std::string> leading_ = {" ", "\t", "  \t", "\r", "\xEF\xBB\xBF"};
  std::vector<std::string> spaces_ = {" ", "\t", " \t ", "\r", "  "};
  std::vector<std::string> clean_spaces_ = {" ", "\t", " \t ", "  "};
  std::vector<std::string> trailing_ = {
      " ", "\t", "\r", " \r", "\t\r", "\r\r", "x", "{}", ",", " {\"a\":1}", "\r{\"a\":1}", "}", "\r "};
  std::vector<std::string> clean_trailing_ = {" ", "\t", "\r", " \r", "\t\r"};
  std::vector<std::string> blanks_ = {"", " ", "\t", "\r", " \t\r", "\r\r", " \r ", "  "};
};


}  // namespace

TEST_CASE("flat_json: every row and blank reads the same through the JSON reader", "[flat_json]") {
  constexpr std::size_t kLines = 40000;
  // Bound as the bulk path would bind them: "event" twice, a quote, non-ASCII, a dot.
  const std::vector<std::string> names = {"user_id", "timestamp", "event", "value",
                                          "k\xC3\xA9y", "q\"k", "event", "x.y"};
  const std::vector<std::string_view> keys(names.begin(), names.end());

  // The accepted lines go into one file, in order: the JSON reader must give one
  // record per row, on that line, with the same texts, and nothing for a blank.
  struct Want {
    std::string line;
    std::size_t line_no;
    std::vector<std::string> texts;
  };
  std::vector<Want> rows;
  std::string file;
  std::size_t line_no = 0, blanks = 0, declines = 0;
  LineGenerator gen(20250304);
  std::string scratch;
  for (std::size_t n = 0; n < kLines; ++n) {
    const std::string line = gen.line();
    Split got = split(line, keys, scratch);
    if (got.outcome == FlatRow::decline) {
      ++declines;
      continue;
    }
    file += line;
    file += '\n';
    ++line_no;
    if (got.outcome == FlatRow::blank) {
      ++blanks;
    } else {
      rows.push_back({line, line_no, std::move(got.texts)});
    }
  }
  INFO(rows.size() << " rows, " << blanks << " blanks, " << declines << " declined");
  // The generator reaches every outcome often (else the test checks little).
  CHECK(rows.size() > kLines / 3);
  CHECK(blanks > kLines / 50);
  CHECK(declines > kLines / 10);

  const kpi::test::TempFile temp(file, ".ndjson");
  auto reader = kpi::io::RecordReader::open(temp.path(), {});
  if (!reader) FAIL("open: " << reader.error().message());
  (*reader)->bind(names);
  kpi::io::Record record;
  for (const Want& want : rows) {
    INFO("line " << want.line_no << ": " << printable(want.line));
    auto got = (*reader)->next(record);
    if (!got) FAIL("the JSON reader says: " << got.error().message());
    REQUIRE(*got);
    REQUIRE(record.line == want.line_no);
    REQUIRE(record.fields.size() == names.size());
    for (std::size_t slot = 0; slot < names.size(); ++slot) {
      INFO("slot " << slot << " (" << printable(names[slot]) << ")");
      REQUIRE(record.fields[slot].scalar);
      REQUIRE(printable(record.fields[slot].text) == printable(want.texts[slot]));
    }
  }
  auto end = (*reader)->next(record);
  if (!end) FAIL("after the last row, the JSON reader says: " << end.error().message());
  CHECK_FALSE(*end);
}

TEST_CASE("flat_json: white space around the object changes nothing", "[flat_json]") {
  // Lines under 16 bytes are scanned 8 bytes at a time, longer ones 16 at a time
  // with the line's last 16 bytes as the tail: padding moves every line through
  // the other scan, and its strings to other offsets of a block and of the tail.
  const std::vector<std::string> names = {"user_id", "timestamp", "event", "value", "k\xC3\xA9y", "q\"k", "event"};
  const std::vector<std::string_view> keys(names.begin(), names.end());
  constexpr std::size_t kPads[] = {1, 3, 8, 15, 16, 17};
  LineGenerator gen(42);
  std::string scratch;
  for (std::size_t n = 0; n < 5000; ++n) {
    const std::string line = gen.line();
    const Split want = split(line, keys, scratch);
    for (const std::size_t pad : kPads) {
      INFO("line: " << printable(line) << ", padded by " << pad);
      const std::string front = std::string(pad, pad % 2 == 0 ? ' ' : '\t') + line;
      Split got = split(front, keys, scratch);
      REQUIRE(outcome_name(got.outcome) == std::string(outcome_name(want.outcome)));
      CHECK(got.texts == want.texts);
      // After the line, white space is only white space when no '\r' ends it.
      if (!line.empty() && line.back() == '\r') continue;
      got = split(line + std::string(pad, ' '), keys, scratch);
      REQUIRE(outcome_name(got.outcome) == std::string(outcome_name(want.outcome)));
      CHECK(got.texts == want.texts);
    }
  }
}

namespace {

using kpi::io::detail::FlatRoad;
using kpi::io::detail::split_flat_object_on;

#if defined(__SSE2__)
constexpr bool kPlainRoad = true;  // (x86-64)
#else
constexpr bool kPlainRoad = false;
#endif

// One road's answer for a line: nullopt where the road does not go; for a row,
// the slots as they are (data() included: a view into the line must be the
// same view on both roads, and an absent slot a null one).
struct RoadSplit {
  std::optional<FlatRow> outcome;
  std::vector<std::string_view> slots;
};

RoadSplit split_on(FlatRoad road, std::string_view line, const std::vector<std::string_view>& keys,
                   std::string& scratch, kpi::io::FlatKeyMemo* memo = nullptr) {
  std::vector<std::string_view> out(keys.size(), "stale");
  RoadSplit s;
  s.outcome = split_flat_object_on(road, line, keys, out, scratch, memo);
  if (s.outcome == FlatRow::row) s.slots = out;
  return s;
}

// Lines for the plain road and just beside it: mostly printable ASCII, keys bound
// once, twice or not at all, strings and padding across every offset of the
// 16-byte blocks and 64-byte words of the quote map, and now and then one byte
// or piece that takes the line off the plain road or makes it decline.
class PlainLineGenerator {
 public:
  explicit PlainLineGenerator(std::uint64_t seed) : rng_(seed) {}

  std::string line() {
    // Half the lines are well formed and plain (but for a bound key twice), so
    // that rows are many.
    clean_ = rng_.percent(50);
    std::string s = rng_.percent(10) ? std::string(rng_.below(20), ' ') : "";
    s += '{';
    s += ws();
    const std::size_t members = rng_.below(rng_.percent(10) ? 24 : 8);
    for (std::size_t m = 0; m < members; ++m) {
      if (m > 0) s += clean_ || rng_.percent(99) ? "," : rng_.pick(bad_separators_);
      s += ws();
      s += clean_ || rng_.percent(97) ? "\"" + rng_.pick(keys_) + "\"" : rng_.pick(bad_keys_);
      s += ws();
      s += clean_ || rng_.percent(99) ? ":" : rng_.pick(bad_separators_);
      s += ws();
      s += value();
      s += ws();
    }
    s += clean_ || rng_.percent(99) ? "}" : "";
    if (rng_.percent(10)) s += clean_ ? " \r" : rng_.pick(trailing_);
    if (!clean_ && rng_.percent(10)) mutate(s);
    return s;
  }

 private:
  std::string ws() {
    if (rng_.percent(90)) return "";
    return clean_ ? std::string(rng_.below(18), ' ') : rng_.pick(spaces_);
  }

  std::string value() {
    if (clean_) return rng_.percent(60) ? "\"" + text(rng_.percent(10) ? 130 : 40) + "\"" : rng_.pick(good_values_);
    const std::size_t kind = rng_.below(100);
    if (kind < 50) return "\"" + text(rng_.percent(10) ? 130 : 40) + "\"";
    if (kind < 70) return rng_.pick(numbers_);
    if (kind < 85) return rng_.pick(words_);
    if (kind < 90) return rng_.pick(nested_);
    return rng_.pick(odd_values_);
  }

  // Printable ASCII but '"' and '\\' (so, on its own, the plain road's).
  std::string text(std::size_t max) {
    static constexpr std::string_view kChars = "abcxyzABCXYZ0189 -_:.,{}[]/#+'~`!@$%^&*()=<>?|";
    std::string s;
    const std::size_t len = rng_.below(max);
    for (std::size_t i = 0; i < len; ++i) s += kChars[rng_.below(kChars.size())];
    return s;
  }

  // 1-3 byte edits with bytes that matter to the plain road or to JSON.
  void mutate(std::string& s) {
    static constexpr std::string_view kBytes = "\"\\{}[],:.0-e \t\r\x01\x1f\x7f\x80\xC3\xA9\xFF";
    mutate_bytes(rng_, s, kBytes);
  }

  Rng rng_;
  bool clean_ = false;  // this line: well formed and plain
  // Bound keys (several of one size; "event" bound twice; one dotted, one of 17
  // bytes, one empty) and near misses of the same sizes.
  std::vector<std::string> keys_ = {
      "user_id", "timestamp", "event", "session_id", "feature", "value", "x.y", "a_seventeen_bytes",
      "a_seventeen_byteZ", "user_iD", "evenT", "valuE", "other", "k", "", "timestamp_", "session_i", "ab",
      "a.b", "sixteen_bytes_ok", "sixteen_bytes_oK", "x y", "{k}", "[1]"};
  std::vector<std::string> bad_keys_ = {"event", "'event'", "\"event", "\"ev\\u0065nt\"", "\"k\xC3\xA9y\"", "1"};
  std::vector<std::string> bad_separators_ = {"", ";", "::", ",,", "=", " "};
  std::vector<std::string> numbers_ = {"0", "-0", "1", "-1", "29.00", "1e5", "1E+05", "-1.5e-3", "0.0",
                                       "1700000000", "123456789012345678901234567890", "01", "1.", ".5",
                                       "+1", "-", "1e", "0x1F", "1.5.2", "-01", "1e+", "00"};
  std::vector<std::string> words_ = {"true", "false", "null", "tru", "nul", "True", "nulll", "falsey"};
  std::vector<std::string> good_values_ = {"0", "-0", "1", "29.00", "1e5", "-1.5e-3", "1700000000", "true",
                                           "false", "null", "\"\""};
  std::vector<std::string> nested_ = {"{}", "[]", "{\"a\":1}", "[1,2]", "{\"event\":\"x\"}"};
  std::vector<std::string> odd_values_ = {
      "\"\"", "\"a\\\"b\"", "\"a\\\\\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\xC3\xA9\"",
      "\"\xC3\"", "\"\xF0\x9F\x98\x80\"", "\"a\tb\"", "\"a\rb\"", "\"\x7f\"", "\"", "\"a", "'a'"};
  std::vector<std::string> spaces_ = {" ", "  ", "\t", " \t", "\r", std::string(17, ' ')};
  std::vector<std::string> trailing_ = {" ", "\r", " \r", "\t", "x", "}", ",", "\r\r", " {}"};
};

}  // namespace

TEST_CASE("flat_json: the plain road agrees with the general road", "[flat_json]") {
  constexpr std::size_t kLines = 300000;
  // Bound as the bulk path might: "event" twice, several keys of one size, a
  // dotted key, a key over 16 bytes, an empty key.
  const std::vector<std::string_view> keys = {"user_id", "timestamp", "event",    "session_id",
                                              "feature", "value",     "event",    "x.y",
                                              "",        "a_seventeen_bytes", "sixteen_bytes_ok"};
  const std::vector<std::string_view> few = {"user_id", "timestamp", "event"};
  PlainLineGenerator gen(20250305);
  std::string scratch;
  kpi::io::FlatKeyMemo memo_keys, memo_few;  // one per binding, as a reader keeps
  std::size_t plain = 0, plain_rows = 0, plain_declines = 0;
  for (std::size_t n = 0; n < kLines; ++n) {
    const std::string line = gen.line();
    const bool with_few = n % 4 == 3;
    const std::vector<std::string_view>& bound = with_few ? few : keys;
    kpi::io::FlatKeyMemo& memo = with_few ? memo_few : memo_keys;
    INFO("line " << n << ": " << printable(line));
    const RoadSplit general = split_on(FlatRoad::general, line, bound, scratch);
    REQUIRE(general.outcome.has_value());
    // Every other line through the memo: the memo then meets lines it did not see.
    const RoadSplit fast = split_on(FlatRoad::plain, line, bound, scratch, n % 2 == 0 ? &memo : nullptr);
    if (fast.outcome) {
      ++plain;
      plain_rows += *fast.outcome == FlatRow::row;
      plain_declines += *fast.outcome == FlatRow::decline;
      REQUIRE(outcome_name(*fast.outcome) == std::string(outcome_name(*general.outcome)));
      REQUIRE(fast.slots.size() == general.slots.size());
      for (std::size_t slot = 0; slot < fast.slots.size(); ++slot) {
        INFO("slot " << slot);
        CHECK(fast.slots[slot].data() == general.slots[slot].data());
        CHECK(fast.slots[slot].size() == general.slots[slot].size());
      }
    }
    // And split_flat_object, whichever road it takes, as the general road.
    std::vector<std::string_view> out(bound.size(), "stale");
    const FlatRow got = split_flat_object(line, bound, out, scratch, n % 2 == 1 ? &memo : nullptr);
    REQUIRE(outcome_name(got) == std::string(outcome_name(*general.outcome)));
    if (got == FlatRow::row) {
      for (std::size_t slot = 0; slot < out.size(); ++slot) {
        INFO("slot " << slot);
        CHECK(out[slot].data() == general.slots[slot].data());
        CHECK(out[slot].size() == general.slots[slot].size());
      }
    }
  }
  INFO(plain << " lines on the plain road, " << plain_rows << " rows, " << plain_declines << " declined");
  if (kPlainRoad) {
    // The generator keeps the plain road busy with rows and declines both.
    CHECK(plain > kLines / 2);
    CHECK(plain_rows > kLines / 4);
    CHECK(plain_declines > kLines / 20);
  }
}

TEST_CASE("flat_json: the key memo follows a change of key order and of key bytes", "[flat_json]") {
  const std::vector<std::string_view> keys = {"user_id", "event", "ts"};
  kpi::io::FlatKeyMemo memo;
  std::string scratch;
  std::vector<std::string_view> out(keys.size());
  const auto row = [&](std::string_view line) {
    REQUIRE(kpi::io::split_flat_object(line, keys, out, scratch, &memo) == FlatRow::row);
    return std::vector<std::string>(out.begin(), out.end());
  };
  using Row = std::vector<std::string>;
  const std::string pad(16, ' ');  // (lines of at least 16 bytes take the plain road)
  for (int k = 0; k < 3; ++k)
    CHECK(row(R"({"user_id":"u1","event":"view","ts":"t1"})" + pad) == Row{"u1", "view", "t1"});
  // Same positions, other order: each position's key changes.
  CHECK(row(R"({"event":"buy","ts":"t2","user_id":"u2"})" + pad) == Row{"u2", "buy", "t2"});
  // Keys of the remembered sizes but other bytes bind nothing; an unbound key
  // in the first position.
  CHECK(row(R"({"evenT":"x","user_iD":"y","ts":"t3"})" + pad) == Row{"", "", "t3"});
  CHECK(row(R"({"user_id":"u4","event":"e4","ts":"t4"})" + pad) == Row{"u4", "e4", "t4"});
  CHECK(row(R"({"zz":1,"user_id":"u5","event":"e5","ts":"t5"})" + pad) == Row{"u5", "e5", "t5"});
}

TEST_CASE("flat_json: the plain road at every length and offset", "[flat_json]") {
  // Strings ending at every offset of the quote map's blocks and words, and
  // objects of every size around its 16-byte floor and 512-byte ceiling.
  const std::vector<std::string_view> keys = {"k", "event"};
  std::string scratch;
  for (std::size_t pad = 0; pad < 70; ++pad) {
    for (std::size_t len = 0; len < 140; ++len) {
      const std::string line = "{\"" + std::string(pad, 'p') + "\":1,\"k\":\"" + std::string(len, 'v') + "\"}";
      INFO("pad " << pad << ", length " << len);
      const RoadSplit general = split_on(FlatRoad::general, line, keys, scratch);
      const RoadSplit fast = split_on(FlatRoad::plain, line, keys, scratch);
      REQUIRE(general.outcome == FlatRow::row);
      REQUIRE(general.slots[0].size() == len);
      // (Objects under 16 bytes take the general road.)
      REQUIRE(fast.outcome.has_value() == (kPlainRoad && line.size() >= 16));
      if (!fast.outcome) continue;
      REQUIRE(fast.outcome == FlatRow::row);
      CHECK(fast.slots == general.slots);
      CHECK(fast.slots[0].data() == general.slots[0].data());
      // Cut short, or with no closing quote: a decline on both roads.
      const std::string open_string = line.substr(0, line.size() - 2) + "}";
      CHECK(split_on(FlatRoad::general, open_string, keys, scratch).outcome == FlatRow::decline);
      const RoadSplit cut = split_on(FlatRoad::plain, open_string, keys, scratch);
      CHECK((!cut.outcome || cut.outcome == FlatRow::decline));
    }
  }
  for (std::size_t len = 490; len < 530; ++len) {
    const std::string line = "{\"k\":\"" + std::string(len - 9, 'v') + "\"}";
    INFO("object of " << line.size() << " bytes");
    const RoadSplit fast = split_on(FlatRoad::plain, line, keys, scratch);
    CHECK(fast.outcome.has_value() == (line.size() <= 512 && kPlainRoad));
    std::vector<std::string_view> out(keys.size());
    REQUIRE(split_flat_object(line, keys, out, scratch) == FlatRow::row);
    CHECK(out[0].size() == len - 9);
  }
}

namespace {

// Lines in a few shapes, as exports have them: the same keys in the same order
// and the same bytes around the values, line after line, with the values drawn
// from valid, tricky and broken ones (a string where the shape has a number,
// escapes, raw control bytes, UTF-8 good and bad, strings across 16-byte
// blocks), and now and then a line mutated byte by byte. Never a raw '\n'.
class ShapedLineGenerator {
 public:
  // `string_percent`: the share of a shape's values that are strings.
  ShapedLineGenerator(std::uint64_t seed, std::size_t string_percent) : rng_(seed), string_percent_(string_percent) {
    for (std::size_t k = 0; k < 6; ++k) shapes_.push_back(shape());
  }

  std::string line() {
    if (rng_.percent(1)) shapes_[2 + rng_.below(shapes_.size() - 2)] = shape();  // a new shape now and then
    // Mostly the first two shapes, so that a memo's shapes trade places.
    const Shape& s = rng_.percent(85) ? shapes_[rng_.below(2)] : rng_.pick(shapes_);
    std::string out = s.literals[0];
    for (std::size_t m = 0; m < s.is_string.size(); ++m) {
      out += s.is_string[m] ? string_value() : scalar_value();
      out += s.literals[m + 1];
    }
    if (rng_.percent(5)) mutate_bytes(rng_, out, "\"\\{}:,. \t\r\x01\x80\xC3");
    std::erase(out, '\n');
    return out;
  }

 private:
  // literals[m] comes before value m (its opening quote included for a string),
  // and the last literal after the last value (its closing quote included).
  struct Shape {
    std::vector<std::string> literals;
    std::vector<bool> is_string;
  };

  Shape shape() {
    // Mostly distinct keys; now and then one twice, or the dotted one (both
    // decline, so the plain road learns no shape from such a line).
    std::vector<std::string> keys = {"user_id", "timestamp", "event", "session_id", "value",
                                     "feature", "other",     "a_seventeen_bytes_", ""};
    for (std::size_t k = keys.size(); k > 1; --k) std::swap(keys[k - 1], keys[rng_.below(k)]);
    if (rng_.percent(10)) keys[rng_.below(4)] = rng_.percent(50) ? "x.y" : keys[4];
    static const std::vector<std::string> kColons = {":", ": ", " : "};
    static const std::vector<std::string> kCommas = {",", ", ", " ,"};
    static const std::vector<std::string> kEnds = {"}", "}", " }", "}\r", "} \r", "}  "};
    Shape s;
    const std::string colon = rng_.pick(kColons), comma = rng_.pick(kCommas);
    const std::size_t members = 1 + rng_.below(rng_.percent(10) ? keys.size() : 6);
    std::string literal = rng_.percent(10) ? "  {" : "{";
    for (std::size_t m = 0; m < members; ++m) {
      if (m > 0) literal += comma;
      // A long literal now and then (over 16 bytes: the whole-line road does not take it).
      literal += "\"" + keys[m] + (rng_.percent(3) ? std::string(20, 'k') : "") + "\"" + colon;
      const bool is_string = rng_.percent(string_percent_);
      if (is_string) literal += '"';
      s.literals.push_back(literal);
      s.is_string.push_back(is_string);
      literal = is_string ? "\"" : "";
    }
    s.literals.push_back(literal + rng_.pick(kEnds));
    return s;
  }

  // A string value with its closing quote left to the literal after it.
  std::string string_value() {
    static const std::vector<std::string> kOdd = {"",       "a\\\"b", "\\u00e9",   "\xC3\xA9t\xC3\xA9", "\xC3",
                                                  "a\tb",   "\x7f",   "\xF0\x9F\x98\x80", "\"",  "a\",\"b"};
    if (rng_.percent(85)) {
      static constexpr std::string_view kChars = "abcxyzABC0189 -_:.,{}[]/#+'~`!@$%^&*()=<>?|";
      std::string s;
      const std::size_t len = rng_.below(rng_.percent(10) ? 70 : 24);
      for (std::size_t i = 0; i < len; ++i) s += kChars[rng_.below(kChars.size())];
      return s;
    }
    return rng_.pick(kOdd);
  }

  std::string scalar_value() {
    static const std::vector<std::string> kScalars = {"0",    "-1",   "29.00", "1e5",  "-1.5e-3", "true", "false",
                                                      "null", "01",   "1.",    "tru",  "\"s\"",   "[1]",  "{}"};
    return rng_.pick(kScalars);
  }

  Rng rng_;
  std::size_t string_percent_;
  std::vector<Shape> shapes_;
};

const std::vector<std::string_view> kShapedKeys = {"user_id", "timestamp", "event", "session_id",
                                                   "value",   "x.y",       "",      "a_seventeen_bytes_"};

}  // namespace

TEST_CASE("flat_json: the shaped road agrees with the general road", "[flat_json]") {
  constexpr std::size_t kLines = 200000;
  ShapedLineGenerator gen(20261123, 80);
  std::string scratch;
  kpi::io::FlatKeyMemo memo;
  std::size_t shaped_rows = 0;
  for (std::size_t n = 0; n < kLines; ++n) {
    const std::string line = gen.line();
    INFO("line " << n << ": " << printable(line));
    const RoadSplit general = split_on(FlatRoad::general, line, kShapedKeys, scratch);
    REQUIRE(general.outcome.has_value());
    // The shapes learned so far, before this line can teach one.
    const RoadSplit shaped = split_on(FlatRoad::shaped, line, kShapedKeys, scratch, &memo);
    if (shaped.outcome) {
      ++shaped_rows;
      REQUIRE(outcome_name(*shaped.outcome) == std::string("row"));
      REQUIRE(outcome_name(*general.outcome) == std::string("row"));
      for (std::size_t slot = 0; slot < kShapedKeys.size(); ++slot) {
        INFO("slot " << slot);
        CHECK(shaped.slots[slot].data() == general.slots[slot].data());
        CHECK(shaped.slots[slot].size() == general.slots[slot].size());
      }
    }
    std::vector<std::string_view> out(kShapedKeys.size(), "stale");
    const FlatRow got = split_flat_object(line, kShapedKeys, out, scratch, &memo);
    REQUIRE(outcome_name(got) == std::string(outcome_name(*general.outcome)));
    if (got == FlatRow::row) CHECK(out == general.slots);
  }
  INFO(shaped_rows << " rows on the shaped road");
  if (kPlainRoad) CHECK(shaped_rows > kLines * 2 / 5);  // (shapes are learned on the plain road)
}

TEST_CASE("flat_json: split_shaped_line reads a line of a shape, and only one wholly in the data", "[flat_json]") {
  constexpr std::size_t kLines = 100000;
  // (Mostly strings: the road takes only shapes of string values.)
  ShapedLineGenerator gen(7, 97);
  std::string text;
  std::vector<std::size_t> starts;
  for (std::size_t n = 0; n < kLines; ++n) {
    starts.push_back(text.size());
    text += gen.line() + '\n';
  }
  // The bytes after the data may be loaded: here they look like more lines, as
  // the next block's do behind a pipe's block.
  const std::size_t size = text.size();
  text += "\"}\n{\"user_id\":\"u\"}\n";
  std::string scratch;
  kpi::io::FlatKeyMemo memo;
  std::size_t whole = 0;
  for (std::size_t n = 0; n < kLines; ++n) {
    const std::size_t at = starts[n];
    const std::string_view line = std::string_view(text).substr(at, text.find('\n', at) - at);
    INFO("line " << n << ": " << printable(line));
    const RoadSplit general = split_on(FlatRoad::general, line, kShapedKeys, scratch);
    std::vector<std::string_view> out(kShapedKeys.size(), "stale");
    const std::size_t got = kpi::io::split_shaped_line(text.data() + at, size - at, out, memo);
    if (got != kpi::io::kNoShapedLine) {
      ++whole;
      REQUIRE(got == line.size());
      REQUIRE(general.outcome == FlatRow::row);
      for (std::size_t slot = 0; slot < kShapedKeys.size(); ++slot) {
        INFO("slot " << slot);
        CHECK(out[slot].data() == general.slots[slot].data());
        CHECK(out[slot].size() == general.slots[slot].size());
      }
      // Cut anywhere before its '\n', the data does not hold the line.
      if (n % 64 == 0) {
        for (std::size_t cut = 0; cut <= line.size(); ++cut) {
          INFO("cut to " << cut);
          CHECK(kpi::io::split_shaped_line(text.data() + at, cut, out, memo) == kpi::io::kNoShapedLine);
        }
      }
    }
    // The usual way, which learns the line's shape.
    const FlatRow usual = split_flat_object(line, kShapedKeys, out, scratch, &memo);
    REQUIRE(outcome_name(usual) == std::string(outcome_name(*general.outcome)));
  }
  INFO(whole << " lines read whole");
  if (kPlainRoad) CHECK(whole > kLines / 2);
}
