#pragma once
// Strict conversions of text to numbers: the whole cell must be a number, otherwise an
// InputError names where it came from.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace infersweep {

std::string_view trim(std::string_view text);
std::vector<std::string> split(std::string_view text, char separator);

// `where` is a prefix such as "file.csv:12: column 'num_tokens'".
int64_t parse_int64(std::string_view text, const std::string& where);
double parse_double(std::string_view text, const std::string& where);
bool parse_bool(std::string_view text, const std::string& where);

// Shortest text that reads back as the same double (round-trip exact, locale-independent).
std::string format_double(double value);
// Appends format_double(value) to `out` without a string of its own (for large tables).
void append_double(std::string& out, double value);
// The longest text format_double gives ("-2.2250738585072014e-308").
inline constexpr size_t kMaxDoubleText = 24;
// Writes format_double(value) at `out`, which has room for kMaxDoubleText characters, and
// returns the end of the text.
char* write_double(char* out, double value);

// A count with thousands separators, for messages: 4096 -> "4,096".
std::string format_count(int64_t value);

// The text without a leading UTF-8 byte-order mark, which spreadsheet programs write and which
// would otherwise stick to the first column or key name.
std::string_view strip_utf8_bom(std::string_view text);

// Text safe to print in a one-line message: control bytes (NUL and newlines included), DEL and
// bytes that are not valid UTF-8 become \xNN escapes (\n and \t stay readable as such);
// valid UTF-8 passes through unchanged.
std::string printable(std::string_view text);

}  // namespace infersweep
