// libFuzzer target: the JSON and NDJSON reader on arbitrary bytes. A leading
// \x01 selects NDJSON, anything else JSON (so plain seeds are read as JSON,
// which accepts NDJSON-shaped text too). See reader_driver.hpp.
#include "reader_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpi::io::ReaderOptions options;
  options.format = kpi::io::Format::json;
  if (size > 0 && data[0] == 1) {
    options.format = kpi::io::Format::ndjson;
    ++data;
    --size;
  }
  kpi::fuzz::read_all(data, size, options);
  return 0;
}
