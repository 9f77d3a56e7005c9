#include "util/unix_time.h"

#include <ctime>

namespace wpfleet {

std::string utc_text(std::int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, format, &utc);
  return std::string(text, length);
}

std::optional<std::int64_t> parse_utc_text(const std::string& text, const char* format,
                                           bool whole) {
  std::tm utc{};
  const char* end = ::strptime(text.c_str(), format, &utc);
  if (end == nullptr || (whole && *end != '\0')) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&utc));
}

}  // namespace wpfleet
