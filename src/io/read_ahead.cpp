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

// Records copied out of the wrapped reader, followed by how the batch ended.
struct Batch {
  struct Item {
    std::size_t line = 0;
    std::size_t raw = 0, raw_size = 0;        // in bytes
    std::size_t prefix = 0, prefix_size = 0;  // in bytes
    std::size_t first_field = 0, fields = 0;  // in `fields`
  };
  struct CopiedField {
    std::size_t text = 0, size = 0;  // in the record's raw text, or in bytes
    bool in_raw = false;
    Field flags;  // present, defaulted, scalar, offset (text unused)
  };
  std::string bytes;
  std::vector<Item> items;
  std::vector<CopiedField> fields;
  std::optional<Error> error;  // the wrapped reader's error, after the items
  bool recoverable = false;    // its can_skip_last_error()
  bool end = false;            // the wrapped reader reached the end, after the items
  std::size_t next_item = 0;   // consumer's cursor

  void clear() {
    bytes.clear();
    items.clear();
    fields.clear();
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
    const std::less<const char*> before;
    for (const Field& f : r.fields) {
      CopiedField c;
      c.flags = f;
      c.flags.text = {};
      c.size = f.text.size();
      // Most texts are slices of the raw record: keep an offset, copy nothing.
      c.in_raw = !f.text.empty() && !before(f.text.data(), r.raw.data()) &&
                 !before(r.raw.data() + r.raw.size(), f.text.data() + f.text.size());
      c.text = c.in_raw ? static_cast<std::size_t>(f.text.data() - r.raw.data()) : keep(f.text);
      fields.push_back(c);
    }
    items.push_back(item);
  }

  // REQUIRES: next_item < items.size().
  void take(std::string_view file, Record& out) {
    const Item& item = items[next_item++];
    const std::string_view all(bytes);
    out.file = file;
    out.line = item.line;
    out.raw = all.substr(item.raw, item.raw_size);
    out.prefix = all.substr(item.prefix, item.prefix_size);
    out.fields.resize(item.fields);
    for (std::size_t k = 0; k < item.fields; ++k) {
      const CopiedField& c = fields[item.first_field + k];
      out.fields[k] = c.flags;
      out.fields[k].text = (c.in_raw ? out.raw : all).substr(c.text, c.size);
    }
  }
};

class ReadAheadReader final : public RecordReader {
 public:
  explicit ReadAheadReader(std::unique_ptr<RecordReader> inner) : inner_(std::move(inner)) {
    name_ = inner_->display_name();
    format_ = inner_->format();
    columns_ = inner_->columns();
    for (std::size_t i = 0; i < kBatches; ++i) free_.push_back(std::make_unique<Batch>());
  }

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
  // Consumer: hands back the finished batch (which lets a producer paused at
  // an error go on) and waits for the next one.
  void next_batch() {
    std::unique_lock lock(m_);
    if (current_) {
      current_->clear();
      free_.push_back(std::move(current_));
    }
    cv_.notify_all();
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
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [this] { return stop_ || !free_.empty(); });
        if (stop_) return;
        batch = std::move(free_.back());
        free_.pop_back();
      }
      fill(*batch, record);
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

  void fill(Batch& batch, Record& record) {
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
        batch.add(record);
      }
    } catch (const std::exception& e) {  // e.g. bad_alloc: never let it escape the thread
      batch.error = Error(Location{name_, 0, 0, {}}, std::string("cannot read: ") + e.what());
      batch.recoverable = false;
    }
  }

  std::unique_ptr<RecordReader> inner_;  // used by the producer only, once started
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Batch>> free_;  // guarded by m_
  std::deque<std::unique_ptr<Batch>> full_;   // guarded by m_
  bool stop_ = false;                         // guarded by m_
  std::unique_ptr<Batch> current_;            // the consumer's
  std::thread thread_;
};

}  // namespace

std::unique_ptr<RecordReader> read_ahead(std::unique_ptr<RecordReader> inner) {
  return std::make_unique<ReadAheadReader>(std::move(inner));
}

}  // namespace kpi::io
