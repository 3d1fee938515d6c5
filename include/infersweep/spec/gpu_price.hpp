#pragma once
// What one GPU-hour costs and where that figure comes from. A GPU spec ships a dated list
// price; prices move, so a user can price a run otherwise without editing the shipped files: a
// prices file (`--gpu-prices`) or a grid's `prices:` section. A price never enters a config's
// identity (capacity does not depend on it); every result records the price it used and its
// source instead.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::spec {

struct GpuPrice {
  double per_hour = 0;  // USD per GPU-hour
  // Where the price comes from, as results record it: "gpu spec h100.ini: <source> (<date>)",
  // "prices file p.ini:3: <source> (<date>)" or "grid g.yaml:12: prices.h100 ...". Files are
  // named without their directory, so that results do not depend on where files lie.
  std::string source;
};

// The price a GPU spec ships with.
GpuPrice spec_price(const GpuSpec& gpu);

// One price given by the user, with the place it is written for errors.
struct PriceEntry {
  std::string gpu;
  GpuPrice price;
  std::string file;
  int64_t line = 0;
  std::string field;  // the key that gives it
};

// A prices file, in the `key = value` format of the specs (`#` starts a comment):
//   source = ...            optional: where every price of the file comes from
//   date = ...              optional: when they were read
//   <gpu> = <USD per hour>  a price, for a GPU of data/gpus
//   <gpu>.source = ...      optional: the source of this GPU's price, instead of `source`
//   <gpu>.date = ...        optional: its date, instead of `date`
// Throws InputError naming the file, line and key of anything else, of a price that is not a
// positive number, and of a file without prices. GPU names are checked against the specs by
// whoever uses the entries.
std::vector<PriceEntry> read_price_file(const std::string& path);
std::vector<PriceEntry> parse_price_file(const std::string& text, const std::string& source_name);

// "<source> (<date>)", "<source>", "(<date>)" or "" for what is given.
std::string describe_price_origin(const std::string& source, const std::string& date);

}  // namespace infersweep::spec
