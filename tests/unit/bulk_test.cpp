// The bulk path (include/kpi/io/bulk.hpp, EventLog::add_bulk): a file cut into
// chunks and parsed on several threads must give the event log that reading it
// record by record gives — the same users, names and features with the same
// ids, the same events in the same order — and must decline, leaving the log
// untouched, every file the record reader has to look at closely.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <bit>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <memory>
#include <optional>
#include <string>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "../../src/kinds/events_store.hpp"
#include "event_log_diff.hpp"
#include "kpi/compute.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "kpi/io/reader.hpp"
#include "kpi/kinds/events.hpp"
#include "temp_file.hpp"
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::events_detail;

namespace {

LogColumns all_columns(std::vector<std::string> by = {}) { return LogColumns{true, true, true, std::move(by), {}, {}}; }

std::unique_ptr<io::RecordReader> open_bound(const std::string& path, EventLog& log) {
  auto reader = io::RecordReader::open(path, {});
  REQUIRE(reader.has_value());
  (*reader)->bind(log.columns((*reader)->columns()));
  return std::move(*reader);
}

// Reads `path` record by record; every record must be accepted.
void read_records_into(const std::string& path, EventLog& log) {
  auto reader = open_bound(path, log);
  io::Record record;
  while (true) {
    auto got = reader->next(record);
    if (!got) FAIL(got.error().render());
    if (!*got) break;
    const Status st = log.add(record);
    REQUIRE(st.ok());
  }
}

// Reads `path` through the bulk path in (at most) `chunks` chunks.
std::optional<std::uint64_t> read_bulk_into(const std::string& path, EventLog& log, std::size_t chunks) {
  auto reader = open_bound(path, log);
  auto bulk = reader->bulk();
  REQUIRE(bulk.has_value());
  bulk->min_chunk_bytes = 1;
  bulk->max_chunks = chunks;
  return log.add_bulk(*bulk);
}

// Catch prints the first difference when there is one.
void require_same_log(const EventLog& a, const EventLog& b) { REQUIRE(test::first_difference(a, b) == std::string()); }

// Concatenation by appending: g++ 12 -O3 warns falsely (-Wrestrict) on
// "literal" + std::string.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

std::string num(std::uint64_t v) { return std::to_string(v); }

// A deterministic export with what plain files hold: repeated and new users,
// session ids (some long, some shared by users), blank and set features, rare
// values with spaces around them, CRLF and LF line endings, blank lines, UTF-8
// ids, several timestamp forms.
std::string plain_events(char d, std::size_t rows, std::uint64_t seed) {
  const std::string sep(1, d);
  std::string out = cat("user_id", sep, "timestamp", sep, "event", sep, "session_id", sep, "feature", sep, "value",
                        sep, "plan\n");
  std::uint64_t x = seed;
  const auto next = [&x] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
  };
  static const char* const kEvents[] = {"page_view", "click", "signup", "purchase", "feature_use", "trial_start"};
  static const char* const kFeatures[] = {"", "", "search", "export", "dashboard"};
  static const char* const kPlans[] = {"free", "pro", " team "};
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint64_t user = next() % (i / 4 + 3);
    std::string uid = cat(user % 7 == 3 ? "\xC3\xBC" : "u", num(user));  // ü for some
    if (user % 11 == 5) uid = cat(" ", uid, d == '\t' ? " " : "\t");     // trimmed
    const std::uint64_t secs = 1735689600 + i * 37 + next() % 30;
    std::string ts;
    switch (next() % 3) {
      case 0: ts = num(secs); break;
      case 1: ts = cat("2025-01-", num(10 + i % 9), "T0", num(i % 10), ":15:0", num(i % 10), "Z"); break;
      default: ts = cat("2025-02-0", num(1 + i % 9), " 12:00:00"); break;
    }
    const std::string event = kEvents[next() % 6];
    std::string sid = next() % 5 == 0 ? "" : cat("s", num(user), "_", num(i / 40));
    if (!sid.empty() && user % 13 == 7) sid = cat("a-session-id-longer-than-16-bytes-", sid);  // kept apart
    if (!sid.empty() && user % 17 == 2) sid = "shared";  // one id of several users: a session each
    const std::string feature = kFeatures[next() % 5];
    const std::string value = event == "purchase" ? (next() % 2 ? " 29.00 " : "9.99") : "";
    out += cat(uid, sep, ts, sep, event, sep, sid, sep, feature, sep, value, sep, kPlans[next() % 3]);
    out += next() % 4 == 0 ? "\r\n" : "\n";
    if (next() % 50 == 0) out += "\n";  // a blank line
  }
  return out;
}

