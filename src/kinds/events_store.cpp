// The compact event log of the events kind (see events_store.hpp).
#include "events_store.hpp"

#include "kpi/formulas/stats.hpp"
#include "kpi/io/bulk.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>
#include <system_error>
#include <thread>
#include <utility>

namespace kpi::events_detail {
namespace {

constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

// Fewer events than this are renumbered, grouped or checked on one thread.
constexpr std::size_t kParallelMin = std::size_t{1} << 16;

// Copies every record of `runs`, remapped by `ids` (a part's ids as the log's),
// to the end of `into`, and empties the runs, keeping their memory.
template <typename Record, typename Ids>
void append_remapped(std::vector<PodBuffer<Record>>& runs, PodBuffer<Record>& into, const Ids& ids) {
  for (PodBuffer<Record>& run : runs) {
    for (Record r : run) {
      ids.remap(r);
      into.push_back(r);
    }
    run.clear();
  }
}

// The first min(n, 8) bytes at p as one word, zero-padded: the same value a
// memcpy of them gives on a little-endian machine (on others, still a
// function of those bytes alone), without the call a variable-length memcpy
// costs. Overlapping fixed-size loads cover every length.
inline std::uint64_t load_head(const char* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  if (n >= 8) {
    std::memcpy(&v, p, 8);
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    v = a | (std::uint64_t{b} << ((n - 4) * 8));
  } else if (n > 0) {
    const auto byte = [p](std::size_t k) { return std::uint64_t{static_cast<unsigned char>(p[k])}; };
    v = byte(0) | (byte(n / 2) << (n / 2 * 8)) | (byte(n - 1) << ((n - 1) * 8));
  }
  return v;
}

// FNV-1a would be slow on long ids; this is a simple 64-bit mix per 8 bytes.
std::uint64_t hash_bytes(std::string_view s) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (s.size() * 0xFF51AFD7ED558CCDull);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
  }
  const std::uint64_t tail = load_head(s.data() + i, s.size() - i);
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 32;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 29;
  return h;
}

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// Inlined: these run for every field of every row.
[[gnu::always_inline]] inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[gnu::always_inline]] inline const io::Field* field(const io::Record& r, std::size_t slot) noexcept {
  if (slot == kNoSlot || slot >= r.fields.size()) return nullptr;
  return &r.fields[slot];
}

// Trimmed text, "" when absent.
[[gnu::always_inline]] inline std::string_view text(const io::Record& r, std::size_t slot) noexcept {
  const io::Field* f = field(r, slot);
  if (f == nullptr || !f->present) return {};
  return trim(f->text);
}

Status check_scalar(const io::Record& r, std::size_t slot, std::string_view name) {
  const io::Field* f = field(r, slot);
  if (f != nullptr && f->present && !f->scalar)
    return r.error(slot, name, "a single value, not a JSON object or array");
  return Status::ok();
}

std::optional<double> parse_finite(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  const char* first = s.data();
  if (*first == '+') ++first;  // "+12.5" is a number to people
  double v = 0;
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

// ---- StringArena, StringPool, SessionIds ---------------------------------

std::string_view StringArena::store(std::string_view s) {
  if (s.empty()) return {};
  if (chunk_used_ + s.size() > chunk_size_) {
    constexpr std::size_t kFirst = std::size_t{64} << 10, kLargest = std::size_t{4} << 20;
    chunk_size_ = std::max(s.size(), std::clamp(chunk_size_ * 2, kFirst, kLargest));
    chunks_.emplace_back().reserve(chunk_size_);
    chunk_used_ = 0;
  }
  char* dst = chunks_.back().begin() + chunk_used_;
  std::memcpy(dst, s.data(), s.size());
  chunk_used_ += s.size();
  return {dst, s.size()};
}

void StringArena::adopt(StringArena&& other) {
  // In front: the last chunk stays the one store() fills.
  chunks_.insert(chunks_.begin(), std::make_move_iterator(other.chunks_.begin()),
                 std::make_move_iterator(other.chunks_.end()));
  other.chunks_.clear();
}

void StringArena::clear() noexcept {
  if (chunks_.size() > 1) {
    chunks_.front() = std::move(chunks_.back());  // the largest
    chunks_.resize(1);
  }
  chunk_used_ = 0;
  chunk_size_ = chunks_.empty() ? 0 : chunk_size_;
}

namespace {
// Tag: 28 hash bits (they also choose the slot) and min(length, 15).
std::uint32_t tag_of(std::string_view s) noexcept {
  const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(s.size(), 15));
  return (static_cast<std::uint32_t>(hash_bytes(s) >> 32) & ~0xFu) | len;
}
std::size_t home(std::uint32_t tag, std::size_t mask) noexcept { return (tag >> 4) & mask; }
std::uint64_t head_of(std::string_view s) noexcept { return load_head(s.data(), s.size()); }
}  // namespace

StringPool::StringPool() { table_.grow_to(64, Slot{}); }

bool StringPool::matches(const Slot& slot, std::uint32_t tag, std::uint64_t head,
                         std::string_view s) const noexcept {
  if (slot.tag != tag || slot.head != head) return false;
  return s.size() <= 8 || same_bytes(strs_[slot.id1 - 1], s);  // ≤ 8 bytes: tag holds the length
}

void StringPool::clear() {
  if (table_.empty())
    table_.grow_to(64, Slot{});  // moved from
  else
    std::fill(table_.begin(), table_.end(), Slot{});
  strs_.clear();
  arena_.clear();
}

void StringPool::grow() {
  PodBuffer<Slot> bigger;
  bigger.grow_to(table_.size() * 2, Slot{});
  const std::size_t mask = bigger.size() - 1;
  for (const Slot& slot : table_) {
    if (slot.id1 == 0) continue;
    std::size_t i = home(slot.tag, mask);
    while (bigger[i].id1 != 0) i = (i + 1) & mask;
    bigger[i] = slot;
  }
  table_ = std::move(bigger);
}

std::uint32_t StringPool::find(std::string_view s) const noexcept {
  const std::uint32_t tag = tag_of(s);
  const std::uint64_t head = head_of(s);
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = home(tag, mask);; i = (i + 1) & mask) {
    const Slot& slot = table_[i];
    if (slot.id1 == 0) return kNone;
    if (matches(slot, tag, head, s)) return slot.id1 - 1;
  }
}

std::uint32_t StringPool::tag(std::string_view s) noexcept { return tag_of(s); }

void StringPool::prefetch(std::uint32_t tag) const noexcept {
  __builtin_prefetch(&table_[home(tag, table_.size() - 1)]);
}

