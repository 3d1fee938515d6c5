#pragma once
// Azure's LLM inference traces as published (Azure/AzurePublicDataset: the 2023
// AzureLLMInferenceTrace_{conv,code}.csv and the 2024 *_1week.csv): CSV with the header
// TIMESTAMP,ContextTokens,GeneratedTokens and date-times such as "2023-11-16 18:15:46.6805900"
// (2023) or "2024-05-10 00:00:00.009930+00:00" (2024). They carry no prefix identity.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "infersweep/workload/request_generator.hpp"

namespace infersweep::workload {

// A date-time as whole seconds since 1970-01-01 00:00:00 UTC plus the fraction of a second, so
// that differences keep every digit a trace gives.
struct DateTime {
  int64_t seconds = 0;
  double fraction = 0;  // [0, 1)
};

// "YYYY-MM-DD HH:MM:SS" ('T' may stand for the space), then optionally '.' and any number of
// digits, then optionally 'Z' or a UTC offset "+HH:MM" / "-HH:MM" (none: UTC). nullopt for
// anything else, a date that does not exist (2023-02-29) or a time past 23:59:59 included.
std::optional<DateTime> parse_date_time(std::string_view text);

// later - earlier, in seconds.
double seconds_between(const DateTime& earlier, const DateTime& later);

// The azure_trace request generator: arrivals in seconds after the earliest row taken.
std::unique_ptr<RequestGenerator> make_azure_trace_generator(const WorkloadConfig& config);

}  // namespace infersweep::workload