// The same export as NDJSON: strings with escapes, numbers for epoch times and
// values, keys left out when blank, null, spaces around tokens, CRLF.
std::string plain_ndjson(std::size_t rows, std::uint64_t seed) {
  std::string out;
  std::uint64_t x = seed;
  const auto next = [&x] {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
  };
  static const char* const kEvents[] = {"page_view", "click", "sign\\\\up", "purchase", "feature\\u005fuse"};
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint64_t user = next() % (i / 4 + 3);
    const std::uint64_t secs = 1735689600 + i * 37 + next() % 30;
    out += cat("{\"user_id\":\"", user % 7 == 3 ? "\xC3\xBC" : "u", num(user), "\"");
    out += next() % 2 ? cat(", \"timestamp\": ", num(secs))
                      : cat(",\"timestamp\":\"2025-03-0", num(1 + i % 9), "T10:00:00Z\"");
    const std::string event = kEvents[next() % 5];
    out += cat(",\"event\":\"", event, "\"");
    if (next() % 5 != 0) out += cat(",\"session_id\":\"s", num(user), "_", num(i / 40), "\"");
    if (next() % 3 == 0) out += cat(",\"feature\":", next() % 2 ? "null" : "\"search\"");
    if (event == "purchase") out += cat(",\"value\":", next() % 2 ? "29.00" : "9.99");
    out += ",\"ok\":true}";
    out += next() % 4 == 0 ? "\r\n" : "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("bulk: an NDJSON file in chunks gives the log of reading it record by record", "[bulk]") {
  const TimeContext time = test::utc_context();
  const test::TempFile file(plain_ndjson(2500, 5), ".ndjson");
  const std::string& path = file.path();
  EventLog expected(all_columns(), time);
  read_records_into(path, expected);
  REQUIRE(expected.size() == 2500);
  REQUIRE(expected.names().find("sign\\up") != kNone);
  REQUIRE(expected.names().find("feature_use") != kNone);  // unescaped
  for (const std::size_t chunks : {1, 2, 5, 33}) {
    INFO("chunks: " << chunks);
    EventLog got(all_columns(), time);
    REQUIRE(read_bulk_into(path, got, chunks) == std::optional<std::uint64_t>(2500));
    require_same_log(expected, got);
  }
}

TEST_CASE("bulk: objects one per line in a .json file are read like NDJSON; an array is not", "[bulk]") {
  const TimeContext time = test::utc_context();
  const std::string text = plain_ndjson(700, 9);
  const test::TempFile ndjson(text, ".ndjson");
  const test::TempFile json(text, ".json");
  EventLog expected(all_columns(), time);
  read_records_into(ndjson.path(), expected);
  EventLog got(all_columns(), time);
  REQUIRE(read_bulk_into(json.path(), got, 3) == std::optional<std::uint64_t>(700));
  require_same_log(expected, got);
  const test::TempFile array("[{\"user_id\":\"u1\",\"timestamp\":1735689600,\"event\":\"a\"}]\n", ".json");
  EventLog log(all_columns(), time);
  auto reader = open_bound(array.path(), log);
  REQUIRE(!reader->bulk().has_value());
}

TEST_CASE("bulk: a CSV file in chunks gives the log of reading it record by record", "[bulk]") {
  const TimeContext time = test::utc_context();
  const test::TempFile file(plain_events(',', 3000, 7), ".csv");
  const std::string& path = file.path();
  EventLog expected(all_columns(), time);
  read_records_into(path, expected);
  REQUIRE(expected.size() == 3000);
  for (const std::size_t chunks : {1, 2, 3, 7, 64}) {
    INFO("chunks: " << chunks);
    EventLog got(all_columns(), time);
    const auto rows = read_bulk_into(path, got, chunks);
    REQUIRE(rows == std::optional<std::uint64_t>(3000));
    require_same_log(expected, got);
  }
}

