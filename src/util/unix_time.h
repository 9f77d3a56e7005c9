// The time as the state and the logs keep it: whole seconds since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace wpfleet {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace wpfleet
