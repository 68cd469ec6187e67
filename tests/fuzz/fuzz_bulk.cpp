// libFuzzer target: the bulk path (include/kpi/io/bulk.hpp) against the record
// readers. The first byte picks the format (CSV, TSV, NDJSON) and the number of
// chunks; the rest becomes a file (a memfd). The file is read into an events
// log record by record, and again through the bulk path. The bulk path may
// decline — then its log must be empty — but when it accepts, the record
// path must have accepted every row too, with the same log id for id.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "../../src/kinds/events_store.hpp"
#include "../unit/event_log_diff.hpp"
#include "kpi/input.hpp"
#include "kpi/io/reader.hpp"

namespace {

using kpi::events_detail::EventLog;

// The log's columns bound on a fresh reader of `path`; nullopt if it cannot open.
std::optional<std::unique_ptr<kpi::io::RecordReader>> open_bound(const std::string& path,
                                                                 const kpi::io::ReaderOptions& options,
                                                                 EventLog& log) {
  auto reader = kpi::io::RecordReader::open(path, options);
  if (!reader) return std::nullopt;
  (*reader)->bind(log.columns((*reader)->columns()));
  return std::move(*reader);
}

// Every row through add(); false at the first error or rejected row.
bool read_records(kpi::io::RecordReader& reader, EventLog& log, std::uint64_t& rows) {
  kpi::io::Record record;
  while (true) {
    auto got = reader.next(record);
    if (!got) return false;
    if (!*got) return true;
    if (!log.add(record)) return false;
    ++rows;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  kpi::io::ReaderOptions options;
  static constexpr kpi::io::Format kFormats[] = {kpi::io::Format::csv, kpi::io::Format::tsv,
                                                 kpi::io::Format::ndjson};
  options.format = kFormats[data[0] % 3];
  const std::size_t chunks = 1 + (data[0] / 3) % 7;
  ++data;
  --size;
  const int fd = ::memfd_create("kpi-fuzz-bulk", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const kpi::TimeContext time;
  const kpi::events_detail::LogColumns columns{true, true, true, {}, {}, {}};

  EventLog by_record(columns, time);
  std::uint64_t record_rows = 0;
  bool record_ok = false;
  if (auto reader = open_bound(path, options, by_record)) record_ok = read_records(**reader, by_record, record_rows);

  EventLog by_bulk(columns, time);
  if (auto reader = open_bound(path, options, by_bulk)) {
    if (auto bulk = (*reader)->bulk()) {
      bulk->min_chunk_bytes = 1;
      bulk->max_chunks = chunks;
      const std::optional<std::uint64_t> rows = by_bulk.add_bulk(*bulk);
      if (!rows) {
        if (!by_bulk.empty()) std::abort();  // a decline must leave the log untouched
      } else {
        if (!record_ok || *rows != record_rows) std::abort();  // accepted what the readers did not
        if (!kpi::test::first_difference(by_record, by_bulk).empty()) std::abort();
      }
    }
  }
  ::close(fd);
  return 0;
}