TEST_CASE("bulk: TSV, --by segments, and a second file appended to a log", "[bulk]") {
  const TimeContext time = test::utc_context();
  const test::TempFile first_file(plain_events('\t', 1500, 11), ".tsv");
  const std::string& first = first_file.path();
  const test::TempFile second_file(plain_events('\t', 1700, 12), ".tsv");
  const std::string& second = second_file.path();
  EventLog expected(all_columns({"plan"}), time);
  read_records_into(first, expected);
  read_records_into(second, expected);
  EventLog got(all_columns({"plan"}), time);
  REQUIRE(read_bulk_into(first, got, 3) == std::optional<std::uint64_t>(1500));
  REQUIRE(read_bulk_into(second, got, 5) == std::optional<std::uint64_t>(1700));
  require_same_log(expected, got);
  REQUIRE(got.segment_count() == 3);
}

// A funnel's log stores its steps' rows alone (LogColumns::only_events): in
// chunks of which some store nothing, and after a file that stored nothing, it
// holds what reading record by record gives, and every row's time range.
TEST_CASE("bulk: a log of some events' rows only reads the same in chunks and keeps every row's range", "[bulk]") {
  const TimeContext time = test::utc_context();
  const test::TempFile file(plain_events(',', 3000, 7), ".csv");
  const test::TempFile clicks("user_id,timestamp,event\nu1,2024-12-01T00:00:00Z,click\n", ".csv");
  LogColumns only = all_columns();
  only.only_events = {"purchase", "trial_start"};
  EventLog all(all_columns(), time);
  read_records_into(file.path(), all);
  EventLog expected(only, time);
  read_records_into(file.path(), expected);
  REQUIRE(expected.size() > 0);
  REQUIRE(expected.size() < all.size() / 2);
  REQUIRE(expected.names().size() == all.names().size());  // names are known, stored or not
  CHECK(expected.min_ts() == all.min_ts());
  CHECK(expected.max_ts() == all.max_ts());
  for (const std::size_t chunks : {1, 2, 7, 64}) {
    INFO("chunks: " << chunks);
    EventLog got(only, time);
    REQUIRE(read_bulk_into(file.path(), got, chunks) == std::optional<std::uint64_t>(3000));
    require_same_log(expected, got);
  }
  EventLog after_clicks(only, time);  // a first file of rows left out, then chunks
  read_records_into(clicks.path(), after_clicks);
  REQUIRE(after_clicks.empty());
  REQUIRE(read_bulk_into(file.path(), after_clicks, 7) == std::optional<std::uint64_t>(3000));
  CHECK(after_clicks.size() == expected.size());
  CHECK(after_clicks.max_ts() == all.max_ts());
  CHECK(after_clicks.min_ts() < all.min_ts());  // the click in 2024 widened it
}

// What a folded log must still say of each user (RowFold): per (user, class,
// span), the earliest instant of the rows there. `span_of` gives a row's span,
// or nullopt for a row never folded (kept as it is).
using FoldKey = std::tuple<std::uint32_t, std::uint8_t, std::int64_t>;
template <class Classify, class SpanOf>
std::map<FoldKey, time::Micros> earliest_by_fold_key(const EventLog& log, const Classify& classify,
                                                    const SpanOf& span_of) {
  std::map<FoldKey, time::Micros> out;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const Event& e = log.event(i);
    const std::uint8_t cls = classify(log.names().str(e.event));
    const std::optional<std::int64_t> span = span_of(e.ts);
    const FoldKey key{e.user, cls, cls == 0 || !span ? static_cast<std::int64_t>(i) : *span};
    auto [it, fresh] = out.emplace(key, e.ts);
    if (!fresh) it->second = std::min(it->second, e.ts);
  }
  return out;
}

