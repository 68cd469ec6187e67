// byte_source.hpp — a growable read buffer over a file descriptor (internal).
//
// Readers parse records straight out of `window()`; when a record runs past the
// bytes read so far they call `fill()`, which keeps the unconsumed tail, reads
// more, and grows the buffer only when one record is larger than it. Memory is
// therefore bounded by the chunk size plus the longest record, never the file.
// A reader that would parse a record again from its start after each fill()
// keeps its scan position instead (csv_reader) or asks for a doubled window
// (fill_to, json_reader): a pipe returns at most 64 KiB per read, so restarting
// after every read made a long record cost its size squared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kpi/error.hpp"

namespace kpi::io {

class ByteSource {
 public:
  /// Largest single record accepted (a longer one is an error, not an OOM).
  static constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 30;

  ByteSource() = default;
  ByteSource(ByteSource&&) noexcept;
  ByteSource& operator=(ByteSource&&) noexcept;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  ~ByteSource();

  /// Opens `path` ("-" = standard input) and reads the first chunk.
  static Expected<ByteSource> open(const std::string& path);

  const std::string& name() const noexcept { return name_; }
  /// Unconsumed bytes read so far.
  std::string_view window() const noexcept { return {data_.get() + pos_, end_ - pos_}; }
  bool eof() const noexcept { return eof_; }
  void consume(std::size_t n) noexcept { pos_ += n; }
  /// Byte offset in the input of the window's first byte (bytes consumed so far).
  std::uint64_t offset() const noexcept { return base_ + pos_; }
  /// The descriptor read, and whether it is a regular file (which can be read
  /// at any offset, e.g. by the bulk path on several threads).
  int fd() const noexcept { return fd_; }
  bool is_regular_file() const noexcept { return regular_; }
  /// Whether the input is a pipe or a socket (read once, front to back).
  bool is_pipe() const noexcept { return pipe_; }
  /// Makes `bytes` the window, at input offset `offset`; fill() reads on from
  /// the descriptor after them. For a reader going on where the bulk path
  /// stopped reading a pipe (bulk.hpp, BulkRest).
  void restart(std::string_view bytes, std::uint64_t offset);
  /// Reads more bytes after the window (growing the buffer if the window already
  /// fills it). False at end of input, or an Error for a read failure / a record
  /// beyond kMaxRecordBytes. Invalidates views into the window.
  Expected<bool> fill();
  /// fill(), repeated until the window holds at least `bytes`, the next fill()
  /// would grow the buffer (one read of a file gets that far), or the input ends.
  /// For a parser that restarts a record from its start when it runs out of
  /// bytes: asking for twice the window keeps its total work linear in the
  /// record's size, however few bytes each read returns (a pipe's capacity,
  /// 64 KiB by default, at most), with no more memory than reading a file.
  Expected<bool> fill_to(std::size_t bytes);

 private:
  std::string name_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t base_ = 0;  // input offset of data_[0]
  bool eof_ = false;
  bool regular_ = false;
  bool pipe_ = false;
};

}  // namespace kpi::io
