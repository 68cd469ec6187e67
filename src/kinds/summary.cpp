// Summary data: rows of named inputs or metric values, one row per period (METRICS.md §2
// "summary"). Summary files are small by nature, so rows are kept until the end,
// when the columns that name no metric are classified: numeric ones are ignored
// with a warning, text ones become dimensions.
#include <algorithm>
#include <unordered_map>

#include "kpi/io/values.hpp"
#include "kpi/kinds/aggregator.hpp"

namespace kpi {
namespace {

class SummaryAggregator final : public Aggregator {
 public:
  explicit SummaryAggregator(const ComputeOptions& options) : options_(options) {}

  std::vector<std::string> columns(const std::vector<std::string>& available) override {
    slots_.clear();
    for (const auto& name : available) {
      auto [it, inserted] = column_index_.emplace(name, columns_.size());
      if (inserted) columns_.push_back(Column{name, find_metric(name)});
      slots_.push_back(it->second);
    }
    return available;
  }

  Status add(const io::Record& record) override {
    Row row;
    for (std::size_t slot = 0; slot < record.fields.size(); ++slot) {
      const io::Field& field = record.fields[slot];
      const std::size_t col = slots_[slot];
      const Column& column = columns_[col];
      if (!field.present) continue;
      if (!field.scalar) return record.error(slot, column.name, "a number or a text value");
      if (column.name == "period") {
        row.period = std::string(io::trim(field.text));
        continue;
      }
      if (column.metric != nullptr) {
        if (io::trim(field.text).empty()) continue;  // blank: no value in this row
        const auto value = io::parse_number(field.text);
        if (!value) return record.error(slot, column.name, "a number");
        if (column.metric->non_negative && *value < 0) {
          return record.error(slot, column.name, "a number that is not negative");
        }
        row.numbers.emplace_back(col, *value);
      } else {
        row.texts.emplace_back(col, std::string(field.text));
      }
    }
    rows_.push_back(std::move(row));
    return Status::ok();
  }

  Expected<Table> finish() override {
    Table table;
    for (const auto& by : options_.by) {
      const auto it = column_index_.find(by);
      if (it == column_index_.end() || columns_[it->second].metric != nullptr) {
        return Error("--by " + by + ": no text column '" + by + "' in the summary data");
      }
    }
    classify_columns(table.warnings);
    // Per row, each column's text (the last one given), found without a search per
    // dimension: linear in the row, however many columns there are.
    std::vector<std::string*> text_of(columns_.size(), nullptr);
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      Row& row = rows_[r];
      Group group;
      if (!row.period.empty()) {
        group.period = row.period;
      } else {
        group.period = rows_.size() == 1 ? "all" : "row " + std::to_string(r + 1);
      }
      for (auto& [c, text] : row.texts) text_of[c] = &text;
      for (std::size_t col = 0; col < columns_.size(); ++col) {
        if (!columns_[col].dimension) continue;
        group.dims.emplace_back(columns_[col].name,
                                text_of[col] != nullptr ? std::move(*text_of[col]) : std::string());
      }
      for (const auto& [c, text] : row.texts) text_of[c] = nullptr;
      for (const auto& [col, value] : row.numbers) group.values[columns_[col].name] = value;
      table.groups.push_back(std::move(group));
    }
    return table;
  }

 private:
  struct Column {
    std::string name;
    const MetricInfo* metric = nullptr;
    bool dimension = false;
  };
  struct Row {
    std::string period;
    std::vector<std::pair<std::size_t, double>> numbers;
    std::vector<std::pair<std::size_t, std::string>> texts;
  };

  // A column naming no metric is numeric (ignored) when every non-blank value is a
  // number, and a dimension otherwise.
  void classify_columns(std::vector<std::string>& warnings) {
    // One pass over every row's texts (not one per column: wide data made that
    // quadratic), then one per column.
    std::vector<char> any(columns_.size(), 0);
    std::vector<char> numeric(columns_.size(), 1);
    for (const Row& row : rows_) {
      for (const auto& [c, text] : row.texts) {
        if (io::trim(text).empty()) continue;
        any[c] = 1;
        if (numeric[c] && !io::parse_number(text)) numeric[c] = 0;
      }
    }
    for (std::size_t col = 0; col < columns_.size(); ++col) {
      Column& column = columns_[col];
      if (column.metric != nullptr || column.name == "period") continue;
      const bool by = std::find(options_.by.begin(), options_.by.end(), column.name) != options_.by.end();
      if (any[col] && numeric[col] && !by) {
        std::string hint;
        const auto close = suggest_metrics(column.name);
        if (!close.empty()) hint = " (did you mean " + close.front() + "?)";
        warnings.push_back("column '" + column.name +
                           "' is numeric but names no metric or input; ignored" + hint);
      } else {
        column.dimension = true;
      }
    }
  }

  const ComputeOptions& options_;
  std::vector<Column> columns_;
  std::unordered_map<std::string, std::size_t> column_index_;
  std::vector<std::size_t> slots_;
  std::vector<Row> rows_;
};

}  // namespace

std::unique_ptr<Aggregator> make_summary_aggregator(const ComputeOptions& options, const TimeContext&) {
  return std::make_unique<SummaryAggregator>(options);
}

}  // namespace kpi