// Folded rows: each (user, class, span) keeps its earliest instant, whether the
// file is read record by record or in chunks (each folding on its own), for
// the day span of retention (in a zone where local days are not UTC days) and
// the range span of a funnel's entries (rows before --from not folded).
TEST_CASE("bulk: a folded log keeps each user's earliest row of a class and span, in any chunking", "[bulk]") {
  const test::TempFile file(plain_events(',', 4000, 11), ".csv");
  const auto classify = [](std::string_view event) -> std::uint8_t {
    if (event == "signup") return 1;
    if (event == "purchase") return 2;
    return event == "click" ? 0 : 3;
  };
  for (const RowFold::Span span : {RowFold::Span::day, RowFold::Span::range}) {
    TimeContext time = test::utc_context(span == RowFold::Span::range ? std::optional<std::string_view>("2025-01-14")
                                                                        : std::nullopt);
    time.zone = *time::Zone::parse("-05:00");
    time.parser = time::TimestampParser(time.zone);
    const time::Micros from = time.from ? time.zone.day_start(*time.from) : 0;
    const auto span_of = [&](time::Micros ts) -> std::optional<std::int64_t> {
      if (span == RowFold::Span::day) return time.zone.local_day(ts);
      if (ts < from) return std::nullopt;
      return 0;
    };
    LogColumns columns;  // what funnel and retention read
    EventLog all(columns, time);
    read_records_into(file.path(), all);
    const auto expected = earliest_by_fold_key(all, classify, span_of);
    RowFold fold;
    fold.classify = classify;
    fold.span = span;
    for (const std::size_t chunks : {0, 1, 2, 7}) {  // 0: record by record
      INFO("span " << static_cast<int>(span) << ", chunks " << chunks);
      EventLog got(columns, time);
      got.fold_rows(fold);
      if (chunks == 0)
        read_records_into(file.path(), got);
      else
        REQUIRE(read_bulk_into(file.path(), got, chunks) == std::optional<std::uint64_t>(4000));
      CHECK(got.min_ts() == all.min_ts());
      CHECK(got.max_ts() == all.max_ts());
      REQUIRE(got.users().size() == all.users().size());
      const auto kept = earliest_by_fold_key(got, classify, span_of);
      // The same keys and instants; unfolded rows are keyed by their index, so compare them apart.
      std::map<FoldKey, time::Micros> folded_expected, folded_kept;
      std::multiset<std::pair<std::uint32_t, time::Micros>> loose_expected, loose_kept;
      const auto split = [&](const std::map<FoldKey, time::Micros>& m, std::map<FoldKey, time::Micros>& folded,
                             std::multiset<std::pair<std::uint32_t, time::Micros>>& loose) {
        for (const auto& [key, ts] : m) {
          const auto [user, cls, sp] = key;
          if (cls == 0 || !span_of(ts)) loose.emplace(user, ts);
          else folded.emplace(key, ts);
        }
      };
      split(expected, folded_expected, loose_expected);
      split(kept, folded_kept, loose_kept);
      CHECK(folded_kept == folded_expected);
      CHECK(loose_kept == loose_expected);
      CHECK(folded_expected.size() > 100);
      CHECK(loose_expected.size() > 100);
      // Read in one piece with the range span, one row per key. A user's slot
      // holds one day, so days out of order (these rows' are) fold less, and
      // chunks fold apart.
      const std::size_t keys = folded_expected.size() + loose_expected.size();
      REQUIRE(all.size() > keys + 300);  // rows to fold
      if (chunks <= 1 && span == RowFold::Span::range)
        CHECK(got.size() == keys);
      else
        CHECK((got.size() >= keys && got.size() < all.size()));
    }
  }
}

TEST_CASE("bulk: the last line may lack its line ending; a BOM-less header-only file has no rows", "[bulk]") {
  const TimeContext time = test::utc_context();
  EventLog got(all_columns(), time);
  const test::TempFile file("user_id,timestamp,event\nu1,1735689600,a\nu2,1735689601,b", ".csv");
  const std::string& path = file.path();
  REQUIRE(read_bulk_into(path, got, 2) == std::optional<std::uint64_t>(2));
  REQUIRE(got.users().str(1) == "u2");
  EventLog empty(all_columns(), time);
  const test::TempFile header_only("user_id,timestamp,event\n", ".csv");
  REQUIRE(read_bulk_into(header_only.path(), empty, 2) ==
          std::optional<std::uint64_t>(0));
}

