// libFuzzer target: the delimited-text reader (CSV; TSV and ';' when the first
// byte says so) on arbitrary bytes. See reader_driver.hpp.
#include "reader_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpi::io::ReaderOptions options;
  options.format = kpi::io::Format::csv;
  // Seeds are plain CSV files, so the delimiter choice must not eat their first
  // byte: only a leading \x01/\x02 selects TSV/';'.
  if (size > 0 && (data[0] == 1 || data[0] == 2)) {
    if (data[0] == 1) options.format = kpi::io::Format::tsv;
    else options.delimiter = ';';
    ++data;
    --size;
  }
  kpi::fuzz::read_all(data, size, options);
  return 0;
}