std::uint32_t StringPool::guess(std::uint32_t tag) const noexcept {
  const Slot& slot = table_[home(tag, table_.size() - 1)];
  return slot.id1 != 0 && slot.tag == tag ? slot.id1 - 1 : kNone;
}

std::uint32_t StringPool::intern(std::string_view s, std::uint32_t tag) {
  const std::uint64_t head = head_of(s);
  const std::size_t mask = table_.size() - 1;
  std::size_t i = home(tag, mask);
  for (;; i = (i + 1) & mask) {
    const Slot& slot = table_[i];
    if (slot.id1 == 0) break;
    if (matches(slot, tag, head, s)) return slot.id1 - 1;
  }
  const auto id = static_cast<std::uint32_t>(strs_.size());
  strs_.push_back(arena_.store(s));
  table_[i] = Slot{head, tag, id + 1};
  if (strs_.size() * 2 >= table_.size()) grow();  // load factor ≤ 1/2: short probes
  return id;
}

std::uint32_t SessionIds::append(SessionIds&& other) {
  const auto base = static_cast<std::uint32_t>(texts_.adopt(std::move(other.texts_)));
  arena_.adopt(std::move(other.arena_));  // long ids point into it
  return base;
}

void SessionIds::clear() noexcept {
  std::fill(last_.begin(), last_.end(), Latest{});
  texts_.clear();
  arena_.clear();
}

std::uint32_t SessionIds::add(std::uint32_t user, std::string_view sid) {
  if (user >= last_.size()) last_.grow_to(std::max<std::size_t>(user + 1, last_.size() * 2), Latest{});
  Latest& last = last_[user];
  if (last.is(sid, *this)) return last.code;
  last.code = static_cast<std::uint32_t>(texts_.size());
  last.size = static_cast<std::uint32_t>(sid.size());
  std::memcpy(last.head, sid.data(), std::min(sid.size(), sizeof last.head));
  Text t{};
  t.key = (hash_bytes(sid) & ~kSizeMask) | std::min<std::uint64_t>(sid.size(), kSizeMask);
  if (sid.size() <= kInline) {
    std::memcpy(t.bytes, sid.data(), sid.size());
  } else {
    const char* at = arena_.store(sid).data();
    const std::size_t size = sid.size();
    std::memcpy(t.bytes, &at, sizeof at);
    std::memcpy(t.bytes + 8, &size, sizeof size);
  }
  texts_.push_back(t);
  return last.code;
}

// ---- RecentNames ---------------------------------------------------------

RecentNames::Entry RecentNames::key_of(std::string_view name) noexcept {
  Entry key;
  const std::size_t n = name.size();
  if (n == 0 || n > kMaxBytes) return key;  // (size 0: matches no entry in use)
  // Two overlapping words (one, zero-padded, for a short name): with the size,
  // equal exactly when the bytes are.
  key.head = load_head(name.data(), n);
  key.tail = n > 8 ? load_head(name.data() + n - 8, 8) : key.head;
  key.size = static_cast<std::uint32_t>(n);
  return key;
}

RecentNames::Found RecentNames::find(std::string_view name) const noexcept {
  const Entry key = key_of(name);
  const Entry& e = entries_[place(key)];
  if (key.size == 0 || e.size != key.size || e.head != key.head || e.tail != key.tail) return {};
  return {e.id, e.kind};
}

void RecentNames::remember(std::string_view name, std::uint32_t id, std::uint8_t kind) noexcept {
  Entry key = key_of(name);
  if (key.size == 0) return;
  key.id = id;
  key.kind = kind;
  entries_[place(key)] = key;
}

// ---- EventLog ------------------------------------------------------------

EventLog::EventLog(const EventLog& other, SameColumns)
    : cols_(other.cols_),
      time_(other.time_),
      s_session_(other.s_session_),
      s_feature_(other.s_feature_),
      s_value_(other.s_value_),
      s_by_(other.s_by_),
      by_seen_(other.by_seen_),
      by_vals_(other.by_vals_.size()),
      slot_count_(other.slot_count_),
      fold_(other.fold_),
      fold_from_(other.fold_from_),
      fold_day_(other.time_.zone) {}

EventLog::EventLog(LogColumns columns, const TimeContext& time)
    : cols_(std::move(columns)),
      time_(time),
      s_session_(kNoSlot),
      s_feature_(kNoSlot),
      s_value_(kNoSlot),
      s_by_(cols_.by.size(), kNoSlot),
      by_seen_(cols_.by.size(), false),
      by_vals_(cols_.by.size()),
      fold_day_(time.zone) {}

void EventLog::fold_rows(RowFold fold) {
  fold_ = std::move(fold);
  row_kinds_.clear();
  forget_fold_slots();
  if (time_.from) fold_from_ = time_.zone.day_start(*time_.from);
}

std::vector<std::string> EventLog::columns(const std::vector<std::string>& available) {
  auto has = [&](std::string_view name) {
    return std::find(available.begin(), available.end(), name) != available.end();
  };
  std::vector<std::string> names{"user_id", "timestamp", "event"};
  s_session_ = s_feature_ = s_value_ = kNoSlot;
  if (cols_.session && has("session_id")) {
    s_session_ = names.size();
    names.emplace_back("session_id");
  }
  if (cols_.feature && has("feature")) {
    s_feature_ = names.size();
    names.emplace_back("feature");
  }
  if (cols_.value && has("value")) {
    s_value_ = names.size();
    names.emplace_back("value");
  }
  for (std::size_t i = 0; i < cols_.by.size(); ++i) {
    if (has(cols_.by[i])) by_seen_[i] = true;
    s_by_[i] = names.size();
    names.push_back(cols_.by[i]);
  }
  slot_count_ = names.size();
  return names;
}

std::vector<std::string> EventLog::missing_by() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < cols_.by.size(); ++i)
    if (!by_seen_[i]) out.push_back(cols_.by[i]);
  return out;
}

Status EventLog::check_by() const {
  const auto missing = missing_by();
  if (missing.empty()) return Status::ok();
  std::string msg = "--by column";
  msg += missing.size() > 1 ? "s " : " ";
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (i) msg += ", ";
    msg += "'" + missing[i] + "'";
  }
  msg += missing.size() > 1 ? " are" : " is";
  msg += " not in the input";
  return Error(msg);
}