TEST_CASE("bulk: declines what only the record reader handles, leaving the log as it was", "[bulk]") {
  const TimeContext time = test::utc_context();
  const std::string good = plain_events(',', 400, 3);
  // Each case: a line appended near the end (so in the last chunk) that the
  // bulk path must not take: the record reader accepts some and rejects others.
  const std::vector<std::string> cases{
      "u1,1735689600,\"quoted, event\",s,,,free\n",  // a quoted field (valid CSV)
      "u1,1735689600,a,s,,,free\rnext\n",            // a bare CR ends a line there
      "u1,1735689600,a,s,,\n",                       // ragged: too few fields
      "u1,1735689600,a,s,,,free,extra\n",            // ragged: too many
      "u1,not a time,a,s,,,free\n",                  // rejected by the events kind
      "u1,1735689600,a,s,,abc,free\n",               // a value that is no number
      ",1735689600,a,s,,,free\n",                    // a blank user id
      "u\xFF,1735689600,a,s,,,free\n",               // invalid UTF-8
      std::string("u1,17356\0,a,s,,,free\n", 21),        // a NUL byte
  };
  std::size_t i = 0;
  for (const std::string& extra : cases) {
    INFO("case " << i++);
    const test::TempFile file(cat(good, extra), ".csv");
    const std::string& path = file.path();
    EventLog log(all_columns(), time);
    REQUIRE(read_bulk_into(path, log, 3) == std::nullopt);
    REQUIRE(log.empty());
    REQUIRE(log.users().size() == 0);
    REQUIRE(!log.min_ts().has_value());
  }
}

TEST_CASE("bulk: only regular files without --default offer a bulk path", "[bulk]") {
  const test::TempFile file("user_id,timestamp,event\nu1,1735689600,a\n", ".csv");
  const std::string& path = file.path();
  io::ReaderOptions with_default;
  with_default.defaults.emplace_back("session_id", "s");
  auto reader = io::RecordReader::open(path, with_default);
  REQUIRE(reader.has_value());
  (*reader)->bind({"user_id", "timestamp", "event", "session_id"});
  REQUIRE(!(*reader)->bulk().has_value());
  auto plain = io::RecordReader::open(path, {});
  REQUIRE(plain.has_value());
  (*plain)->bind({"user_id", "timestamp", "event"});
  const auto bulk = (*plain)->bulk();
  REQUIRE(bulk.has_value());
  REQUIRE(bulk->begin == 24);  // after the header line
  REQUIRE(bulk->end == 40);
  REQUIRE(bulk->fields == 3);
}

TEST_CASE("bulk: a column bound to two slots (--by feature) fills both", "[bulk]") {
  const TimeContext time = test::utc_context();
  const test::TempFile file(plain_events(',', 800, 21), ".csv");
  const std::string& path = file.path();
  EventLog expected(all_columns({"feature"}), time);
  read_records_into(path, expected);
  EventLog got(all_columns({"feature"}), time);
  REQUIRE(read_bulk_into(path, got, 3) == std::optional<std::uint64_t>(800));
  require_same_log(expected, got);
  REQUIRE(got.segment_count() == 4);  // "", search, export, dashboard
}

namespace {

// Every result, value compared bit for bit (the merge of per-thread tallies
// claims the one-thread result exactly, sums of doubles included).
void require_same_results(const ResultSet& a, const ResultSet& b) {
  REQUIRE(a.results.size() == b.results.size());
  for (std::size_t i = 0; i < a.results.size(); ++i) {
    const Result& x = a.results[i];
    const Result& y = b.results[i];
    INFO(x.metric << " " << x.period);
    REQUIRE(x.metric == y.metric);
    REQUIRE(x.period == y.period);
    REQUIRE(x.dims == y.dims);
    REQUIRE(x.value.has_value() == y.value.has_value());
    if (x.value) REQUIRE(std::bit_cast<std::uint64_t>(*x.value) == std::bit_cast<std::uint64_t>(*y.value));
  }
  REQUIRE(a.warnings == b.warnings);
}

// Runs `run` with the bulk path and the analyses on one thread, then on three.
template <class Run>
void require_thread_count_invisible(const Run& run) {
  io::set_bulk_threads(1);
  auto one = run();
  io::set_bulk_threads(3);
  auto three = run();
  io::set_bulk_threads(0);
  REQUIRE(one.has_value());
  REQUIRE(three.has_value());
  require_same_results(*one, *three);
}

}  // namespace

TEST_CASE("bulk: compute, funnel and retention give the same results on one thread and on three", "[bulk]") {
  // Enough events for the parallel sort and per-user tallies (64k and more),
  // in time order as exports are, with some rows out of order.
  std::string text = plain_events(',', 90000, 99);
  const test::TempFile file(text, ".csv");
  const std::string& path = file.path();
  InputOptions input;
  input.files = {path};
  ComputeOptions c;
  c.input = input;
  c.period = time::Period::week;
  require_thread_count_invisible([&] { return compute(c); });
  FunnelOptions f;
  f.input = input;
  f.steps = {"page_view", "signup", "purchase"};
  require_thread_count_invisible([&] { return run_funnel(f); });
  RetentionOptions r;
  r.input = input;
  require_thread_count_invisible([&] { return run_retention(r); });
}

