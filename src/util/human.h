// Figures as a person reads them: "1.5 GiB", "12 min".
#pragma once

#include <cstdint>
#include <string>

namespace wpfleet {

// Bytes in B, KiB, MiB or GiB, with one decimal from KiB on.
std::string human_bytes(std::uint64_t bytes);
// Seconds as "45 s", "12 min", "5 h" or "3 days".
std::string human_duration(std::int64_t seconds);

}  // namespace wpfleet