// Each check in the order its error is reported; used only once add()'s fast
// checks failed, to name the first problem.
Status EventLog::reject(const io::Record& r) const {
  static constexpr std::string_view kRequired[] = {"user_id", "timestamp", "event"};
  const std::size_t req_slots[] = {s_user_, s_ts_, s_event_};
  for (std::size_t i = 0; i < 3; ++i) {
    if (Status s = check_scalar(r, req_slots[i], kRequired[i]); !s) return s;
    if (text(r, req_slots[i]).empty()) return r.error(req_slots[i], kRequired[i], "a non-empty value");
  }
  if (!time_.parser.parse(text(r, s_ts_))) return r.error(s_ts_, "timestamp", time_.parser.expectation());
  if (Status s = check_scalar(r, s_session_, "session_id"); !s) return s;
  if (Status s = check_scalar(r, s_feature_, "feature"); !s) return s;
  if (Status s = check_scalar(r, s_value_, "value"); !s) return s;
  if (const std::string_view v = text(r, s_value_); !v.empty() && !parse_finite(v))
    return r.error(s_value_, "value", "a finite number");
  for (std::size_t i = 0; i < s_by_.size(); ++i) {
    if (Status s = check_scalar(r, s_by_[i], cols_.by[i]); !s) return s;
  }
  return Error("events: row rejected without a reason (please report this)");
}

// Fast checks, each field read once; when one fails, reject() names the first
// problem. Touches no mutable state: may run on a reader thread.
EventLog::Decoded EventLog::decode(const io::Record& r) const noexcept {
  for (const io::Field& f : r.fields) {
    if (f.present && !f.scalar) return Decoded{};  // the bound slots
  }
  return decode_texts([&r](std::size_t slot) { return text(r, slot); }, nullptr);
}

template <class TextOf>
EventLog::Decoded EventLog::decode_texts(const TextOf& text_of, time::TimestampParser::DateMemo* memo) const noexcept {
  Decoded d;
  const std::string_view user = text_of(s_user_), stamp = text_of(s_ts_), name = text_of(s_event_);
  if (user.empty() || stamp.empty() || name.empty()) return d;
  const std::optional<time::Micros> ts = memo != nullptr ? time_.parser.parse(stamp, *memo) : time_.parser.parse(stamp);
  if (!ts) return d;
  d.ts = *ts;
  if (const std::string_view v = text_of(s_value_); !v.empty()) {
    const std::optional<double> value = parse_finite(v);
    if (!value) return d;
    d.value = *value;
    d.has_value = true;
  }
  d.user_tag = StringPool::tag(user);
  const std::string_view feat = text_of(s_feature_);
  if (!feat.empty()) d.feature_tag = StringPool::tag(feat);
  d.ok = true;
  return d;
}

io::Prepared EventLog::pack(const Decoded& d) noexcept {
  io::Prepared p;
  p.valid = true;
  p.words[0] = static_cast<std::uint64_t>(d.ts);
  p.words[1] = d.user_tag;
  p.words[2] = d.feature_tag | (std::uint64_t{d.ok} << 32) | (std::uint64_t{d.has_value} << 33);
  return p;
}

EventLog::Decoded EventLog::unpack(const io::Prepared& p) noexcept {
  Decoded d;
  d.ts = static_cast<time::Micros>(p.words[0]);
  d.user_tag = static_cast<std::uint32_t>(p.words[1]);
  d.feature_tag = static_cast<std::uint32_t>(p.words[2]);
  d.ok = ((p.words[2] >> 32) & 1) != 0;
  d.has_value = ((p.words[2] >> 33) & 1) != 0;
  return d;
}

void EventLog::prepare(io::Record& r) const noexcept { r.prepared = pack(decode(r)); }

// Far ahead: the user's slot in the pool. Near: by then that slot is cached,
// and names the user whose latest session id add() will compare.
void EventLog::prefetch(const io::Prepared& p, Ahead ahead) const noexcept {
  if (!p.valid) return;
  const auto user_tag = static_cast<std::uint32_t>(p.words[1]);
  if (ahead == Ahead::far) {
    users_.prefetch(user_tag);
  } else if (s_session_ != kNoSlot) {
    if (const std::uint32_t user = users_.guess(user_tag); user != kNone) sessions_.prefetch(user);
  }
}

Status EventLog::add(const io::Record& r) {
  // A reader thread may have decoded the row already (prepare); a rejected row
  // leaves no trace.
  Decoded d = r.prepared.valid ? unpack(r.prepared) : decode(r);
  if (!d.ok) return reject(r);
  if (d.has_value && r.prepared.valid) d.value = *parse_finite(text(r, s_value_));  // decode() parsed it
  if (full())
    return Error("events: more than " + std::to_string(kMaxEvents) + " events or session ids in one run");
  store(d, [&r](std::size_t slot) { return text(r, slot); });
  return Status::ok();
}

template <class TextOf>
void EventLog::store(const Decoded& d, const TextOf& text_of) {
  // Segment key: the --by values joined by a unit separator (buffer reused).
  seg_key_.clear();
  for (std::size_t i = 0; i < s_by_.size(); ++i) {
    if (i) seg_key_.push_back('\x1f');
    seg_key_.append(text_of(s_by_[i]));
  }

  // Every row widens the range and names its segment, stored or left out.
  if (!min_ts_ || d.ts < *min_ts_) min_ts_ = d.ts;
  if (!max_ts_ || d.ts > *max_ts_) max_ts_ = d.ts;
  if (s_by_.empty() && unsegmented_ == kNone) unsegmented_ = segs_.intern(seg_key_);

  Event e{};
  e.ts = d.ts;
  const std::string_view name = text_of(s_event_);
  RecentNames::Found found = recent_names_.find(name);
  if (found.id == kNone) {
    found.id = names_.intern(name);
    found.kind = row_kind(found.id);
    recent_names_.remember(name, found.id, found.kind);
  }
  e.event = found.id;
  const std::uint8_t kind = found.kind;
  if (kind == kLeftOut) return;  // (only without --by)
  e.user = users_.intern(text_of(s_user_), d.user_tag);
  if (runs_.empty()) runs_.emplace_back();
  EventDetail detail;
  if (has_details()) {
    const std::string_view sid = text_of(s_session_);
    if (!sid.empty()) detail.session = sessions_.add(e.user, sid);
    const std::string_view feat = text_of(s_feature_);
    if (!feat.empty()) detail.feature = features_.intern(feat, d.feature_tag);
    if (detail.session != kNone && cols_.session_tallies) tally_session(detail.session, e, kind);
  }
  const std::uint8_t fold_class = kind & kFoldClass;
  if (fold_class != 0 && foldable(detail, d) && folded_into_earlier(e, fold_class)) return;  // (never with --by)
  if (has_details()) {
    if (details_.empty()) details_.emplace_back();
    details_.back().push_back(detail);
  }
  if (!s_by_.empty()) segs_of_.push_back(segs_.intern(seg_key_));
  if (d.has_value) {
    value_rows_.push_back(static_cast<std::uint32_t>(count_));
    values_.push_back(d.value);
  }
  runs_.back().push_back(e);
  ++count_;
}

