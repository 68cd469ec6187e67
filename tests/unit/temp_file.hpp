// Test support: a temporary file holding given bytes, removed on destruction.
// Readers pick the format from the extension, so the name ends in `suffix`.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace kpi::test {

class TempFile {
 public:
  TempFile(std::string_view bytes, std::string_view suffix) {
    path_ = "/tmp/kpi-test-XXXXXX";
    path_.append(suffix);
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

}  // namespace kpi::test
