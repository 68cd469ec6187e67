#include "byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kpi::io {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{4} << 20;
// What open() reads at least (unless the first line ends sooner): the BOM and
// format sniff look at the start of the input.
constexpr std::size_t kSniffBytes = std::size_t{64} << 10;
// What a pipe on stdin is asked to hold: Linux's default cap for an
// unprivileged process (/proc/sys/fs/pipe-max-size).
constexpr int kPipeBytes = 1 << 20;

}  // namespace

ByteSource::ByteSource(ByteSource&& other) noexcept { *this = std::move(other); }

ByteSource& ByteSource::operator=(ByteSource&& other) noexcept {
  if (this != &other) {
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
    name_ = std::move(other.name_);
    fd_ = std::exchange(other.fd_, -1);
    owns_fd_ = std::exchange(other.owns_fd_, false);
    data_ = std::move(other.data_);
    capacity_ = std::exchange(other.capacity_, 0);
    pos_ = std::exchange(other.pos_, 0);
    end_ = std::exchange(other.end_, 0);
    base_ = std::exchange(other.base_, 0);
    eof_ = other.eof_;
    regular_ = other.regular_;
    pipe_ = other.pipe_;
  }
  return *this;
}

ByteSource::~ByteSource() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Expected<ByteSource> ByteSource::open(const std::string& path) {
  ByteSource src;
  struct stat st {};
  if (path == "-") {
    src.name_ = "<stdin>";
    src.fd_ = STDIN_FILENO;
    if (::fstat(src.fd_, &st) == 0) {
      // A file redirected to stdin is read at any offset only if read from its
      // start (`(read skip; kpi ...) < file` hands it over part-read).
      src.regular_ = S_ISREG(st.st_mode) && ::lseek(src.fd_, 0, SEEK_CUR) == 0;
      src.pipe_ = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
#ifdef F_SETPIPE_SZ
      // A pipe holds 64 KiB by default: the writer and kpi then take turns
      // every 64 KiB. A larger one (a hint: the system may refuse it) lets
      // both run at once for longer.
      if (S_ISFIFO(st.st_mode)) (void)::fcntl(src.fd_, F_SETPIPE_SZ, kPipeBytes);
#endif
    }
  } else {
    src.name_ = path;
    src.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (src.fd_ < 0) {
      return Error(Location{path, 0, 0, {}}, std::string("cannot open: ") + std::strerror(errno));
    }
    src.owns_fd_ = true;
    if (::fstat(src.fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      return Error(Location{path, 0, 0, {}}, "cannot read: is a directory");
    }
    src.regular_ = S_ISREG(st.st_mode);
    src.pipe_ = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
#ifdef POSIX_FADV_SEQUENTIAL
    (void)::posix_fadvise(src.fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  }
  src.capacity_ = kChunkBytes;
  src.data_ = std::make_unique_for_overwrite<char[]>(src.capacity_);
  // A pipe may deliver the first bytes in pieces: read on until the first line
  // is complete (or 64 KiB, or the end), so the BOM check and the format sniff
  // see the whole start, as they do with a file.
  do {
    auto more = src.fill();
    if (!more) return std::move(more).error();
  } while (!src.eof_ && src.end_ < kSniffBytes &&
           std::memchr(src.data_.get(), '\n', src.end_) == nullptr);
  return src;
}

Expected<bool> ByteSource::fill() {
  if (eof_) return false;
  // Keep the unconsumed tail at the front; grow when it already fills the buffer.
  const std::size_t tail = end_ - pos_;
  if (pos_ > 0) {
    std::memmove(data_.get(), data_.get() + pos_, tail);
    base_ += pos_;
    pos_ = 0;
    end_ = tail;
  }
  if (end_ + kChunkBytes / 2 > capacity_) {
    if (capacity_ >= kMaxRecordBytes) {
      return Error(Location{name_, 0, 0, {}},
                   "a single record is longer than 1 GiB; is this file in the right format?");
    }
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity_ * 2);
    std::memcpy(bigger.get(), data_.get(), end_);
    data_ = std::move(bigger);
    capacity_ *= 2;
  }
  while (true) {
    const ssize_t n = ::read(fd_, data_.get() + end_, capacity_ - end_);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    return Error(Location{name_, 0, 0, {}}, std::string("cannot read: ") + std::strerror(errno));
  }
}

void ByteSource::restart(std::string_view bytes, std::uint64_t offset) {
  if (bytes.size() + kChunkBytes / 2 > capacity_) {
    capacity_ = bytes.size() + kChunkBytes;
    data_ = std::make_unique_for_overwrite<char[]>(capacity_);
  }
  if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
  pos_ = 0;
  end_ = bytes.size();
  base_ = offset;
  // eof_ stays: the descriptor's position is right after `bytes`.
}

Expected<bool> ByteSource::fill_to(std::size_t bytes) {
  auto more = fill();
  if (!more || !*more) return more;
  // Stop before the next fill() would grow the buffer: a file fills it in one read,
  // and a pipe then needs no more memory than a file.
  while (end_ - pos_ < bytes && end_ + kChunkBytes / 2 <= capacity_) {
    more = fill();
    if (!more) return more;
    if (!*more) break;
  }
  return true;
}

}  // namespace kpi::io
