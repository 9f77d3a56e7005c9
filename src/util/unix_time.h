// The time as the state and the logs keep it: whole seconds since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace wpfleet {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The time in UTC as strftime writes it with `format` (e.g. "%Y-%m-%d %H:%M:%S UTC").
std::string utc_text(std::int64_t unix_seconds, const char* format);

// The Unix time of `text`, a UTC time as strptime reads it with `format`; nullopt when
// the text does not start with one. With `whole`, nothing may follow it (otherwise
// fractions or a zone letter after the seconds are ignored, as in ISO 8601 times).
std::optional<std::int64_t> parse_utc_text(const std::string& text, const char* format,
                                           bool whole);

}  // namespace wpfleet
