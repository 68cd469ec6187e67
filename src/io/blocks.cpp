// Large buffers on transparent huge pages (see blocks.hpp).
#include "blocks.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace kpi::io {

#ifdef __linux__
namespace {

constexpr std::size_t kPage = 4096, kHuge = std::size_t{2} << 20;

// The bytes mapped for a block of `bytes`: from a quarter of a huge page on,
// whole huge pages. Linux places a mapping on a huge-page boundary (where
// transparent huge pages can back it) only when its length is a multiple of
// one; a pipe's 3.5 MB runs were otherwise two-thirds 4 KiB pages, a fault each.
// (Past 512 KiB, one fault for 2 MiB costs less than 128 for what is used.)
std::size_t mapped_bytes(std::size_t bytes, bool fit) noexcept {
  const std::size_t unit = bytes < kHuge / 4 || fit ? kPage : kHuge;
  return (bytes + unit - 1) / unit * unit;
}

// Asks for transparent huge pages, before any page of the block is touched: a
// page touched first stays 4 KiB, and so does the rest of its huge page.
void* advise_huge(void* p, std::size_t len) noexcept {
#ifdef MADV_HUGEPAGE
  (void)::madvise(p, len, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
  return p;
}

void* map_block(std::size_t len) {
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return advise_huge(p, len);
}

}  // namespace

void* grow_block(void* old, std::size_t& mapped, std::size_t used, std::size_t new_bytes, bool fit) {
  const std::size_t len = mapped_bytes(new_bytes, fit);
  if (old != nullptr && len == mapped) return old;
  void* p = nullptr;
  if (old == nullptr) {
    p = map_block(len);
  } else if (mapped < kHuge && len >= kHuge) {
    // Moved into a huge-page block, 4 KiB pages would stay 4 KiB, and keep the
    // rest of their first 2 MiB from being a huge page: a fault per 4 KiB there
    // (~500 per growing table). Copying the (under 2 MiB) contents costs less.
    p = map_block(len);
    std::memcpy(p, old, std::min(used, mapped));
    (void)::munmap(old, mapped);
  } else {
    // (Huge pages move whole: the new block starts on a huge page too.)
    p = ::mremap(old, mapped, len, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) throw std::bad_alloc();
    advise_huge(p, len);
  }
  mapped = len;
  return p;
}

void free_block(void* p, std::size_t mapped) noexcept {
  if (p != nullptr) (void)::munmap(p, mapped);
}

void discard_block(void* p, std::size_t bytes) noexcept {
  const std::size_t whole = bytes / kPage * kPage;
  if (p != nullptr && whole > 0) (void)::madvise(p, whole, MADV_DONTNEED);
}
#else
void discard_block(void*, std::size_t) noexcept {}

void* grow_block(void* old, std::size_t& mapped, std::size_t, std::size_t new_bytes, bool) {
  void* p = std::realloc(old, new_bytes);
  if (p == nullptr) throw std::bad_alloc();
  mapped = new_bytes;
  return p;
}

void free_block(void* p, std::size_t) noexcept { std::free(p); }
#endif

}  // namespace kpi::io
