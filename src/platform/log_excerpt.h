// The end of a log file or of a tool's output, for error messages: what failed is
// usually said in its last lines.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace wpfleet {

std::string last_lines(const std::string& text, std::size_t count);

// "\nlast lines of LOG:\n..." or nothing when the log is missing or empty.
std::string log_excerpt(const std::filesystem::path& log, std::size_t count = 10);

}  // namespace wpfleet
