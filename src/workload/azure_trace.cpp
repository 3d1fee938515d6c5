#include "infersweep/workload/azure_trace.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/workload/length_generator.hpp"
#include "trace_requests.hpp"

namespace infersweep::workload {

namespace {

bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t days_in_month(int64_t y, int64_t m) {
  static constexpr int64_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// Days from 0000-01-01 to the first day of year y (y >= 0) in the proleptic Gregorian calendar:
// 365 a year plus one for each leap year before it (year 0 is one).
int64_t days_before_year(int64_t y) { return 365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400; }

int64_t days_since_epoch(int64_t y, int64_t m, int64_t d) {
  int64_t days = days_before_year(y) - days_before_year(1970);
  for (int64_t month = 1; month < m; ++month) days += days_in_month(y, month);
  return days + d - 1;
}

// Reads `width` digits at `pos` as a number; false if any is not a digit.
bool digits(std::string_view text, size_t pos, size_t width, int64_t& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

class AzureTraceGenerator : public RequestGenerator {
 public:
  explicit AzureTraceGenerator(const WorkloadConfig& c) : config_(c) {}

  GeneratedWorkload generate() override {
    const auto table = io::CsvTable::read(config_.trace_file);
    const size_t t_col = table.column("TIMESTAMP");
    const size_t p_col = table.column("ContextTokens");
    const size_t d_col = table.column("GeneratedTokens");
    const size_t rows = rows_to_take(table.num_rows(), config_, table.path());
    std::vector<DateTime> times;
    times.reserve(rows);
    for (size_t row = 0; row < rows; ++row) {
      const auto cell = trim(table.cell(row, t_col));
      const auto time = parse_date_time(cell);
      if (!time)
        throw InputError::in_file(table.path(), table.line_of(row), table.field(t_col),
                                  "expected a date-time such as 2023-11-16 18:15:46.6805900 (any digits after the "
                                  "point, optionally a UTC offset such as +00:00), got '" +
                                      printable(cell) + "'");
      times.push_back(*time);
      if (seconds_between(times[row], times[earliest_]) > 0) earliest_ = row;
    }
    TraceRequests requests(table.path(), config_.max_tokens, rows);
    for (size_t row = 0; row < rows; ++row) {
      const double arrived = seconds_between(times[earliest_], times[row]) * config_.time_scale;
      const int64_t p = scale_count(read_token_count(table, row, p_col), config_.prefill_scale);
      const int64_t d = scale_count(read_token_count(table, row, d_col), config_.decode_scale);
      requests.add(table.line_of(row), table.field(t_col), arrived, p, d);
    }
    return requests.finish();
  }

 private:
  WorkloadConfig config_;
  size_t earliest_ = 0;
};

}  // namespace

std::optional<DateTime> parse_date_time(std::string_view text) {
  int64_t year, month, day, hour, minute, second;
  if (text.size() < 19 || !digits(text, 0, 4, year) || text[4] != '-' || !digits(text, 5, 2, month) || text[7] != '-' ||
      !digits(text, 8, 2, day) || (text[10] != ' ' && text[10] != 'T') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  size_t pos = 19;
  DateTime out;
  if (pos < text.size() && text[pos] == '.') {
    const size_t first = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == first) return std::nullopt;
    const std::string decimal = "0." + std::string(text.substr(first, pos - first));
    std::from_chars(decimal.data(), decimal.data() + decimal.size(), out.fraction);
    if (out.fraction >= 1) out.fraction = std::nextafter(1.0, 0.0);  // 0.999... rounded up
  }
  int64_t offset_s = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int64_t offset_h, offset_m;
    if (!digits(text, pos + 1, 2, offset_h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, offset_m) || offset_h > 23 || offset_m > 59)
      return std::nullopt;
    offset_s = (text[pos] == '+' ? 1 : -1) * (offset_h * 3600 + offset_m * 60);
    pos += 6;
  }
  if (pos != text.size()) return std::nullopt;
  out.seconds = days_since_epoch(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return out;
}

double seconds_between(const DateTime& earlier, const DateTime& later) {
  return static_cast<double>(later.seconds - earlier.seconds) + (later.fraction - earlier.fraction);
}

std::unique_ptr<RequestGenerator> make_azure_trace_generator(const WorkloadConfig& config) {
  return std::make_unique<AzureTraceGenerator>(config);
}

}  // namespace infersweep::workload
