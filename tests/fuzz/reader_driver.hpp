// Shared body of fuzz_csv_reader and fuzz_json_reader: the bytes become a file
// (a memfd, so nothing touches the disk), RecordReader::open reads it, every
// column is bound and every record read, the way `kpi compute --skip-invalid`
// does. Each error is rendered (the caret code runs too). Crashes, hangs, leaks
// and UB are the findings; libFuzzer's -timeout catches a reader that never ends.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kpi/io/reader.hpp"

namespace kpi::fuzz {

inline void read_all(const std::uint8_t* data, std::size_t size, io::ReaderOptions options) {
  const int fd = ::memfd_create("kpi-fuzz", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = io::RecordReader::open(path, options);
  if (!reader) {
    (void)reader.error().render();
    ::close(fd);
    return;
  }
  auto& r = **reader;
  r.bind(r.columns());
  io::Record record;
  // A reader that neither advances nor ends would loop forever; the bound turns
  // that into a finding instead of a timeout with no stack.
  for (std::size_t guard = 0; guard <= size + 2; ++guard) {
    auto got = r.next(record);
    if (!got) {
      (void)got.error().render();
      if (!r.can_skip_last_error()) break;
      continue;
    }
    if (!*got) break;
    for (std::size_t slot = 0; slot < record.fields.size(); ++slot) {
      const io::Field& f = record.fields[slot];
      if (f.present && !f.defaulted && f.offset > record.raw.size()) std::abort();
      (void)record.error(slot, r.columns()[slot], "anything").render();
    }
    if (guard == size + 2) std::abort();  // more records than bytes: no progress
  }
  ::close(fd);
}

}  // namespace kpi::fuzz