// Counts the row in its session code's tally (a new code: a new tally).
void EventLog::tally_session(std::uint32_t code, const Event& e, std::uint8_t kind) {
  if (code == tallies_.size()) tallies_.push_back(SessionTally{e.ts, e.ts, e.user, 0, sessions_.tag(code), 0, 0});
  SessionTally& t = tallies_[code];
  t.first = std::min(t.first, e.ts);
  t.last = std::max(t.last, e.ts);
  t.page_views = static_cast<std::uint16_t>(t.page_views + ((kind & kPageViewRow) != 0 ? 1 : 0));
  t.clicks = static_cast<std::uint16_t>(t.clicks + ((kind & kClickRow) != 0 ? 1 : 0));
  ++t.rows;
  // Before a count can wrap, the user's next row of this id starts a new code
  // (the analysis merges a user's codes of equal ids).
  constexpr std::uint16_t kCountMax = std::numeric_limits<std::uint16_t>::max();
  if (t.rows == std::numeric_limits<std::uint32_t>::max() || t.page_views == kCountMax || t.clicks == kCountMax)
    sessions_.forget_latest(e.user);
}

// Whether a row may fold without losing what the log keeps of it: anything,
// when the log keeps no details (fold_rows's precondition); else only a
// session, and one that is tallied.
bool EventLog::foldable(const EventDetail& detail, const Decoded& d) const noexcept {
  if (!has_details()) return true;
  return cols_.session_tallies && detail.session != kNone && detail.feature == kNone && !d.has_value;
}

// RowFold: true when `e` folds into a stored row of the current run (which
// then keeps the earlier instant); else false, and `e`, stored next, becomes
// the row its user's later rows of its class and span fold into.
bool EventLog::folded_into_earlier(const Event& e, std::uint8_t fold_class) {
  std::int32_t span = 0;
  if (fold_.span == RowFold::Span::day)
    span = fold_day_(e.ts);
  else if (e.ts < fold_from_)
    return false;  // before the range: never the entry, and never folded with it
  PodBuffer<FoldSlot>& slots = fold_slots_[fold_class - 1u];
  if (e.user >= slots.size()) slots.grow_to(e.user + 1, FoldSlot{});
  FoldSlot& slot = slots[e.user];
  PodBuffer<Event>& run = runs_.back();
  if (slot.pos != kNone && slot.span == span) {
    if (e.ts < slot.ts) run[slot.pos].ts = slot.ts = e.ts;
    return true;
  }
  slot.ts = e.ts;
  slot.pos = static_cast<std::uint32_t>(run.size());
  slot.span = span;
  return false;
}

// What store() does with the rows of an event code: kLeftOut (not among
// LogColumns::only_events), else their RowFold class (1-3, or 0: never
// folded) and whether a session tally counts them as page views or clicks.
// Decided once per name: codes are dense, and known names few.
std::uint8_t EventLog::row_kind(std::uint32_t event) {
  const std::vector<std::string>& only = cols_.only_events;
  while (row_kinds_.size() <= event) {
    const std::string_view name = names_.str(static_cast<std::uint32_t>(row_kinds_.size()));
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) {
      row_kinds_.push_back(kLeftOut);
      continue;
    }
    auto kind = static_cast<std::uint8_t>((fold_.classify ? fold_.classify(name) : 0) & kFoldClass);
    if (const auto& counts = cols_.session_tallies) {
      if (name == counts->page_view) kind |= kPageViewRow;
      if (name == counts->click) kind |= kClickRow;
    }
    row_kinds_.push_back(kind);
  }
  return row_kinds_[event];
}

void EventLog::forget_fold_slots() noexcept {
  for (PodBuffer<FoldSlot>& slots : fold_slots_) slots.clear();
}

// ---- the bulk path --------------------------------------------------------

// One part per chunk, each parsed on a thread of its own into an EventLog of
// its own (no locks, no sharing), then absorbed in file order: a string's id is
// then the one reading the file front to back gives it.
std::optional<std::uint64_t> EventLog::add_bulk(const io::BulkInput& input) {
  auto chunks = io::split_bulk(input, input.max_chunks != 0 ? input.max_chunks : io::bulk_threads());
  if (!chunks) return std::nullopt;
  std::vector<std::unique_ptr<EventLog>> parts;
  for (std::size_t k = 0; k < chunks->size(); ++k) parts.push_back(std::make_unique<EventLog>(*this, SameColumns{}));
  std::vector<char> taken(chunks->size(), 0);
  try {
    run_parallel(chunks->size(), [&](std::size_t k) { taken[k] = parts[k]->take((*chunks)[k]) ? 1 : 0; });
  } catch (...) {
    // Out of memory on a thread declines (the record reader then meets it too,
    // and reports it), instead of ending the process.
    return std::nullopt;
  }
  std::uint64_t rows = 0, events = count_, sessions = sessions_.size();
  for (std::size_t k = 0; k < chunks->size(); ++k) {
    if (taken[k] == 0) return std::nullopt;
    rows += (*chunks)[k].rows();
    events += parts[k]->count_;
    sessions += parts[k]->sessions_.size();
  }
  if (events > kMaxEvents || sessions > kMaxEvents) return std::nullopt;  // add() reports it
  for (auto& part : parts) {
    absorb(*part, io::bulk_threads());
    part.reset();  // its memory goes before the next one grows the log
  }
  return rows;
}