namespace {

// compute's events aggregator, fed `path` through the bulk path in (at most)
// `chunks` chunks.
Table events_table(const std::string& path, const ComputeOptions& o, const TimeContext& tc, std::size_t chunks) {
  auto aggregator = make_events_aggregator(o, tc);
  auto reader = io::RecordReader::open(path, {});
  REQUIRE(reader.has_value());
  (*reader)->bind(aggregator->columns((*reader)->columns()));
  auto bulk = (*reader)->bulk();
  REQUIRE(bulk.has_value());
  bulk->min_chunk_bytes = 1;
  bulk->max_chunks = chunks;
  REQUIRE(aggregator->add_bulk(*bulk).has_value());
  auto table = aggregator->finish();
  REQUIRE(table.has_value());
  return std::move(*table);
}

void require_same_table(const Table& a, const Table& b) {
  REQUIRE(a.groups.size() == b.groups.size());
  for (std::size_t g = 0; g < a.groups.size(); ++g) {
    INFO(a.groups[g].period);
    REQUIRE(a.groups[g].dims == b.groups[g].dims);
    CHECK(a.groups[g].values == b.groups[g].values);
  }
  CHECK(a.warnings == b.warnings);
}

// The table of the data's own first and last days as --from/--to: every row
// sorted, no session tallies.
Table sorted_events_table(const std::string& path, const ComputeOptions& o) {
  const Table open = events_table(path, o, test::utc_context(), 1);
  REQUIRE(open.groups.size() > 30);
  return events_table(path, o, test::utc_context(open.groups.front().period, open.groups.back().period), 1);
}

}  // namespace

// Compute tallies sessions while reading and folds page views and clicks
// without --from/--to (events: "sessions tallied while reading ..."); in
// chunks, each part tallies and folds its own rows, and the log takes the
// parts' tallies over. The data's own first and last days as --from/--to must
// give the same results from every row, sorted.
TEST_CASE("bulk: compute's session tallies, in chunks, give the results of every row", "[bulk]") {
  const test::TempFile file(plain_events(',', 20000, 7), ".csv");
  ComputeOptions o;
  o.period = time::Period::day;  // (so that the first and last groups name the data's days)
  const Table sorted = sorted_events_table(file.path(), o);
  for (const std::size_t chunks : {1, 2, 7}) {
    INFO(chunks << " chunks");
    require_same_table(events_table(file.path(), o, test::utc_context(), chunks), sorted);
  }
}

// ---- Pipes: BulkStream blocks, then the record reader from where they stop ----

namespace {

// A pipe fed with `bytes` by a thread: the first line at once, the rest only
// after release() (the reader has read its header or first object by then),
// so the reader's head holds the first line alone and the blocks the rest.
class FedPipe {
 public:
  explicit FedPipe(std::string bytes) : bytes_(std::move(bytes)) {
    std::signal(SIGPIPE, SIG_IGN);  // a reader that stops early must not kill the test
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    read_ = fds[0];
    write_ = fds[1];
    const std::size_t nl = bytes_.find('\n');
    const std::size_t first = nl == std::string::npos ? bytes_.size() : nl + 1;
    writer_ = std::thread([this, first] {
      write_all(0, first);
      std::unique_lock lock(mutex_);
      go_.wait(lock, [this] { return released_; });
      lock.unlock();
      write_all(first, bytes_.size());
      ::close(write_);
    });
  }
  FedPipe(const FedPipe&) = delete;
  FedPipe& operator=(const FedPipe&) = delete;
  ~FedPipe() {
    release();
    ::close(read_);  // a writer still blocked gets EPIPE
    writer_.join();
  }
  std::string path() const { return "/dev/fd/" + std::to_string(read_); }
  void release() {
    const std::lock_guard lock(mutex_);
    released_ = true;
    go_.notify_all();
  }

