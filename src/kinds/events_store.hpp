// src/kinds/events_store.hpp — the compact event log shared by the events
// aggregator, `kpi funnel` and `kpi retention`.
//
// Every event is kept as 16 bytes (timestamp and dense user and event codes),
// plus 8 (session and feature codes) for `kpi compute`, the one analysis that
// reads them; the --by segment and the rare value sit beside the log by index.
// So 100M rows fit in memory; strings are interned once into an arena and
// never copied per row.
// The three analyses cut the log's range into periods with the grid every kind
// shares (period_grid.hpp), so they report identical periods for one input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "../io/blocks.hpp"
#include "kpi/error.hpp"
#include "kpi/input.hpp"
#include "kpi/io/reader.hpp"
#include "kpi/kinds/events.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"
#include "period_grid.hpp"

namespace kpi::events_detail {

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

/// Byte equality, inlined: the ids compared are short, and a call to memcmp
/// cost more than the comparison itself.
inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

using io::discard_block;
using io::free_block;
using io::grow_block;

/// Runs work(0), ..., work(n - 1) at once, work(0) on the calling thread, and
/// waits for them all; then rethrows the first exception (by index) one threw.
/// The events code spreads chunks, ranges of events and ranges of users over
/// the cores with it.
template <class Work>
void run_parallel(std::size_t n, const Work& work) {
  std::vector<std::exception_ptr> failed(n);
  const auto guarded = [&](std::size_t k) noexcept {
    try {
      work(k);
    } catch (...) {
      failed[k] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> threads;
    for (std::size_t k = 1; k < n; ++k) threads.emplace_back(guarded, k);
    if (n > 0) guarded(0);
  }  // joins
  for (const std::exception_ptr& f : failed)
    if (f) std::rethrow_exception(f);
}

/// Growable array of a trivially copyable T on grow_block: std::vector's
/// doubling copied a 10M-event log about four times over and faulted in the
/// old and the new block together.
template <class T>
class PodBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  PodBuffer() = default;
  PodBuffer(const PodBuffer&) = delete;
  PodBuffer& operator=(const PodBuffer&) = delete;
  PodBuffer(PodBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        cap_(std::exchange(other.cap_, 0)),
        mapped_(std::exchange(other.mapped_, 0)) {}
  PodBuffer& operator=(PodBuffer&& other) noexcept {
    if (this != &other) {
      free_block(data_, mapped_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      cap_ = std::exchange(other.cap_, 0);
      mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
  }
  ~PodBuffer() { free_block(data_, mapped_); }

  /// Room for at least n elements without growing.
  void reserve(std::size_t n) {
    if (n <= cap_) return;
    data_ = static_cast<T*>(grow_block(data_, mapped_, size_ * sizeof(T), n * sizeof(T)));
    cap_ = n;
  }
  /// Gives back the memory beyond the size (whole pages), e.g. of a buffer
  /// reserved for more than it got.
  void shrink_to_fit() {
    constexpr std::size_t kPage = 4096;
    const std::size_t keep = (std::max<std::size_t>(size_, 1) * sizeof(T) + kPage - 1) / kPage * kPage / sizeof(T);
    if (data_ == nullptr || keep >= cap_) return;
    data_ = static_cast<T*>(grow_block(data_, mapped_, size_ * sizeof(T), keep * sizeof(T), true));
    cap_ = keep;
  }
  /// Makes the size n, the new elements uninitialised (to be written before read).
  /// REQUIRES: n <= the capacity (reserve(n) first).
  void resize_for_overwrite(std::size_t n) noexcept { size_ = n; }
  /// Gives the memory of the pages wholly inside elements [from, to) back to
  /// the system; those elements read as zero (or garbage) afterwards. For a
  /// buffer being copied elsewhere piece by piece, so that the copy and the
  /// original are never whole at once.
  void discard_range(std::size_t from, std::size_t to) noexcept {
    // grow_block's blocks start on a page, so byte offsets round as addresses do.
    constexpr std::size_t kPage = 4096;
    const std::size_t lo = (from * sizeof(T) + kPage - 1) / kPage * kPage, hi = to * sizeof(T) / kPage * kPage;
    if (hi > lo) discard_block(reinterpret_cast<char*>(data_) + lo, hi - lo);
  }

  /// Size 0, keeping the memory.
  void clear() noexcept { size_ = 0; }
  /// Makes the size n (n >= size()), the new elements copies of `fill`;
  /// the capacity at least doubles when it grows.
  void grow_to(std::size_t n, const T& fill) {
    if (n > cap_) reserve(std::max({n, cap_ * 2, std::size_t{4096}}));
    std::fill(data_ + size_, data_ + n, fill);
    size_ = n;
  }
  void push_back(const T& v) {
    if (size_ == cap_) grow();
    data_[size_++] = v;
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

 private:
  void grow() {
    const std::size_t cap = cap_ == 0 ? 4096 : cap_ * 2;
    data_ = static_cast<T*>(grow_block(data_, mapped_, size_ * sizeof(T), cap * sizeof(T)));
    cap_ = cap;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0, cap_ = 0;
  std::size_t mapped_ = 0;  // bytes, see grow_block
};

/// Whether absorbing a part of `part` records into a log of `log` records
/// copies them rather than moving its runs over: a part under a quarter of the
/// log (a pipe's block) is copied, so runs stay few (O(log n)) and the part
/// keeps its memory for the next block; a larger one (a file's chunk) moves.
constexpr bool absorbs_by_copy(std::size_t part, std::size_t log) noexcept { return part < log / 4; }

/// Records numbered by code (session ids, session tallies) kept in runs:
/// absorbing a large bulk part (a file's chunk) moves its records over instead
/// of copying them (tens of MB of fresh pages on a large file), while a small
/// one (a pipe's block) is copied, so that runs stay few and the part keeps
/// its memory for the next block. Code c is the c-th record across the runs
/// in order. A part has one run, where a lookup is an index; with several, it
/// searches the runs' first codes.
template <class T>
class CodedRuns {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Appends a record with the next code (in the last run).
  void push_back(const T& v) {
    if (runs_.empty()) {
      runs_.emplace_back();
      bases_.push_back(0);
    }
    runs_.back().push_back(v);
    ++size_;
  }
  T& operator[](std::size_t code) noexcept {
    const auto [r, i] = locate(code);
    return runs_[r][i];
  }
  const T& operator[](std::size_t code) const noexcept {
    const auto [r, i] = locate(code);
    return runs_[r][i];
  }
  /// Appends `other`'s records after this one's, `other` left empty: its
  /// code c becomes base + c, base being the return value. Its runs move over,
  /// or are copied into the last run (absorbs_by_copy).
  std::size_t adopt(CodedRuns&& other) {
    const std::size_t base = size_;
    if (!runs_.empty() && absorbs_by_copy(other.size_, size_)) {
      PodBuffer<T>& last = runs_.back();  // (grows by doubling)
      other.for_each([&](std::size_t, const T& v) { last.push_back(v); });
      size_ += other.size_;
      other.clear();
      return base;
    }
    for (PodBuffer<T>& run : other.runs_) {
      if (run.empty()) continue;
      bases_.push_back(size_);
      size_ += run.size();
      runs_.push_back(std::move(run));
    }
    other.clear();
    return base;
  }
  /// No records. A single run keeps its memory (a part filled again and again).
  void clear() noexcept {
    if (runs_.size() > 1) runs_.resize(1);
    if (!runs_.empty()) runs_.front().clear();
    bases_.resize(runs_.size());
    size_ = 0;
  }
  /// The runs, in code order (to update records in place).
  std::vector<PodBuffer<T>>& runs() noexcept { return runs_; }
  /// Calls f(code, record) for every record, in code order.
  template <class F>
  void for_each(const F& f) const {
    for_each(0, size_, f);
  }
  /// The same for codes [lo, hi).
  template <class F>
  void for_each(std::size_t lo, std::size_t hi, const F& f) const {
    for (std::size_t r = 0; r < runs_.size() && lo < hi; ++r) {
      const std::size_t end = bases_[r] + runs_[r].size();
      for (; lo < std::min(hi, end); ++lo) f(lo, runs_[r][lo - bases_[r]]);
    }
  }

 private:
  std::pair<std::size_t, std::size_t> locate(std::size_t code) const noexcept {
    if (runs_.size() == 1) return {0, code};
    const std::size_t r = static_cast<std::size_t>(std::upper_bound(bases_.begin(), bases_.end(), code) - bases_.begin()) - 1;
    return {r, code - bases_[r]};
  }
  std::vector<PodBuffer<T>> runs_;
  std::vector<std::size_t> bases_;  // each run's first code
  std::size_t size_ = 0;
};

/// Append-only storage for string bytes, in chunks that never move: 64 KiB
/// first, doubling up to 4 MiB (large ones on huge pages, see grow_block).
class StringArena {
 public:
  std::string_view store(std::string_view s);
  /// Takes over `other`'s strings (views of them stay valid).
  void adopt(StringArena&& other);
  /// Forgets every string (views of them dangle), keeping the largest chunk.
  void clear() noexcept;

 private:
  std::vector<PodBuffer<char>> chunks_;
  std::size_t chunk_used_ = 0, chunk_size_ = 0;
};

/// The few names met last, by their bytes (up to 16), with the id and the row
/// kind they stand for: an export's event names are few, so most rows find
/// theirs here, with neither a hash nor a probe of the pool. Direct-mapped: a
/// name that meets another's place, or a longer one, costs a pool lookup.
class RecentNames {
 public:
  struct Found {
    std::uint32_t id = kNone;  ///< kNone: not remembered
    std::uint8_t kind = 0;
  };
  Found find(std::string_view name) const noexcept;
  void remember(std::string_view name, std::uint32_t id, std::uint8_t kind) noexcept;
  void clear() noexcept { *this = RecentNames{}; }

 private:
  static constexpr std::size_t kMaxBytes = 16, kEntries = 16;
  // A name of up to 16 bytes as its size and two words (its first and last 8
  // bytes, overlapping; one word twice for a short name): equal exactly when the names are.
  struct Entry {
    std::uint64_t head = 0, tail = 0;
    std::uint32_t size = 0;  ///< 0: empty
    std::uint32_t id = kNone;
    std::uint8_t kind = 0;
  };
  static Entry key_of(std::string_view name) noexcept;
  static std::size_t place(const Entry& key) noexcept {
    return static_cast<std::size_t>(((key.head ^ key.size) * 0x9E3779B97F4A7C15ULL) >> 60);  // (kEntries: 16)
  }
  Entry entries_[kEntries];
};

/// Strings → dense ids. Open addressing over an arena; a lookup of a known
/// string neither hashes twice nor allocates.
class StringPool {
 public:
  StringPool();
  /// Forgets every string, keeping the table's and the arena's memory (for a
  /// pool filled again and again, without faulting in fresh pages each time).
  void clear();
  std::uint32_t intern(std::string_view s) { return intern(s, tag(s)); }
  /// As above with `s`'s tag already computed (e.g. on another thread).
  std::uint32_t intern(std::string_view s, std::uint32_t tag);
  /// Hash bits and length of `s`, which decide its slot.
  static std::uint32_t tag(std::string_view s) noexcept;
  /// A hint that a string with this tag comes soon: fetches its first slot.
  void prefetch(std::uint32_t tag) const noexcept;
  /// The id in the first slot for this tag if the tag matches (a guess: it is
  /// not compared with the string), else kNone. For prefetching only.
  std::uint32_t guess(std::uint32_t tag) const noexcept;
  /// The id of `s`, or kNone.
  std::uint32_t find(std::string_view s) const noexcept;
  std::string_view str(std::uint32_t id) const noexcept { return strs_[id]; }
  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(strs_.size()); }

 private:
  // One probe touches one slot: the tag (hash bits, and the length in its low
  // 4 bits) and the first 8 bytes decide equality for strings of up to 8 bytes
  // (typical user ids) without a second cache miss on strs_ and the arena.
  struct Slot {
    std::uint64_t head = 0;  ///< first ≤ 8 bytes, zero-padded
    std::uint32_t tag = 0;
    std::uint32_t id1 = 0;   ///< id + 1; 0 = empty
  };
  void grow();
  bool matches(const Slot& slot, std::uint32_t tag, std::uint64_t head, std::string_view s) const noexcept;
  PodBuffer<Slot> table_;  // on huge pages: one probe per row, at random
  PodBuffer<std::string_view> strs_;  // (grown without a copy, unlike a vector)
  StringArena arena_;
};

/// Session ids, kept per user instead of interned globally: they are nearly
/// unique, so a global table held one entry per session and missed the cache on
/// every row. A user's row mostly repeats their previous id, which is all `add`
/// checks; equal ids of one user may therefore get several codes, and sessions
/// are formed by comparing the ids' text (`str`), never the codes.
/// 24 bytes a code: an id of up to 16 bytes (typical: a UUID's hex half, a
/// hash) is kept inline, a longer one in an arena.
class SessionIds {
 public:
  std::uint32_t add(std::uint32_t user, std::string_view sid);
  /// Appends `other`'s codes after this one's: code c of `other` is base + c,
  /// base being the return value. Users' latest ids stay this one's (a stale
  /// latest id costs a new code for an equal id later, never a wrong result).
  std::uint32_t append(SessionIds&& other);
  /// No ids, keeping the memory of the per-user and per-code tables (after
  /// append has taken the arena).
  void clear() noexcept;
  /// Makes `user`'s next id a new code, even if it repeats their latest one.
  void forget_latest(std::uint32_t user) noexcept {
    if (user < last_.size()) last_[user] = Latest{};
  }
  /// A hint that `user`'s session id is looked at soon.
  void prefetch(std::uint32_t user) const noexcept {
    if (user < last_.size()) __builtin_prefetch(&last_[user]);
  }
  /// Codes given so far.
  std::size_t size() const noexcept { return texts_.size(); }
  /// The id's text. The view lasts until the next add or append.
  std::string_view str(std::uint32_t code) const noexcept {
    const Text& t = texts_[code];
    const std::size_t size = t.key & kSizeMask;
    if (size <= kInline) return {t.bytes, size};
    const char* at;
    std::size_t long_size;
    std::memcpy(&at, t.bytes, sizeof at);
    std::memcpy(&long_size, t.bytes + 8, sizeof long_size);
    return {at, long_size};
  }
  /// Whether two codes stand for the same id: the key (a hash and the size)
  /// settles most comparisons without comparing the ids' text.
  bool same(std::uint32_t a, std::uint32_t b) const noexcept {
    return a == b || (texts_[a].key == texts_[b].key && same_bytes(str(a), str(b)));
  }
  /// 32 bits of the id's hash: equal ids have equal tags.
  std::uint32_t tag(std::uint32_t code) const noexcept { return static_cast<std::uint32_t>(texts_[code].key >> 32); }
  /// Whether code a's id orders before code b's, by key first (an order that
  /// groups equal ids, not the ids' text order).
  bool before(std::uint32_t a, std::uint32_t b) const noexcept {
    if (texts_[a].key != texts_[b].key) return texts_[a].key < texts_[b].key;
    return str(a) < str(b);
  }

 private:
  static constexpr std::size_t kInline = 16;
  static constexpr std::uint64_t kSizeMask = 0xFFFF;  // a size of 0xFFFF or more reads as 0xFFFF
  // An id's key (hash bits above the size, capped) and its bytes: the id itself
  // when it has at most kInline bytes, else where it lies in the arena and its size.
  struct Text {
    std::uint64_t key;
    char bytes[kInline];
  };
  static_assert(sizeof(Text) == 24);
  // An id of up to 16 bytes is kept here too: one cache miss per row, not two.
  struct Latest {
    std::uint32_t code = kNone;
    std::uint32_t size = 0;
    char head[16] = {};
    bool is(std::string_view sid, const SessionIds& ids) const noexcept {
      if (code == kNone || size != sid.size()) return false;
      return sid.size() <= sizeof head ? same_bytes({head, sid.size()}, sid) : same_bytes(ids.str(code), sid);
    }
  };
  PodBuffer<Latest> last_;  // per user: their latest id (on huge pages, read at random)
  CodedRuns<Text> texts_;   // per code
  StringArena arena_;       // ids longer than kInline
};

/// One event in 16 bytes: what every analysis reads. Its session and feature
/// codes (EventDetail) are kept, run for run beside the events, only when
/// LogColumns asks for them. The segment (only with --by) and the value (rare:
/// a purchase's amount) live beside the log, by event index: EventLog::seg_of
/// and value_of, or SortedEvents::seg and value.
struct Event {
  time::Micros ts;
  std::uint32_t user;
  std::uint32_t event;
};
static_assert(sizeof(Event) == 16);

/// What `kpi compute` reads of an event beyond Event: 8 bytes that funnel and
/// retention (most of the memory of their runs) do without.
struct EventDetail {
  std::uint32_t session = kNone;  ///< kNone when blank or no column
  std::uint32_t feature = kNone;  ///< kNone when blank or no column
};

/// One session code's rows, tallied as they are stored (LogColumns::
/// session_tallies). A session by id is its user's rows with that id, in any
/// order and however far apart: its first and last instants and its counts
/// are all an analysis reads of it, so its rows need not be kept for it.
struct SessionTally {
  time::Micros first = 0, last = 0;
  std::uint32_t user = 0;
  std::uint32_t rows = 0;
  /// SessionIds::tag of the id: tallies of equal ids have equal tags, so
  /// grouping a user's tallies by id rarely needs the ids themselves.
  std::uint32_t tag = 0;
  std::uint16_t page_views = 0, clicks = 0;  ///< a code ends before a count overflows
};
static_assert(sizeof(SessionTally) == 32);

/// Event indices are 32-bit (the sort's permutation): a log holds fewer events.
inline constexpr std::size_t kMaxEvents = 0xFFFFFFFFu;

/// Local day of an instant, caching the current day's bounds (consecutive
/// timestamps of one user mostly fall on the same day).
class DayCache {
 public:
  explicit DayCache(const time::Zone& zone) : zone_(zone) {}
  time::Day operator()(time::Micros ts) {
    if (ts >= lo_ && ts < hi_) return day_;
    day_ = zone_.local_day(ts);
    lo_ = zone_.day_start(day_);
    hi_ = zone_.day_start(day_ + 1);
    if (ts < lo_ || ts >= hi_) lo_ = hi_ = 0;  // defensive: never cache a wrong day
    return day_;
  }

 private:
  const time::Zone& zone_;
  time::Micros lo_ = 0, hi_ = 0;
  time::Day day_ = 0;
};

/// Which optional columns an analysis reads.
struct LogColumns {
  bool session = false, feature = false, value = false;
  std::vector<std::string> by;
  /// When not empty, the only event names whose rows are stored; the others
  /// still set the log's range (min_ts, max_ts). For an analysis that never
  /// looks at other events (a funnel's steps). REQUIRES: `by` empty.
  std::vector<std::string> only_events;
  /// Rows of these event names count as a session's page views and clicks.
  struct SessionCounts {
    std::string page_view, click;
  };
  /// When set (with `session`, without `by`): each session code's rows are
  /// tallied as they are stored (EventLog::session_tallies), over every row,
  /// whatever the analysis range. A row with a session id is then needed for
  /// its session no longer, and may fold (RowFold).
  std::optional<SessionCounts> session_tallies;
};

/// Rows an analysis needs only at their user's earliest instant within a span:
/// retention needs, per user, the periods with a start or a return and the
/// first start (so one row per user, kind and local day does); a funnel's
/// entry is the user's first in-range row of step 1 (so one row per user does,
/// when step 1 is no later step). `classify` gives each event name a class
/// from 1 to 3, rows of one class being interchangeable but for their instant,
/// or 0 for rows never folded. A row whose user already has a stored row of
/// its class and span is not stored: that row keeps the earlier instant of
/// the two. A user has one such row per class at a time (the one of their
/// latest span), and folding happens within one bulk part (a chunk of a file,
/// a block of a pipe): rows out of day order, or in several parts, fold less,
/// never wrongly. On time-ordered exports the log then grows with users and
/// days, not rows. A log keeping EventDetail folds only rows it need not keep
/// for their details: rows with a session id it tallies (LogColumns::
/// session_tallies), no feature and no value.
struct RowFold {
  enum class Span : std::uint8_t {
    day,    ///< the local day (whole days: a period, or the range, never cuts one)
    range,  ///< every instant from --from on; rows before --from are not folded
  };
  std::function<std::uint8_t(std::string_view event)> classify;  ///< empty: no folding
  Span span = Span::day;
};

/// The record sink part: validates and stores events. Parsing the timestamp
/// and value and hashing the ids need no state, so a reader thread does them
/// ahead (the RecordPreparer part); add() interns and stores.
class EventLog final : public io::RecordPreparer {
 public:
  EventLog(LogColumns columns, const TimeContext& time);
  /// An empty log with `other`'s columns already bound (a part of add_bulk).
  struct SameColumns {};
  EventLog(const EventLog& other, SameColumns);

  std::vector<std::string> columns(const std::vector<std::string>& available);
  /// Folds rows from now on as `fold` says. REQUIRES: no row added yet; no
  /// --by; session_tallies, or no session, feature nor value column (a folded
  /// row would lose its own).
  void fold_rows(RowFold fold);
  Status add(const io::Record& record);
  /// RecordSink::add_bulk: the file's rows parsed on every core, each as add()
  /// would take it; nullopt (log unchanged) if the bulk path declines, or a
  /// row would be rejected: the record reader then reads the file and says why.
  std::optional<std::uint64_t> add_bulk(const io::BulkInput& input);
  /// RecordSink::add_bulk_stream: a pipe's blocks parsed on every core and
  /// absorbed in order, up to the first block with a row add() would not take.
  std::uint64_t add_bulk_stream(io::BulkStream& stream);
  void prepare(io::Record& record) const noexcept override;
  void prefetch(const io::Prepared& prepared, Ahead ahead) const noexcept override;

  /// Events stored, in input order (rows of names LogColumns::only_events
  /// leaves out are not stored). They lie in runs (one per bulk chunk, and
  /// one that add() appends to), so absorbing a chunk never copies its events.
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// The event at input index i (a search over the runs: for tests and checks).
  const Event& event(std::size_t i) const noexcept;
  /// Its details (both kNone when the log keeps none).
  EventDetail detail(std::size_t i) const noexcept;
  /// Whether the log keeps each event's EventDetail (LogColumns session or feature).
  bool has_details() const noexcept { return cols_.session || cols_.feature; }
  /// Hands the runs over (in input order); the log holds no events afterwards.
  std::vector<PodBuffer<Event>> take_runs() noexcept;
  /// Hands the details' runs over, run for run as take_runs's (none when
  /// !has_details()).
  std::vector<PodBuffer<EventDetail>> take_details() noexcept { return std::exchange(details_, {}); }
  /// The runs, in input order, left in the log (for scans that need no order
  /// beyond the input's, see for_each_slice).
  const std::vector<PodBuffer<Event>>& runs() const noexcept { return runs_; }
  /// Segment (combination of --by values) of the event at input index i.
  std::uint32_t seg_of(std::size_t i) const noexcept { return segs_of_.empty() ? unsegmented_ : segs_of_[i]; }
  /// The value of the event at input index i, or nullptr when it has none.
  const double* value_of(std::size_t i) const noexcept;
  /// The input indices of the events with a value, ascending, and their values.
  std::span<const std::uint32_t> value_rows() const noexcept { return {value_rows_.begin(), value_rows_.size()}; }
  std::span<const double> values() const noexcept { return values_; }
  const StringPool& users() const noexcept { return users_; }
  const StringPool& names() const noexcept { return names_; }  ///< event names
  const StringPool& features() const noexcept { return features_; }
  const SessionIds& sessions() const noexcept { return sessions_; }
  /// Whether the log tallies sessions (LogColumns::session_tallies).
  bool tallies_sessions() const noexcept { return cols_.session_tallies.has_value(); }
  /// Per session code, its rows' tally (empty without LogColumns::session_tallies).
  const CodedRuns<SessionTally>& session_tallies() const noexcept { return tallies_; }
  std::uint32_t segment_count() const noexcept { return segs_.size(); }
  /// --by name/value pairs of segment s, in --by order.
  Dims segment_dims(std::uint32_t s) const;
  /// Segment ids sorted by their dims ascending.
  std::vector<std::uint32_t> sorted_segments() const;
  const std::vector<std::string>& by() const noexcept { return cols_.by; }
  /// --by columns no input file had (reported as an error by the analyses).
  std::vector<std::string> missing_by() const;
  /// An Error naming the --by columns no input had, or ok.
  Status check_by() const;
  std::optional<time::Micros> min_ts() const noexcept { return min_ts_; }
  std::optional<time::Micros> max_ts() const noexcept { return max_ts_; }
  const TimeContext& time() const noexcept { return time_; }

 private:
  // What the fast checks of a row found; `ok` is false when reject() must name a problem.
  struct Decoded {
    time::Micros ts = 0;
    double value = 0;  ///< not packed: values are rare, add() parses them again
    std::uint32_t user_tag = 0, feature_tag = 0;  ///< (an event name's tag: only if not in recent_names_)
    bool ok = false, has_value = false;
  };
  Decoded decode(const io::Record& record) const noexcept;
  /// decode() of a row whose slot texts (trimmed, "" when absent) text_of(slot)
  /// gives; `memo` (may be null) is the calling thread's DateMemo.
  template <class TextOf>
  Decoded decode_texts(const TextOf& text_of, time::TimestampParser::DateMemo* memo) const noexcept;
  /// Interns and appends a decoded row (d.ok).
  template <class TextOf>
  void store(const Decoded& d, const TextOf& text_of);
  bool take(io::BulkChunk& chunk);
  void absorb(EventLog& part, std::size_t threads);
  // A part's ids as this log's: string ids through maps, session codes past a base.
  struct PartIds {
    std::vector<std::uint32_t> users, names, features;
    std::uint32_t session_base = 0;
    void remap(Event& e) const noexcept {
      e.user = users[e.user];
      e.event = names[e.event];
    }
    void remap(EventDetail& d) const noexcept {
      if (d.session != kNone) d.session += session_base;
      if (d.feature != kNone) d.feature = features[d.feature];
    }
  };
  void append_copies(EventLog& part, const PartIds& ids);
  void remap_and_move(EventLog& part, const PartIds& ids, std::size_t threads);
  void recycle_part();
  void take_data(EventLog& part);
  // row_kind: kLeftOut, or the RowFold class (bits kFoldClass) and whether the
  // row counts as a session's page view or click (session_tallies).
  static constexpr std::uint8_t kLeftOut = 0xFF;  // LogColumns::only_events leaves it out
  static constexpr std::uint8_t kFoldClass = 0x3, kPageViewRow = 0x4, kClickRow = 0x8;
  std::uint8_t row_kind(std::uint32_t event);
  /// Whether one more row might not fit: event indices and session codes are
  /// 32-bit, and a folded log takes more rows than it keeps.
  bool full() const noexcept { return count_ >= kMaxEvents || sessions_.size() >= kMaxEvents; }
  void tally_session(std::uint32_t code, const Event& e, std::uint8_t kind);
  bool foldable(const EventDetail& detail, const Decoded& d) const noexcept;
  bool folded_into_earlier(const Event& e, std::uint8_t fold_class);
  void forget_fold_slots() noexcept;
  static io::Prepared pack(const Decoded& d) noexcept;
  static Decoded unpack(const io::Prepared& p) noexcept;
  Status reject(const io::Record& record) const;

  LogColumns cols_;
  const TimeContext& time_;
  // Slots of the current file (kNoSlot when absent).
  std::size_t s_user_ = 0, s_ts_ = 1, s_event_ = 2;
  std::size_t s_session_, s_feature_, s_value_;
  std::vector<std::size_t> s_by_;
  std::vector<bool> by_seen_;
  std::vector<std::string_view> by_vals_;
  std::size_t slot_count_ = 0;  // bound slots (columns()' size)
  std::string seg_key_;
  std::vector<PodBuffer<Event>> runs_;  // see size()
  std::vector<PodBuffer<EventDetail>> details_;  // with has_details(): run for run as runs_
  std::vector<std::uint8_t> row_kinds_;  // per event code known so far: row_kind()
  std::size_t count_ = 0;               // events in runs_
  PodBuffer<std::uint32_t> segs_of_;    // per event, only with --by
  PodBuffer<std::uint32_t> value_rows_;  // indices of the events with a value, ascending
  std::vector<double> values_;           // their values
  StringPool users_, names_, features_, segs_;
  RecentNames recent_names_;  // of names_, with row_kind: cleared with it
  SessionIds sessions_;
  CodedRuns<SessionTally> tallies_;  // per session code, with session_tallies
  std::uint32_t unsegmented_ = kNone;  // the one segment without --by, once interned
  std::optional<time::Micros> min_ts_, max_ts_;
  // Row folding (fold_rows): per class (1-3) and user, the row of the current
  // run that rows of that class and span fold into, and its instant (so that
  // a later row, the usual case, costs no read of the run).
  struct FoldSlot {
    time::Micros ts = 0;
    std::uint32_t pos = kNone;  ///< index in runs_.back(); kNone: none yet
    std::int32_t span = 0;      ///< its local day, or 0 (RowFold::Span::range)
  };
  RowFold fold_;
  PodBuffer<FoldSlot> fold_slots_[3];    // by class - 1, then user; only classes met
  time::Micros fold_from_ = std::numeric_limits<time::Micros>::min();  // --from's first instant
  DayCache fold_day_;
};

/// The analysis range of the log's data cut into periods of `p` ([--from, --to],
/// missing bounds taken from the first/last local day present). nullopt when
/// there is no data and no bounds, or the range is empty; an Error when it
/// holds more than kinds::PeriodGrid::kMaxPeriods periods.
Expected<std::optional<kinds::PeriodGrid>> make_grid(const EventLog& log, time::Period p);
/// make_grid for `kpi funnel` and `kpi retention`, after check_by; when there
/// is no range, nullopt and a warning that `command` has nothing to report.
Expected<std::optional<kinds::PeriodGrid>> analysis_grid(const EventLog& log, time::Period p,
                                                         std::string_view command,
                                                         std::vector<std::string>& warnings);

/// Values carried through a sort: (position in sorted order, value), by position.
using PlacedValues = std::vector<std::pair<std::uint32_t, double>>;

/// The log's events in sorted order: a copy of each event in that order (read
/// front to back by the analyses, so each user's events are contiguous in
/// memory) and, when asked for, the permutation of input indices (for the rare
/// lookups by input index: segment and value) or the values carried along.
class SortedEvents {
 public:
  SortedEvents(const EventLog& log, PodBuffer<Event> events, PodBuffer<EventDetail> details,
               PodBuffer<std::uint32_t> order, bool indexed, PlacedValues carried)
      : log_(log), events_(std::move(events)), details_(std::move(details)), order_(std::move(order)),
        carried_(std::move(carried)), indexed_(indexed) {}
  std::size_t size() const noexcept { return events_.size(); }
  bool empty() const noexcept { return events_.empty(); }
  const Event& operator[](std::size_t i) const noexcept { return events_[i]; }
  /// The session and feature codes of the event at position i.
  /// REQUIRES: the log has_details().
  const EventDetail& detail(std::size_t i) const noexcept { return details_[i]; }
  /// REQUIRES: sorted with SortPlan::input_index, or the log has no --by.
  std::uint32_t seg(std::size_t i) const noexcept { return indexed_ ? log_.seg_of(order_[i]) : log_.seg_of(0); }
  /// The value of the event at position i, or nullptr when it has none.
  /// REQUIRES: sorted with SortPlan::input_index or SortPlan::values.
  const double* value(std::size_t i) const noexcept;

 private:
  const EventLog& log_;
  PodBuffer<Event> events_;
  PodBuffer<EventDetail> details_;  // empty unless the log has_details()
  PodBuffer<std::uint32_t> order_;
  PlacedValues carried_;
  bool indexed_;
};

/// Calls piece(run, base, lo, hi) for each run (in order) holding events of
/// input indices [from, to): run[lo..hi) are those events, `base` the input
/// index of run[0]. `Runs` is a (const) vector of PodBuffer<Event>.
template <class Runs, class Piece>
void for_each_piece(Runs& runs, std::size_t from, std::size_t to, const Piece& piece) {
  std::size_t base = 0;
  for (auto& run : runs) {
    const std::size_t lo = std::max(from, base), hi = std::min(to, base + run.size());
    if (lo < hi) piece(run, base, lo - base, hi - base);
    base += run.size();
  }
}

/// Cuts the log's events into `slices` consecutive ranges of about equal size
/// and runs them at once (run_parallel): visit(t, span) is called, on one
/// thread per t, for each piece of slice t in input order. For analyses that
/// fold events into per-user state in any order, without sorting the log.
template <class Visit>
void for_each_slice(const EventLog& log, std::size_t slices, const Visit& visit) {
  const std::size_t n = log.size();
  run_parallel(slices, [&](std::size_t t) {
    for_each_piece(log.runs(), n * t / slices, n * (t + 1) / slices,
                   [&](const PodBuffer<Event>& run, std::size_t, std::size_t lo, std::size_t hi) {
                     visit(t, std::span<const Event>(run.begin() + lo, hi - lo));
                   });
  });
}

/// What sort_events orders by and keeps.
struct SortPlan {
  /// By (segment, user, timestamp) rather than (user, timestamp).
  bool by_segment = false;
  /// Keep each event's input index (SortedEvents::seg with --by, and value):
  /// 4 bytes an event, written at random, that an analysis without either
  /// does without. Always kept when by_segment.
  bool input_index = true;
  /// Carry the (rare) values along instead, for SortedEvents::value without
  /// the input index. Ignored when by_segment.
  bool values = false;
};

/// The log's events by the plan's order, keeping input order among equals.
/// Takes the events out of the log (log.empty() afterwards): copying them into
/// sorted order frees the log's memory as it goes, so the two copies are never
/// whole at once (except with --by segments).
SortedEvents sort_events(EventLog& log, const SortPlan& plan);

/// Type-7 percentile of a sorted sample; nullopt when empty.
std::optional<double> percentile(const std::vector<double>& sorted, double p);

/// Reads `input` (kind events: detected, or --kind events) into the analysis
/// `make` builds, then finishes it; fills the inputs info and warnings.
Expected<ResultSet> run_events_analysis(
    const InputOptions& input, std::string_view command,
    const std::function<std::unique_ptr<EventsAnalysis>(const TimeContext&)>& make);

/// "PERIOD {name=value, ...}" for warnings (the compute driver's form).
std::string scope(const std::string& period, const Dims& dims);

/// "1234.5" style shortest form for messages.
std::string num(double v);

/// A record sink (Base: the compute Aggregator, or an EventsAnalysis) whose
/// records go to an event log: columns, add and preparer are the log's, so
/// the three analyses differ only in finish().
template <class Base>
class EventLogSink : public Base {
 public:
  std::vector<std::string> columns(const std::vector<std::string>& available) override {
    return log_.columns(available);
  }
  Status add(const io::Record& record) override { return log_.add(record); }
  std::optional<std::uint64_t> add_bulk(const io::BulkInput& input) override { return log_.add_bulk(input); }
  std::uint64_t add_bulk_stream(io::BulkStream& stream) override { return log_.add_bulk_stream(stream); }
  const io::RecordPreparer* preparer() const noexcept override { return &log_; }

 protected:
  EventLogSink(LogColumns columns, const TimeContext& time) : time_(time), log_(std::move(columns), time_) {}

  TimeContext time_;  // a copy: the sink must not depend on the caller keeping it alive
  EventLog log_;      // refers to time_
};

/// The shared shape of funnel and retention: options and an event log of the
/// columns (and rows) the subclass asks for; subclasses write only finish().
template <class Options>
class LoggedAnalysis : public EventLogSink<EventsAnalysis> {
 protected:
  LoggedAnalysis(const Options& options, LogColumns columns, const TimeContext& time)
      : EventLogSink(std::move(columns), time), opt_(options) {}

  Options opt_;
};

}  // namespace kpi::events_detail
