#include "infersweep/spec/gpu_price.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"
#include "infersweep/spec/key_value_file.hpp"

namespace infersweep::spec {

namespace {

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

}  // namespace

std::string describe_price_origin(const std::string& source, const std::string& date) {
  if (source.empty()) return date.empty() ? "" : "(" + date + ")";
  return date.empty() ? source : source + " (" + date + ")";
}

GpuPrice spec_price(const GpuSpec& gpu) {
  GpuPrice p;
  p.per_hour = gpu.price_per_hour;
  p.source = "gpu spec " + file_name(gpu.source_file);
  const auto origin = describe_price_origin(gpu.price_source, gpu.price_date);
  if (!origin.empty()) p.source += ": " + origin;
  return p;
}

std::vector<PriceEntry> read_price_file(const std::string& path) {
  return parse_price_file(io::read_file_bytes(path), path);
}

std::vector<PriceEntry> parse_price_file(const std::string& text, const std::string& source_name) {
  const auto file = KeyValueFile::parse(text, source_name);
  std::string source, date;
  struct Stated {
    std::string source, date;
    int64_t line = 0;  // of the first of them, for an error
    std::string key;
  };
  std::map<std::string, Stated> stated;  // by GPU
  std::vector<PriceEntry> entries;
  for (const auto& l : file.lines()) {
    if (l.value.empty()) throw InputError::in_file(source_name, l.line, l.key, "expected a value, got nothing");
    if (l.key == "source" || l.key == "date") {
      (l.key == "source" ? source : date) = l.value;
      continue;
    }
    const auto dot = l.key.find('.');
    if (dot != std::string::npos) {
      const auto gpu = l.key.substr(0, dot), attribute = l.key.substr(dot + 1);
      if (gpu.empty() || (attribute != "source" && attribute != "date"))
        throw InputError::in_file(source_name, l.line, l.key,
                                  "unknown key (expected <gpu> = <USD per GPU-hour>, <gpu>.source, <gpu>.date, "
                                  "source or date)");
      auto& s = stated[gpu];
      (attribute == "source" ? s.source : s.date) = l.value;
      if (s.line == 0) s.line = l.line, s.key = l.key;
      continue;
    }
    double price = 0;
    try {
      price = parse_double(l.value, "");
    } catch (const InputError&) {
      price = 0;
    }
    if (!(price > 0))
      throw InputError::in_file(source_name, l.line, l.key,
                                "expected a positive price in USD per GPU-hour, got '" + l.value + "'");
    PriceEntry e;
    e.gpu = l.key;
    e.price.per_hour = price;
    e.file = source_name;
    e.line = l.line;
    e.field = l.key;
    entries.push_back(std::move(e));
  }
  if (entries.empty())
    throw InputError::in_file(source_name, 0, "", "no prices (expected lines such as 'h100 = 4.25', USD per GPU-hour)");
  for (const auto& stated_entry : stated) {
    const auto& gpu = stated_entry.first;  // not a structured binding: lambdas may not capture one before C++20
    const auto& s = stated_entry.second;
    const bool priced = std::any_of(entries.begin(), entries.end(), [&](const PriceEntry& e) { return e.gpu == gpu; });
    if (!priced)
      throw InputError::in_file(
          source_name, s.line, s.key,
          "the file gives no price for '" + gpu + "' (expected a line '" + gpu + " = <USD per GPU-hour>')");
  }
  for (auto& e : entries) {
    const auto it = stated.find(e.gpu);
    const auto& own_source = it != stated.end() && !it->second.source.empty() ? it->second.source : source;
    const auto& own_date = it != stated.end() && !it->second.date.empty() ? it->second.date : date;
    e.price.source = "prices file " + file_name(source_name) + ":" + std::to_string(e.line);
    const auto origin = describe_price_origin(own_source, own_date);
    if (!origin.empty()) e.price.source += ": " + origin;
  }
  return entries;
}

}  // namespace infersweep::spec