 private:
  void write_all(std::size_t from, std::size_t to) {
    while (from < to) {
      const ssize_t n = ::write(write_, bytes_.data() + from, to - from);
      if (n <= 0) return;
      from += static_cast<std::size_t>(n);
    }
  }
  std::string bytes_;
  int read_ = -1, write_ = -1;
  std::mutex mutex_;
  std::condition_variable go_;
  bool released_ = false;
  std::thread writer_;
};

struct StreamRead {
  std::uint64_t bulk_rows = 0;  // rows the bulk path took
  std::uint64_t rows = 0;       // rows in all
  std::string error;            // the first error, rendered ("" if none)
};

// Reads the reader's records into `log` until the end or the first error,
// counting them in `out`.
void read_rest(io::RecordReader& reader, EventLog& log, StreamRead& out) {
  io::Record record;
  while (true) {
    auto got = reader.next(record);
    if (!got) {
      out.error = got.error().render();
      break;
    }
    if (!*got) break;
    ++out.rows;
    if (const Status st = log.add(record); !st) {
      out.error = st.error().render();
      break;
    }
  }
}

// Reads `text` from a pipe as `kpi` reads standard input: blocks of `block`
// bytes through the bulk path, then record by record from the first block it
// did not take.
StreamRead read_stream_into(const std::string& text, io::Format format, EventLog& log, std::size_t block) {
  FedPipe pipe(text);
  io::ReaderOptions options;
  options.format = format;
  auto opened = io::RecordReader::open(pipe.path(), options);
  REQUIRE(opened.has_value());
  auto& reader = *opened;
  reader->bind(log.columns(reader->columns()));
  pipe.release();
  auto bulk = reader->bulk();
  REQUIRE(bulk.has_value());
  REQUIRE(bulk->stream);
  bulk->block_bytes = block;
  StreamRead out;
  io::BulkStream stream(*bulk);
  out.bulk_rows = out.rows = log.add_bulk_stream(stream);
  reader->resume(stream.rest());  // (nothing left when the stream is finished)
  read_rest(*reader, log, out);
  return out;
}

// The same through a regular file, record by record: the reference.
StreamRead read_file_into(const std::string& text, io::Format format, EventLog& log) {
  const test::TempFile file(text, format == io::Format::csv ? ".csv" : ".ndjson");
  auto reader = open_bound(file.path(), log);
  StreamRead out;
  read_rest(*reader, log, out);
  return out;
}

// "<input>:LINE:COL: message" of an error from a pipe or from a file: the
// location and the message. (The quoted line below it may be cut short where a
// pipe's bytes read so far end, for the bulk path as for the record reader.)
std::string first_line(const std::string& error) {
  const std::size_t colon = error.find(':');
  return cat("<input>", error.substr(colon, error.find('\n') - colon));
}

// Block sizes: shorter than most rows (the record reader then reads on from
// the first longer one), a few rows per block, up to the whole input in one.
constexpr std::size_t kBlockSizes[] = {40, 333, 4096, std::size_t{1} << 20};

}  // namespace

TEST_CASE("bulk: a pipe read in blocks gives the log of reading it record by record", "[bulk][stream]") {
  const TimeContext time = test::utc_context();
  const std::string csv = plain_events(',', 3000, 8);
  const std::string ndjson = plain_ndjson(2500, 6);
  for (const auto& [text, format] : {std::pair{csv, io::Format::csv}, std::pair{ndjson, io::Format::ndjson}}) {
    EventLog expected(all_columns(), time);
    const StreamRead reference = read_file_into(text, format, expected);
    REQUIRE(reference.error.empty());
    for (const std::size_t threads : {1, 3}) {
      io::set_bulk_threads(threads);
      for (const std::size_t block : kBlockSizes) {
        INFO("format " << io::format_name(format) << ", threads " << threads << ", block " << block);
        EventLog got(all_columns(), time);
        const StreamRead r = read_stream_into(text, format, got, block);
        REQUIRE(r.error.empty());
        REQUIRE(r.rows == reference.rows);
        if (block > 100) {
          REQUIRE(r.bulk_rows == reference.rows);  // nothing left to the record reader
        } else {
          REQUIRE(r.bulk_rows < reference.rows);  // a line longer than a block: the record reader's
        }
        require_same_log(expected, got);
      }
    }
    io::set_bulk_threads(0);
  }
}