// Each thread takes the next block, parses it into a part of its own, and
// absorbs it when every earlier block is absorbed: parsing runs on all cores,
// absorbing (interning the part's strings) in input order, so ids are the ones
// a front-to-back read gives. The first block that declines stops the stream;
// blocks after it are parsed in vain and left to the record reader too.
std::uint64_t EventLog::add_bulk_stream(io::BulkStream& stream) {
  std::mutex mutex;
  std::condition_variable turn;
  std::size_t next_to_absorb = 0;
  bool declined = false;
  std::uint64_t rows = 0;
  const auto give_up = [&] {  // under the mutex
    declined = true;
    stream.stop();
    turn.notify_all();
  };
  const auto take_blocks = [&] {
    // One part per thread, emptied for each block: its string pools keep their
    // memory instead of growing from nothing 8 MiB after 8 MiB.
    EventLog part(*this, SameColumns{});
    while (true) {
      auto got = stream.next();
      if (!got) return;
      const std::size_t k = got->first;  // (not a structured binding: clang 14 cannot capture one)
      io::BulkChunk& chunk = got->second;
      part.recycle_part();
      bool ok = false;
      try {
        // Room for short rows, grown if they are shorter; kept from block to
        // block, as absorb copies a block's events (but the first few's).
        if (part.runs_.empty()) part.runs_.emplace_back().reserve(stream.block_bytes() / 32 + 1);
        if (has_details() && part.details_.empty()) part.details_.emplace_back().reserve(stream.block_bytes() / 32 + 1);
        ok = part.take(chunk);
      } catch (const std::bad_alloc&) {
        ok = false;  // the record reader meets it too, and reports it
      }
      std::unique_lock lock(mutex);
      turn.wait(lock, [&] { return declined || next_to_absorb == k; });
      if (declined) return;
      if (!ok || count_ + part.count_ > kMaxEvents || sessions_.size() + part.sessions_.size() > kMaxEvents) {
        give_up();
        return;
      }
      absorb(part, 1);  // the other cores parse the next blocks meanwhile
      rows += chunk.rows();
      stream.taken(k, chunk.lines());
      ++next_to_absorb;
      turn.notify_all();
    }
  };
  run_parallel(io::bulk_threads(), [&](std::size_t) {
    try {
      take_blocks();
    } catch (...) {  // the other threads must not wait for this one's block
      const std::lock_guard lock(mutex);
      give_up();
      throw;
    }
  });
  return rows;
}

// Every row of the chunk, or false at the first one add() would reject (or the
// chunk declines).
bool EventLog::take(io::BulkChunk& chunk) {
  // One more slot than bound, always empty: what an absent column reads as.
  std::vector<std::string_view> slots(slot_count_ + 1);
  const std::span<std::string_view> bound(slots.data(), slot_count_);
  const std::string_view* texts = slots.data();
  const std::size_t absent = slot_count_;
  const auto text_of = [texts, absent](std::size_t slot) { return texts[slot == kNoSlot ? absent : slot]; };
  time::TimestampParser::DateMemo memo;
  while (true) {
    switch (chunk.next(bound)) {
      case io::BulkChunk::Step::end: return true;
      case io::BulkChunk::Step::decline: return false;
      case io::BulkChunk::Step::row: break;
    }
    for (std::string_view& slot : bound) {  // once, not at every use
      if (!slot.empty() && (is_blank(slot.front()) || is_blank(slot.back()))) slot = trim(slot);
    }
    const Decoded d = decode_texts(text_of, &memo);
    if (!d.ok || full()) return false;
    store(d, text_of);
  }
}

// Appends a part's events after this log's, mapping its string ids to this
// log's (interning them in the part's id order, which is first-seen order).
void EventLog::absorb(EventLog& part, std::size_t threads) {
  forget_fold_slots();  // they point into the run that was the last one
  if (!min_ts_) {  // then no row came yet, stored or left out
    take_data(part);
    return;
  }
  const auto map_pool = [](StringPool& into, const StringPool& from) {
    std::vector<std::uint32_t> map(from.size());
    for (std::uint32_t i = 0; i < from.size(); ++i) map[i] = into.intern(from.str(i));
    return map;
  };
  PartIds ids;
  ids.users = map_pool(users_, part.users_);
  ids.names = map_pool(names_, part.names_);
  ids.features = map_pool(features_, part.features_);
  const std::vector<std::uint32_t> segs = map_pool(segs_, part.segs_);
  ids.session_base = sessions_.append(std::move(part.sessions_));
  for (PodBuffer<SessionTally>& run : part.tallies_.runs())
    for (SessionTally& t : run) t.user = ids.users[t.user];
  tallies_.adopt(std::move(part.tallies_));
  const std::size_t base = count_;
  if (!runs_.empty() && absorbs_by_copy(part.count_, count_)) {
    append_copies(part, ids);
  } else {
    remap_and_move(part, ids, threads);
  }
  for (const std::uint32_t seg : part.segs_of_) segs_of_.push_back(segs[seg]);
  for (const std::uint32_t row : part.value_rows_) value_rows_.push_back(static_cast<std::uint32_t>(base + row));
  values_.insert(values_.end(), part.values_.begin(), part.values_.end());
  if (part.unsegmented_ != kNone && unsegmented_ == kNone) unsegmented_ = segs[part.unsegmented_];
  if (part.min_ts_ && (!min_ts_ || *part.min_ts_ < *min_ts_)) min_ts_ = part.min_ts_;
  if (part.max_ts_ && (!max_ts_ || *part.max_ts_ > *max_ts_)) max_ts_ = part.max_ts_;
}

// absorb() of a part it copies (absorbs_by_copy, a pipe's block): its events
// and details are copied, remapped, after the log's last run. The part
// keeps its runs' memory for the next block: moving them over cost each block
// fresh pages (a huge page or two zeroed for a fraction of it used). The
// log's last run grows by doubling, as push_back does.
void EventLog::append_copies(EventLog& part, const PartIds& ids) {
  append_remapped(part.runs_, runs_.back(), ids);
  if (has_details()) append_remapped(part.details_, details_.back(), ids);
  count_ += std::exchange(part.count_, 0);
}

// absorb() of a large part (a file's chunk): its runs are rewritten in place,
// on up to `threads` cores, and moved over, never copied.
void EventLog::remap_and_move(EventLog& part, const PartIds& ids, std::size_t threads) {
  const std::size_t n = part.count_;
  const std::size_t nt = n < kParallelMin ? 1 : threads;
  run_parallel(nt, [&](std::size_t t) {
    for_each_piece(part.runs_, n * t / nt, n * (t + 1) / nt,
                   [&](PodBuffer<Event>& run, std::size_t, std::size_t lo, std::size_t hi) {
                     for (Event& e : std::span<Event>(run.begin() + lo, hi - lo)) ids.remap(e);
                   });
    for_each_piece(part.details_, n * t / nt, n * (t + 1) / nt,
                   [&](PodBuffer<EventDetail>& run, std::size_t, std::size_t lo, std::size_t hi) {
                     for (EventDetail& d : std::span<EventDetail>(run.begin() + lo, hi - lo)) ids.remap(d);
                   });
  });
  for (PodBuffer<Event>& run : part.runs_) {
    count_ += run.size();
    runs_.push_back(std::move(run));
  }
  for (PodBuffer<EventDetail>& run : part.details_) details_.push_back(std::move(run));
  part.runs_.clear();
  part.details_.clear();
  part.count_ = 0;
}

