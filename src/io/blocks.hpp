// blocks.hpp — large buffers on transparent huge pages (internal).
//
// The events log's tables (PodBuffer) and the bulk path's read buffers are
// large, filled front to back, and on a VM where every 4 KiB page fault exits
// to the hypervisor (~14 us here) their faults are a visible share of a run.
// These blocks are mmap'ed, grown by mremap, and asked for transparent huge
// pages before they are touched: one fault per 2 MiB.
#pragma once

#include <cstddef>

namespace kpi::io {

/// Raw memory for large growing arrays: mmap'ed and grown by mremap, so growing
/// copies at most the first 2 MiB (once, onto huge pages) and never holds the
/// old and the new block at once; asked for transparent huge pages (one page
/// fault per 2 MiB, not per 4 KiB) before it is touched.
/// `mapped` is the block's length as mapped (0 for none), updated: blocks of
/// 512 KiB or more are mapped in whole huge pages unless `fit` (a block shrunk
/// to its final size, where a mostly empty last huge page would be waste).
/// `used`: the bytes of `old` in use (kept; a block may be copied to grow).
/// Elsewhere than Linux: realloc.
void* grow_block(void* old, std::size_t& mapped, std::size_t used, std::size_t new_bytes, bool fit = false);
void free_block(void* p, std::size_t mapped) noexcept;
/// Releases the whole pages of [p, p + bytes) of a grow_block block (a hint).
void discard_block(void* p, std::size_t bytes) noexcept;

}  // namespace kpi::io