// A pipe's parts are emptied and reused block after block: the session
// tallies of one block must not leak into the next.
TEST_CASE("bulk: compute's session tallies from a pipe in blocks give the results of every row", "[bulk][stream]") {
  const std::string text = plain_events(',', 20000, 7);
  const test::TempFile file(text, ".csv");
  ComputeOptions o;
  o.period = time::Period::day;
  const Table sorted = sorted_events_table(file.path(), o);
  for (const std::size_t threads : {1, 3}) {
    for (const std::size_t block : {std::size_t{4096}, std::size_t{1} << 16}) {
      io::set_bulk_threads(threads);
      auto aggregator = make_events_aggregator(o, test::utc_context());
      FedPipe pipe(text);
      auto opened = io::RecordReader::open(pipe.path(), {});
      REQUIRE(opened.has_value());
      auto& reader = *opened;
      reader->bind(aggregator->columns(reader->columns()));
      pipe.release();
      auto bulk = reader->bulk();
      REQUIRE(bulk.has_value());
      bulk->block_bytes = block;
      io::BulkStream stream(*bulk);
      CHECK(aggregator->add_bulk_stream(stream) == 20000);
      io::set_bulk_threads(0);
      auto table = aggregator->finish();
      REQUIRE(table.has_value());
      INFO(threads << " threads, blocks of " << block << " bytes");
      require_same_table(*table, sorted);
    }
  }
}

TEST_CASE("bulk: a pipe goes on record by record from the first block the bulk path declines", "[bulk][stream]") {
  const TimeContext time = test::utc_context();
  const std::string good = plain_events(',', 1200, 4);
  const std::size_t middle = good.find('\n', good.size() / 2) + 1;
  // A row the record reader accepts and the bulk path declines (a quote), then
  // later rows; and rows the record reader or the events kind reject, whose
  // errors must name the line a record-by-record read names.
  const std::vector<std::string> cases{
      "u1,1735689600,\"quoted, event\",s,,,free\n",
      "u1,not a time,a,s,,,free\n",
      "u1,1735689600,a,s,,\n",
      "u\xFF,1735689600,a,s,,,free\n",
  };
  std::size_t i = 0;
  for (const std::string& odd : cases) {
    const std::string text = cat(good.substr(0, middle), odd, good.substr(middle));
    EventLog expected(all_columns(), time);
    const StreamRead reference = read_file_into(text, io::Format::csv, expected);
    REQUIRE(reference.error.empty() == (i == 0));
    for (const std::size_t threads : {1, 2}) {
      io::set_bulk_threads(threads);
      for (const std::size_t block : kBlockSizes) {
        INFO("case " << i << ", threads " << threads << ", block " << block);
        EventLog got(all_columns(), time);
        const StreamRead r = read_stream_into(text, io::Format::csv, got, block);
        REQUIRE(r.error.empty() == reference.error.empty());
        if (!reference.error.empty()) {
          REQUIRE(first_line(r.error) == first_line(reference.error));
          continue;
        }
        REQUIRE(r.rows == reference.rows);
        REQUIRE(r.bulk_rows < reference.rows);
        require_same_log(expected, got);
      }
    }
    io::set_bulk_threads(0);
    ++i;
  }
}

TEST_CASE("bulk: an NDJSON pipe goes on record by record after a nested object", "[bulk][stream]") {
  const TimeContext time = test::utc_context();
  const std::string good = plain_ndjson(900, 12);
  const std::size_t middle = good.find('\n', good.size() / 2) + 1;
  const std::string nested = "{\"user_id\":\"u1\",\"timestamp\":1735689600,\"event\":\"a\",\"props\":{\"x\":1}}\n";
  const std::string broken = "{\"user_id\":\"u1\",\"timestamp\":1735689600,\"event\":\"a\"\n";
  for (const std::string& odd : {nested, broken}) {
    const std::string text = cat(good.substr(0, middle), odd, good.substr(middle));
    EventLog expected(all_columns(), time);
    const StreamRead reference = read_file_into(text, io::Format::ndjson, expected);
    for (const std::size_t block : kBlockSizes) {
      INFO("block " << block << ", odd line " << odd);
      EventLog got(all_columns(), time);
      const StreamRead r = read_stream_into(text, io::Format::ndjson, got, block);
      if (!reference.error.empty()) {
        REQUIRE(first_line(r.error) == first_line(reference.error));
        continue;
      }
      REQUIRE(r.error.empty());
      REQUIRE(r.rows == reference.rows);
      require_same_log(expected, got);
    }
  }
}