const Event& EventLog::event(std::size_t i) const noexcept {
  std::size_t r = 0;
  while (i >= runs_[r].size()) i -= runs_[r++].size();
  return runs_[r][i];
}

EventDetail EventLog::detail(std::size_t i) const noexcept {
  if (!has_details()) return {};
  std::size_t r = 0;
  while (i >= details_[r].size()) i -= details_[r++].size();
  return details_[r][i];
}

std::vector<PodBuffer<Event>> EventLog::take_runs() noexcept {
  count_ = 0;
  return std::exchange(runs_, {});
}

// Empties an absorbed part (absorb copied or moved its events, and its
// session ids' bytes, into the log) for the next block, keeping the memory
// of runs it still holds.
void EventLog::recycle_part() {
  for (PodBuffer<Event>& run : runs_) run.clear();
  for (PodBuffer<EventDetail>& run : details_) run.clear();
  count_ = 0;
  segs_of_.clear();
  value_rows_.clear();
  values_.clear();
  users_.clear();
  names_.clear();
  recent_names_.clear();
  features_.clear();
  segs_.clear();
  sessions_.clear();
  tallies_.clear();
  row_kinds_.clear();
  forget_fold_slots();
  unsegmented_ = kNone;
  min_ts_.reset();
  max_ts_.reset();
}

// This log is empty: the part's data becomes its data, nothing copied.
void EventLog::take_data(EventLog& part) {
  runs_ = std::move(part.runs_);
  details_ = std::move(part.details_);
  count_ = std::exchange(part.count_, 0);
  segs_of_ = std::move(part.segs_of_);
  value_rows_ = std::move(part.value_rows_);
  values_ = std::move(part.values_);
  users_ = std::move(part.users_);
  names_ = std::move(part.names_);
  recent_names_.clear();
  row_kinds_ = std::move(part.row_kinds_);
  features_ = std::move(part.features_);
  segs_ = std::move(part.segs_);
  sessions_ = std::move(part.sessions_);
  tallies_ = std::move(part.tallies_);
  unsegmented_ = part.unsegmented_;
  min_ts_ = part.min_ts_;
  max_ts_ = part.max_ts_;
}

const double* EventLog::value_of(std::size_t i) const noexcept {
  const std::uint32_t* it = std::lower_bound(value_rows_.begin(), value_rows_.end(), i);
  if (it == value_rows_.end() || *it != i) return nullptr;
  return &values_[static_cast<std::size_t>(it - value_rows_.begin())];
}

Dims EventLog::segment_dims(std::uint32_t s) const {
  Dims dims;
  std::string_view key = segs_.str(s);
  for (std::size_t i = 0; i < cols_.by.size(); ++i) {
    const std::size_t cut = key.find('\x1f');
    dims.emplace_back(cols_.by[i], std::string(key.substr(0, cut)));
    key = cut == std::string_view::npos ? std::string_view{} : key.substr(cut + 1);
  }
  return dims;
}

std::vector<std::uint32_t> EventLog::sorted_segments() const {
  std::vector<std::uint32_t> ids(segs_.size());
  std::iota(ids.begin(), ids.end(), 0u);
  std::vector<Dims> dims;
  dims.reserve(ids.size());
  for (std::uint32_t s : ids) dims.push_back(segment_dims(s));
  std::sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) { return dims[a] < dims[b]; });
  return ids;
}

// ---- range and periods ---------------------------------------------------

Expected<std::optional<kinds::PeriodGrid>> make_grid(const EventLog& log, time::Period p) {
  const time::Zone& zone = log.time().zone;
  std::optional<time::Day> first, last;
  if (log.min_ts()) first = zone.local_day(*log.min_ts());
  if (log.max_ts()) last = zone.local_day(*log.max_ts());
  return kinds::PeriodGrid::make(log.time(), p, first, last);
}

Expected<std::optional<kinds::PeriodGrid>> analysis_grid(const EventLog& log, time::Period p,
                                                         std::string_view command,
                                                         std::vector<std::string>& warnings) {
  if (Status s = log.check_by(); !s) return std::move(s).error();
  auto made = make_grid(log, p);
  if (made && !*made)
    warnings.push_back(std::string(command) +
                       (!log.min_ts() ? ": no events, nothing to report" : ": the analysis range is empty"));
  return made;
}

namespace {

// Stable counting sort: `out` lists the indices `in` lists (all events when `in`
// is empty), ordered by key(index) < nkeys, input order among equal keys.
// `placed(j, i)` is called as index i goes to position j.
template <class Key, class Placed>
void counting_sort(std::size_t n, const std::vector<std::uint32_t>& in, std::vector<std::uint32_t>& out,
                   std::size_t nkeys, Key key, Placed placed) {
  std::vector<std::uint32_t> start(nkeys + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++start[key(i) + 1];
  for (std::size_t k = 1; k <= nkeys; ++k) start[k] += start[k - 1];
  out.resize(n);
  if (in.empty()) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t j = start[key(i)]++;
      out[j] = static_cast<std::uint32_t>(i);
      placed(j, i);
    }
  } else {
    for (const std::uint32_t i : in) {
      const std::uint32_t j = start[key(i)]++;
      out[j] = i;
      placed(j, i);
    }
  }
}

// Events copied between two discards of the source's pages.
constexpr std::size_t kSlice = std::size_t{1} << 18;

// Calls f(i, run, k) for the events of input indices [from, to), where
// run[k] is event i.
template <class F>
void for_each_event(std::vector<PodBuffer<Event>>& runs, std::size_t from, std::size_t to, const F& f) {
  for_each_piece(runs, from, to, [&](PodBuffer<Event>& run, std::size_t base, std::size_t lo, std::size_t hi) {
    for (std::size_t k = lo; k < hi; ++k) f(base + k, run, k);
  });
}

// Where group_by_user puts what it keeps beside the events (each when not null):
// the events' details (from the log's detail runs, run for run as the events'),
// their input indices, and the log's values with their new positions.
struct Beside {
  std::vector<PodBuffer<EventDetail>>* details_from = nullptr;
  PodBuffer<EventDetail>* details = nullptr;
  PodBuffer<std::uint32_t>* order = nullptr;
  const EventLog* values_of = nullptr;
  PlacedValues* values = nullptr;
};

