// Regression tests for hostile-input findings (issue 7): each case is an input
// found by a fuzz target or by the bad-input review that once crashed, hung or
// silently changed a number, read through the public reader API exactly as the
// fuzz targets do (tests/fuzz/reader_driver.hpp).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/io/reader.hpp"

namespace {

using kpi::io::Format;

// Writes `bytes` to a fresh temporary file and removes it on destruction.
class TempFile {
 public:
  TempFile(std::string_view bytes, std::string_view suffix) {
    path_ = "/tmp/kpi-regression-XXXXXX" + std::string(suffix);
    const int fd = ::mkstemps(path_.data(), static_cast<int>(suffix.size()));
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ReadAll {
  std::vector<std::vector<std::string>> rows;  // bound fields' text, per record
  std::vector<std::string> errors;             // rendered errors, in order
};

// Binds every column, reads every record, skipping recoverable errors.
ReadAll read_all(std::string_view bytes, Format format) {
  TempFile file(bytes, format == Format::csv ? ".csv" : ".json");
  kpi::io::ReaderOptions options;
  options.format = format;
  ReadAll out;
  auto reader = kpi::io::RecordReader::open(file.path(), options);
  if (!reader) {
    out.errors.push_back(reader.error().message());
    return out;
  }
  (*reader)->bind((*reader)->columns());
  kpi::io::Record record;
  while (true) {
    auto got = (*reader)->next(record);
    if (!got) {
      out.errors.push_back(got.error().message());
      if (!(*reader)->can_skip_last_error()) break;
      continue;
    }
    if (!*got) break;
    std::vector<std::string> row;
    for (const auto& f : record.fields) row.emplace_back(f.text);
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace

TEST_CASE("JSON: a key given twice in one object is an error, not the first value",
          "[io][regression]") {
  // Found by the bad-input review: {"n":21,"n":5} used to read n = 21 and drop
  // the 5 silently, while a CSV header with a duplicate name is refused.
  const auto got = read_all("{\"p\":\"a\",\"n\":21,\"n\":5}\n", Format::ndjson);
  CHECK(got.rows.empty());
  REQUIRE(got.errors.size() == 1);
  CHECK(got.errors[0] == "duplicate key 'n' in a JSON object");

  // The same path reached twice through nesting: "a.b" flat and {"a":{"b":..}}.
  const auto nested = read_all("[{\"a.b\":1,\"a\":{\"b\":2}}]", Format::json);
  CHECK(nested.rows.empty());
  REQUIRE(nested.errors.size() == 1);
  CHECK(nested.errors[0] == "duplicate key 'a.b' in a JSON object");

  // Other records still read (the bad one is consumed; --skip-invalid may skip it).
  const auto skip = read_all("{\"n\":1}\n{\"n\":2,\"n\":3}\n{\"n\":4}\n", Format::ndjson);
  REQUIRE(skip.rows.size() == 2);
  CHECK(skip.rows[0] == std::vector<std::string>{"1"});
  CHECK(skip.rows[1] == std::vector<std::string>{"4"});
  CHECK(skip.errors.size() == 1);
}

TEST_CASE("CSV: a header of 30 000 columns is read in linear time", "[io][regression]") {
  // Found by the bad-input review (bad_wide_10k_columns): the duplicate-name check,
  // bind() and the canonical column list each searched a vector per column, so the
  // header cost grew with columns squared (30 000 columns: ~40 s in a debug build;
  // a 1 MB header line could take hours). Now hashed: well under a second.
  constexpr int kColumns = 30'000;
  std::string text;
  // Appended piecewise: g++ 12 -O3 mis-reports `"c" + string` as overlapping (-Wrestrict).
  for (int i = 0; i < kColumns; ++i) (text += (i ? ",c" : "c")) += std::to_string(i);
  text += '\n';
  for (int i = 0; i < kColumns; ++i) (text += (i ? "," : "")) += std::to_string(i);
  text += '\n';
  const auto start = std::chrono::steady_clock::now();
  const auto got = read_all(text, Format::csv);
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(got.errors.empty());
  REQUIRE(got.rows.size() == 1);
  REQUIRE(got.rows[0].size() == static_cast<std::size_t>(kColumns));
  CHECK(got.rows[0][29'999] == "29999");
  CHECK(seconds < 5.0);  // generous: the quadratic version needed tens of seconds

  // Duplicates are still found, wherever they are.
  const auto dup = read_all("a,b,c,b\n1,2,3,4\n", Format::csv);
  REQUIRE(dup.errors.size() == 1);
  CHECK(dup.errors[0] == "header: duplicate column name 'b'");
}
