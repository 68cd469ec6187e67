// A RecordReader whose wrapped reader runs on a second thread (see read_ahead.hpp).
#include "read_ahead.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kpi::io {
namespace {

// Enough records per batch that the lock is taken rarely, few enough batches
// that read-ahead memory stays small (a few MiB).
constexpr std::size_t kBatchRecords = 4096;
constexpr std::size_t kBatchBytes = std::size_t{1} << 20;
constexpr std::size_t kBatches = 4;
// How far ahead of the consumer to prefetch: enough records to cover a cache
// miss, few enough that the prefetched lines are still in cache when used.
constexpr std::size_t kFarAhead = 12;
constexpr std::size_t kNearAhead = 4;

// Records copied out of the wrapped reader, followed by how the batch ended.
// The producer copies texts into `bytes` with offsets (the buffer may move while
// it grows), then `seal` turns them into views once, so the consumer's take()
// only copies a few trivially copyable Fields.
struct Batch {
  struct Item {
    std::size_t line = 0;
    std::size_t raw = 0, raw_size = 0;        // in bytes
    std::size_t prefix = 0, prefix_size = 0;  // in bytes
    std::size_t first_field = 0, fields = 0;  // in `fields`
    std::string_view raw_text, prefix_text;   // set by seal()
    Prepared prepared;
  };
  std::string bytes;
  std::vector<Item> items;
  std::vector<Field> fields;               // texts set by seal()
  std::vector<std::size_t> field_offsets;  // per field: its text in bytes
  std::optional<Error> error;  // the wrapped reader's error, after the items
  bool recoverable = false;    // its can_skip_last_error()
  bool end = false;            // the wrapped reader reached the end, after the items
  std::size_t next_item = 0;   // consumer's cursor

  void clear() {
    bytes.clear();
    items.clear();
    fields.clear();
    field_offsets.clear();
    error.reset();
    recoverable = end = false;
    next_item = 0;
  }
  bool full() const noexcept { return items.size() >= kBatchRecords || bytes.size() >= kBatchBytes; }

  std::size_t keep(std::string_view s) {
    const std::size_t at = bytes.size();
    bytes.append(s);
    return at;
  }

  void add(const Record& r) {
    Item item;
    item.line = r.line;
    item.raw_size = r.raw.size();
    item.raw = keep(r.raw);
    item.prefix_size = r.prefix.size();
    item.prefix = keep(r.prefix);
    item.first_field = fields.size();
    item.fields = r.fields.size();
    item.prepared = r.prepared;
    const std::less<const char*> before;
    for (const Field& f : r.fields) {
      // Most texts are slices of the raw record, already copied: no second copy.
      const bool in_raw = !f.text.empty() && !before(f.text.data(), r.raw.data()) &&
                          !before(r.raw.data() + r.raw.size(), f.text.data() + f.text.size());
      field_offsets.push_back(in_raw ? item.raw + static_cast<std::size_t>(f.text.data() - r.raw.data())
                                     : keep(f.text));
      fields.push_back(f);
    }
    items.push_back(item);
  }

  // Points the views at `bytes`, which no longer changes until clear().
  void seal() {
    const std::string_view all(bytes);
    for (Item& item : items) {
      item.raw_text = all.substr(item.raw, item.raw_size);
      item.prefix_text = all.substr(item.prefix, item.prefix_size);
    }
    for (std::size_t k = 0; k < fields.size(); ++k)
      fields[k].text = all.substr(field_offsets[k], fields[k].text.size());
  }

  // REQUIRES: sealed, next_item < items.size().
  void take(std::string_view file, Record& out) {
    const Item& item = items[next_item++];
    out.file = file;
    out.line = item.line;
    out.raw = item.raw_text;
    out.prefix = item.prefix_text;
    out.prepared = item.prepared;
    const auto first = fields.begin() + static_cast<std::ptrdiff_t>(item.first_field);
    out.fields.assign(first, first + static_cast<std::ptrdiff_t>(item.fields));
  }
};

class ReadAheadReader final : public RecordReader {
 public:
  ReadAheadReader(std::unique_ptr<RecordReader> inner, const RecordPreparer* preparer)
      : inner_(std::move(inner)), preparer_(preparer) {
    name_ = inner_->display_name();
    format_ = inner_->format();
    columns_ = inner_->columns();
    for (std::size_t i = 0; i < kBatches; ++i) free_.push_back(std::make_unique<Batch>());
  }