// The stable counting sort by user of the events in `runs` into `ev` (and what
// `beside` asks for), on every core: each thread counts,
// then places, one range of the input; a user's events from an earlier range
// go before those of a later one, so the order is the one-thread order. Each
// event goes straight to its place, read in input order: the runs' pages are
// given back as they are copied.
void group_by_user(std::vector<PodBuffer<Event>>& runs, std::size_t users, PodBuffer<Event>& ev,
                   const Beside& beside) {
  PodBuffer<std::uint32_t>* const order = beside.order;
  std::size_t n = 0;
  for (const auto& run : runs) n += run.size();
  const std::size_t nt = n < kParallelMin ? 1 : io::bulk_threads();
  std::vector<std::size_t> cut(nt + 1);
  for (std::size_t t = 0; t <= nt; ++t) cut[t] = n * t / nt;
  std::vector<PodBuffer<std::uint32_t>> next(nt);  // (huge pages: read and written at random)
  run_parallel(nt, [&](std::size_t t) {
    PodBuffer<std::uint32_t>& count = next[t];
    count.grow_to(users, 0);
    for_each_event(runs, cut[t], cut[t + 1], [&](std::size_t, const PodBuffer<Event>& run, std::size_t k) {
      ++count[run[k].user];
    });
  });
  std::uint32_t at = 0;  // counts become each range's first position per user
  for (std::size_t u = 0; u < users; ++u) {
    for (std::size_t t = 0; t < nt; ++t) at += std::exchange(next[t][u], at);
  }
  ev.reserve(at);
  ev.resize_for_overwrite(at);
  PodBuffer<EventDetail>* const details = beside.details;
  if (details != nullptr) {
    details->reserve(at);
    details->resize_for_overwrite(at);
  }
  if (order != nullptr) {
    order->reserve(at);
    order->resize_for_overwrite(at);
  }
  // The values met by each thread, in its range's input order.
  std::vector<PlacedValues> placed(beside.values != nullptr ? nt : 0);
  const std::span<const std::uint32_t> value_rows =
      beside.values_of != nullptr ? beside.values_of->value_rows() : std::span<const std::uint32_t>();
  run_parallel(nt, [&](std::size_t t) {
    PodBuffer<std::uint32_t>& pos = next[t];
    // The next value's index in value_rows: a cursor, as input indices rise.
    std::size_t v = static_cast<std::size_t>(std::lower_bound(value_rows.begin(), value_rows.end(), cut[t]) -
                                             value_rows.begin());
    // Within the current run: given back up to `done`, copied up to `copied`.
    // A run's last slice is given back when the next run starts (runs of a
    // pipe's blocks are shorter than a slice).
    std::size_t done = 0, copied = 0;
    PodBuffer<Event>* current = nullptr;
    PodBuffer<EventDetail>* current_details = nullptr;  // its details' run
    const auto give_back = [&] {
      current->discard_range(done, copied);
      if (current_details != nullptr) current_details->discard_range(done, copied);
      done = copied;
    };
    for_each_event(runs, cut[t], cut[t + 1], [&](std::size_t i, PodBuffer<Event>& run, std::size_t k) {
      if (&run != current) {
        if (current != nullptr) give_back();
        current = &run;
        if (details != nullptr)
          current_details = &(*beside.details_from)[static_cast<std::size_t>(&run - runs.data())];
        done = copied = k;
      }
      const bool has_value = v < value_rows.size() && value_rows[v] == i;
      const std::uint32_t j = pos[run[k].user]++;
      ev[j] = run[k];
      if (details != nullptr) (*details)[j] = (*current_details)[k];
      if (order != nullptr) (*order)[j] = static_cast<std::uint32_t>(i);
      if (has_value) placed[t].emplace_back(j, beside.values_of->values()[v++]);
      copied = k + 1;
      if (copied - done == kSlice) give_back();
    });
    if (current != nullptr) give_back();
  });
  if (beside.values != nullptr) {
    for (const PlacedValues& part : placed) beside.values->insert(beside.values->end(), part.begin(), part.end());
    std::sort(beside.values->begin(), beside.values->end());  // positions are distinct
  }
}

using PlacedValue = std::pair<std::uint32_t, double>;

// The carried values of positions [from, to) among `values` (ordered by position).
template <class Value>  // PlacedValue, possibly const
std::span<Value> values_between(std::span<Value> values, std::size_t from, std::size_t to) {
  const auto by_position = [](const PlacedValue& x, std::size_t p) { return x.first < p; };
  const auto lo = std::lower_bound(values.begin(), values.end(), from, by_position);
  const auto hi = std::lower_bound(lo, values.end(), to, by_position);
  return {lo, hi};
}

// After the events of positions [b, b + perm.size()) were reordered (the event
// at old position perm[q] is now at b + q), moves their carried values with
// them. `values`: the carried values of a range of positions holding those.
void move_values(std::span<PlacedValue> values, std::size_t b, const std::vector<std::uint32_t>& perm) {
  const std::span<PlacedValue> moved = values_between(values, b, b + perm.size());
  if (moved.empty()) return;
  std::vector<std::uint32_t> now_at(perm.size());
  for (std::size_t q = 0; q < perm.size(); ++q) now_at[perm[q] - b] = static_cast<std::uint32_t>(b + q);
  for (PlacedValue& v : moved) v.first = now_at[v.first - b];
  std::sort(moved.begin(), moved.end());
}

// Positions [b, b + perm.size()) of `buf` reordered: the element at position
// perm[q] goes to b + q.
template <class T>
void permute(PodBuffer<T>& buf, std::size_t b, const std::vector<std::uint32_t>& perm) {
  std::vector<T> moved;
  moved.reserve(perm.size());
  for (const std::uint32_t k : perm) moved.push_back(buf[k]);
  std::copy(moved.begin(), moved.end(), buf.begin() + b);
}

// The events of positions [from, to), whole groups, with each group not yet
// in time order sorted by time (stable: input order among equal instants)
// through a permutation, so that the events, their `details` and input indices
// (`order`; each when not null) and their carried `values` (those of
// [from, to)) move together.
template <class SameGroup>
void order_groups_by_time(PodBuffer<Event>& ev, PodBuffer<EventDetail>* details, PodBuffer<std::uint32_t>* order,
                          std::span<PlacedValue> values, std::size_t from, std::size_t to,
                          const SameGroup& same_group) {
  std::vector<std::uint32_t> perm;
  std::size_t b = from;
  while (b < to) {
    std::size_t e = b + 1;
    bool sorted = true;
    for (; e < to && same_group(e, b); ++e) sorted = sorted && ev[e - 1].ts <= ev[e].ts;
    if (!sorted) {
      perm.resize(e - b);
      std::iota(perm.begin(), perm.end(), static_cast<std::uint32_t>(b));
      std::stable_sort(perm.begin(), perm.end(),
                       [&](std::uint32_t x, std::uint32_t y) { return ev[x].ts < ev[y].ts; });
      permute(ev, b, perm);
      if (details != nullptr) permute(*details, b, perm);
      if (order != nullptr) permute(*order, b, perm);
      move_values(values, b, perm);
    }
    b = e;
  }
}

}  // namespace

