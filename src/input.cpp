// The shared read loop: kind detection, time context, --skip-invalid.
#include "kpi/input.hpp"

#include <algorithm>
#include <array>

#include "io/read_ahead.hpp"
#include "kpi/registry.hpp"

namespace kpi {
namespace {

using namespace std::string_view_literals;

constexpr std::array kEventsRequired{"user_id"sv, "timestamp"sv, "event"sv};
constexpr std::array kEventsOptional{"session_id"sv, "feature"sv, "value"sv};
constexpr std::array kSubscriptionsRequired{"customer_id"sv, "start"sv, "amount"sv};
constexpr std::array kSubscriptionsOptional{"end"sv, "interval"sv, "plan"sv, "status"sv};
constexpr std::array kTicketsRequired{"ticket_id"sv, "created_at"sv};
constexpr std::array kTicketsOptional{"first_response_at"sv, "resolved_at"sv, "escalated"sv,
                                      "channel"sv, "satisfaction"sv};
constexpr std::array kResponsesRequired{"score"sv};
constexpr std::array kResponsesOptional{"timestamp"sv, "survey"sv, "respondent_id"sv};
constexpr std::array kWorkItemsRequired{"id"sv, "completed_at"sv};
constexpr std::array kWorkItemsOptional{"type"sv, "points"sv, "sprint"sv, "due_at"sv, "found"sv};
constexpr std::array<std::string_view, 1> kSummaryOptional{"period"sv};

const std::array kKinds{
    KindInfo{"events", kEventsRequired, kEventsOptional},
    KindInfo{"subscriptions", kSubscriptionsRequired, kSubscriptionsOptional},
    KindInfo{"tickets", kTicketsRequired, kTicketsOptional},
    KindInfo{"responses", kResponsesRequired, kResponsesOptional},
    KindInfo{"work_items", kWorkItemsRequired, kWorkItemsOptional},
    KindInfo{"summary", {}, kSummaryOptional},
};

// At most this many skipped rows are reported in full; the rest are counted.
constexpr std::uint64_t kSkipsShown = 20;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (const auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::vector<std::string> missing_columns(const KindInfo& kind, const std::vector<std::string>& columns) {
  std::vector<std::string> missing;
  for (const auto need : kind.required) {
    if (std::find(columns.begin(), columns.end(), need) == columns.end()) missing.emplace_back(need);
  }
  return missing;
}

std::string kinds_help() {
  std::string out;
  for (const auto& k : kKinds) {
    if (k.required.empty()) continue;
    out += "\n  " + std::string(k.name) + ": " + join(k.required);
  }
  out += "\n  summary: any column named after a metric or input (see 'kpi list')";
  out += "\nrename columns with --map CANON=SOURCE, fill missing ones with --default CANON=VALUE, "
         "or name the kind with --kind";
  return out;
}

// The columns a sink may bind. A CSV header names every column up front; JSON
// objects need not all have the same keys, and the reader only saw the first
// one. So for JSON every optional column of the kind is offered too: a record
// without that key reads as a blank field, instead of the key being ignored in
// every later record because the first object happened to omit it.
std::vector<std::string> bindable_columns(const io::RecordReader& reader, const std::string& kind) {
  std::vector<std::string> columns = reader.columns();
  if (reader.format() != io::Format::json && reader.format() != io::Format::ndjson) return columns;
  if (const KindInfo* info = find_kind(kind); info != nullptr) {
    for (const auto name : info->optional) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.emplace_back(name);
    }
  }
  return columns;
}

}  // namespace

std::span<const KindInfo> record_kinds() noexcept { return kKinds; }

const KindInfo* find_kind(std::string_view name) noexcept {
  for (const auto& k : kKinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

Expected<TimeContext> make_time_context(const InputOptions& options) {
  TimeContext ctx;
  auto zone = time::Zone::parse(options.tz);
  if (!zone) return Error("--tz: " + zone.error().message());
  ctx.zone = *zone;
  if (options.time_format.empty()) {
    ctx.parser = time::TimestampParser(ctx.zone);
  } else {
    auto parser = time::TimestampParser::with_format(ctx.zone, options.time_format);
    if (!parser) return Error("--time-format: " + parser.error().message());
    ctx.parser = *parser;
  }
  auto date = [](const std::string& text, const char* option) -> Expected<std::optional<time::Day>> {
    if (text.empty()) return std::optional<time::Day>{};
    const auto day = time::parse_date(text);
    if (!day) return Error(std::string(option) + ": expected a date YYYY-MM-DD, got \"" + text + "\"");
    return std::optional<time::Day>{*day};
  };
  auto from = date(options.from, "--from");
  if (!from) return std::move(from).error();
  auto to = date(options.to, "--to");
  if (!to) return std::move(to).error();
  ctx.from = *from;
  ctx.to = *to;
  if (ctx.from && ctx.to && *ctx.to < *ctx.from) {
    return Error("--from " + options.from + " is after --to " + options.to);
  }
  return ctx;
}

Expected<std::string> detect_kind(const std::vector<std::string>& columns, const std::string& requested,
                                  const std::string& file) {
  if (!requested.empty()) {
    const KindInfo* kind = find_kind(requested);
    if (kind == nullptr) {
      return Error("--kind: unknown kind \"" + requested +
                   "\" (expected events, subscriptions, tickets, responses, work_items or summary)");
    }
    const auto missing = missing_columns(*kind, columns);
    if (!missing.empty()) {
      return Error(Location{file, 0, 0, {}}, "--kind " + requested + " needs the column(s) " +
                                                 join(missing) + ", not found (columns: " +
                                                 join(columns) + ")" + kinds_help());
    }
    return requested;
  }
  std::vector<std::string> matches;
  for (const auto& k : kKinds) {
    if (!k.required.empty() && missing_columns(k, columns).empty()) matches.emplace_back(k.name);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) {
    return Error(Location{file, 0, 0, {}}, "the columns fit several record kinds (" + join(matches) +
                                               "); choose one with --kind (columns: " + join(columns) + ")");
  }
  const bool summary = std::any_of(columns.begin(), columns.end(),
                                   [](const std::string& c) { return find_metric(c) != nullptr; });
  if (summary) return std::string("summary");
  return Error(Location{file, 0, 0, {}}, "cannot tell what kind of records these are (columns: " +
                                             join(columns) + "); each kind needs:" + kinds_help());
}

Status read_records(const InputOptions& options, std::string& kind, RecordSink& sink, InputsInfo& info,
                    std::vector<std::string>& warnings) {
  return read_records(options, kind, [&sink](const std::string&) -> Expected<RecordSink*> { return &sink; },
                      info, warnings);
}

Status read_records(const InputOptions& options, std::string& kind, const SinkFactory& sink_for,
                    InputsInfo& info, std::vector<std::string>& warnings) {
  RecordSink* sink = nullptr;
  std::vector<std::string> files = options.files;
  if (files.empty()) files.emplace_back("-");
  info.files = files;
  std::uint64_t stdin_uses = 0;
  io::Record record;
  for (const auto& path : files) {
    if (path == "-" && ++stdin_uses > 1) return Error("standard input ('-') can be read only once");
    auto reader = io::RecordReader::open(path, options.reader);
    if (!reader) return std::move(reader).error();
    auto detected = detect_kind((*reader)->columns(), kind.empty() ? options.kind : kind,
                                (*reader)->display_name());
    if (!detected) return std::move(detected).error();
    kind = *detected;
    info.kind = kind;
    if (sink == nullptr) {
      auto made = sink_for(kind);
      if (!made) return std::move(made).error();
      sink = *made;
    }
    (*reader)->bind(sink->columns(bindable_columns(**reader, kind)));
    // A plain file goes to the sink whole, parsed on every core; a file the
    // bulk path declines is read record by record below, from its first row.
    // A pipe goes to the sink in blocks; the record reader reads on from the
    // first block the sink did not take.
    if (const auto bulk = (*reader)->bulk(); bulk && !bulk->stream) {
      if (const auto rows = sink->add_bulk(*bulk); rows) {
        info.rows += *rows;
        continue;
      }
    } else if (bulk) {
      io::BulkStream stream(*bulk);
      info.rows += sink->add_bulk_stream(stream);
      (*reader)->resume(stream.rest());  // at the end of the input if the sink took it all
    }
    // Files are parsed on a second core while this thread feeds the sink. Not
    // stdin: a reader thread blocked on a terminal or pipe could not be stopped
    // when an error ends the run early.
    std::unique_ptr<io::RecordReader> source =
        path == "-" ? std::move(*reader) : io::read_ahead(std::move(*reader), sink->preparer());
    while (true) {
      auto got = source->next(record);
      if (!got) {
        if (!options.skip_invalid || !source->can_skip_last_error()) return std::move(got).error();
        ++info.rows;
        if (++info.skipped_rows <= kSkipsShown) warnings.push_back("skipped: " + got.error().render());
        continue;
      }
      if (!*got) break;
      ++info.rows;
      Status st = sink->add(record);
      if (!st) {
        if (!options.skip_invalid) return st;
        if (++info.skipped_rows <= kSkipsShown) warnings.push_back("skipped: " + st.error().render());
      }
    }
  }
  if (info.skipped_rows > kSkipsShown) {
    warnings.push_back("skipped " + std::to_string(info.skipped_rows - kSkipsShown) +
                       " more invalid rows (" + std::to_string(info.skipped_rows) + " in all)");
  }
  return Status::ok();
}

}  // namespace kpi