  ReadAheadReader(const ReadAheadReader&) = delete;
  ReadAheadReader& operator=(const ReadAheadReader&) = delete;

  ~ReadAheadReader() override {
    {
      const std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void bind(const std::vector<std::string>& names) override { inner_->bind(names); }

  Expected<bool> next(Record& out) override {
    recoverable_ = false;
    if (!thread_.joinable()) thread_ = std::thread([this] { produce(); });
    while (true) {
      if (current_ && current_->next_item < current_->items.size()) {
        if (preparer_ != nullptr) prefetch(*current_);
        current_->take(name_, out);
        return true;
      }
      if (current_ && current_->end) return false;  // stays at the end
      if (current_ && current_->error) {
        Error error = std::move(*current_->error);
        current_->error.reset();
        recoverable_ = current_->recoverable;
        return error;  // the producer waits; the next call lets it go on
      }
      next_batch();
    }
  }

 private:
  // Consumer: prefetch hints for the records kFarAhead and kNearAhead places on.
  void prefetch(const Batch& batch) const noexcept {
    const std::size_t far = batch.next_item + kFarAhead, near = batch.next_item + kNearAhead;
    if (far < batch.items.size()) preparer_->prefetch(batch.items[far].prepared, RecordPreparer::Ahead::far);
    if (near < batch.items.size()) preparer_->prefetch(batch.items[near].prepared, RecordPreparer::Ahead::near);
  }

  // Consumer: hands back the finished batch (which lets a producer paused at
  // an error go on) and waits for the next one.
  void next_batch() {
    std::unique_lock lock(m_);
    if (current_) {
      current_->clear();
      free_.push_back(std::move(current_));
    }
    cv_.notify_all();
    if (full_.empty()) consumer_waited_ = true;
    cv_.wait(lock, [this] { return !full_.empty(); });
    current_ = std::move(full_.front());
    full_.pop_front();
  }

  // Producer: fills batches until the end, an error (then waits for the
  // consumer to finish that batch), or the reader is destroyed.
  void produce() {
    Record record;
    while (true) {
      std::unique_ptr<Batch> batch;
      bool prepare = false;
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [this] { return stop_ || !free_.empty(); });
        if (stop_) return;
        batch = std::move(free_.back());
        free_.pop_back();
        // Prepare only while the consumer is the slower side: once it had to
        // wait for this thread (JSON parsing is slow), it prepares records
        // itself until it is behind again. The threads balance either way.
        prepare = preparer_ != nullptr && !consumer_waited_;
        consumer_waited_ = false;
      }
      fill(*batch, record, prepare);
      batch->seal();
      const bool end = batch->end, error = batch->error.has_value();
      {
        const std::lock_guard lock(m_);
        full_.push_back(std::move(batch));
      }
      cv_.notify_all();
      if (end) return;
      if (error) {
        // Resume only when the consumer has taken the error and asked for more.
        std::unique_lock lock(m_);
        cv_.wait(lock, [this] { return stop_ || free_.size() == kBatches; });
        if (stop_) return;
      }
    }
  }

  void fill(Batch& batch, Record& record, bool prepare) {
    try {
      while (!batch.full()) {
        auto got = inner_->next(record);
        if (!got) {
          batch.error = std::move(got).error();
          batch.recoverable = inner_->can_skip_last_error();
          return;
        }
        if (!*got) {
          batch.end = true;
          return;
        }
        record.prepared = Prepared{};
        if (prepare) preparer_->prepare(record);
        batch.add(record);
      }
    } catch (const std::exception& e) {  // e.g. bad_alloc: never let it escape the thread
      batch.error = Error(Location{name_, 0, 0, {}}, std::string("cannot read: ") + e.what());
      batch.recoverable = false;
    }
  }

  std::unique_ptr<RecordReader> inner_;  // used by the producer only, once started
  const RecordPreparer* preparer_;       // prepare() on the producer, prefetch() on the consumer
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Batch>> free_;  // guarded by m_
  std::deque<std::unique_ptr<Batch>> full_;   // guarded by m_
  bool stop_ = false;                         // guarded by m_
  bool consumer_waited_ = false;              // guarded by m_: found no batch ready since the last fill began
  std::unique_ptr<Batch> current_;            // the consumer's
  std::thread thread_;
};

}  // namespace

std::unique_ptr<RecordReader> read_ahead(std::unique_ptr<RecordReader> inner,
                                         const RecordPreparer* preparer) {
  return std::make_unique<ReadAheadReader>(std::move(inner), preparer);
}

}  // namespace kpi::io