// Inputs are usually exported in time order, so after grouping by (segment,
// user) — a counting sort, linear — most users' rows are already in time order
// and only the others are sorted. Same order as a stable sort on the full key.
SortedEvents sort_events(EventLog& log, const SortPlan& plan) {
  const bool by_segment = plan.by_segment;
  const bool with_details = log.has_details();
  std::vector<PodBuffer<EventDetail>> detail_runs = log.take_details();
  std::vector<PodBuffer<Event>> runs = log.take_runs();
  std::size_t n = 0;
  for (const auto& run : runs) n += run.size();
  PodBuffer<Event> ev;
  PodBuffer<EventDetail> details;
  PodBuffer<std::uint32_t> order;
  PlacedValues carried;
  const bool indexed = by_segment || plan.input_index;
  const bool carry = !by_segment && plan.values;
  if (!by_segment) {
    const Beside beside{with_details ? &detail_runs : nullptr, with_details ? &details : nullptr,
                        indexed ? &order : nullptr, carry ? &log : nullptr, carry ? &carried : nullptr};
    group_by_user(runs, log.users().size(), ev, beside);
  } else {
    // Two stable passes (user, then segment) through a permutation of one
    // contiguous copy: --by costs the memory of a second copy of the events.
    PodBuffer<Event> src;
    src.reserve(n);
    for (auto& run : runs) {
      for (const Event& e : run) src.push_back(e);
      run = PodBuffer<Event>();
    }
    PodBuffer<EventDetail> src_details;
    src_details.reserve(with_details ? n : 0);
    for (auto& run : detail_runs) {
      for (const EventDetail& d : run) src_details.push_back(d);
      run = PodBuffer<EventDetail>();
    }
    const auto none = [](std::uint32_t, std::size_t) {};
    std::vector<std::uint32_t> by_user, by_seg;
    counting_sort(n, {}, by_user, log.users().size(), [&](std::size_t i) { return src[i].user; }, none);
    counting_sort(n, by_user, by_seg, log.segment_count(), [&](std::size_t i) { return log.seg_of(i); }, none);
    by_user = {};
    ev.reserve(n);
    ev.resize_for_overwrite(n);
    order.reserve(n);
    for (std::size_t j = 0; j < n; ++j) {
      ev[j] = src[by_seg[j]];
      order.push_back(by_seg[j]);
    }
    if (with_details) {
      details.reserve(n);
      for (std::size_t j = 0; j < n; ++j) details.push_back(src_details[by_seg[j]]);
    }
  }
  n = ev.size();
  runs.clear();
  // Groups are in input order: a stable sort by time gives input order among
  // equals, and only the few groups out of time order need one. Checked on
  // every core, each thread taking a range of whole groups.
  const auto same_group = [&](std::size_t a, std::size_t b) {
    return ev[a].user == ev[b].user && (!by_segment || log.seg_of(order[a]) == log.seg_of(order[b]));
  };
  const std::size_t nt = n < kParallelMin ? 1 : io::bulk_threads();
  std::vector<std::size_t> cut{0};
  for (std::size_t k = 1; k < nt; ++k) {
    std::size_t c = std::max(cut.back(), n * k / nt);
    while (c > 0 && c < n && same_group(c, c - 1)) ++c;
    cut.push_back(c);
  }
  cut.push_back(n);
  std::vector<std::span<PlacedValue>> values(nt);  // each thread's, found before any moves
  for (std::size_t t = 0; t < nt; ++t) values[t] = values_between(std::span<PlacedValue>(carried), cut[t], cut[t + 1]);
  run_parallel(nt, [&](std::size_t t) {
    order_groups_by_time(ev, with_details ? &details : nullptr, indexed ? &order : nullptr, values[t], cut[t],
                         cut[t + 1], same_group);
  });
  return SortedEvents(log, std::move(ev), std::move(details), std::move(order), indexed, std::move(carried));
}

const double* SortedEvents::value(std::size_t i) const noexcept {
  if (indexed_) return log_.value_of(order_[i]);
  const std::span<const PlacedValue> at = values_between(std::span<const PlacedValue>(carried_), i, i + 1);
  return at.empty() ? nullptr : &at.front().second;
}

std::optional<double> percentile(const std::vector<double>& sorted, double p) {
  return formulas::percentile_sorted(std::span<const double>(sorted.data(), sorted.size()), p);
}

Expected<ResultSet> run_events_analysis(
    const InputOptions& input, std::string_view command,
    const std::function<std::unique_ptr<EventsAnalysis>(const TimeContext&)>& make) {
  auto time = make_time_context(input);
  if (!time) return std::move(time).error();
  std::unique_ptr<EventsAnalysis> analysis;
  ResultSet out;
  std::vector<std::string> warnings;
  std::string kind = input.kind.empty() ? "events" : input.kind;
  const SinkFactory sink_for = [&](const std::string& k) -> Expected<RecordSink*> {
    if (k != "events")
      return Error("kpi " + std::string(command) + " reads events (user_id, timestamp, event), not " + k);
    analysis = make(*time);
    return analysis.get();
  };
  if (Status st = read_records(input, kind, sink_for, out.inputs, warnings); !st)
    return std::move(st).error();
  if (!analysis) return Error("kpi " + std::string(command) + ": no input");
  auto done = analysis->finish();
  if (!done) return std::move(done).error();
  done->inputs = out.inputs;
  warnings.insert(warnings.end(), done->warnings.begin(), done->warnings.end());
  done->warnings = std::move(warnings);
  return done;
}

std::string scope(const std::string& period, const Dims& dims) {
  std::string s = period;
  if (!dims.empty()) {
    s += " {";
    for (std::size_t i = 0; i < dims.size(); ++i) {
      if (i) s += ", ";
      s += dims[i].first + "=" + dims[i].second;
    }
    s += "}";
  }
  return s;
}

std::string num(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "?";
  return std::string(buf, ptr);
}

}  // namespace kpi::events_detail
