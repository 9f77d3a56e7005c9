#include "platform/log_excerpt.h"

#include <string_view>
#include <vector>

#include "util/fs.h"

namespace wpfleet {

std::string last_lines(const std::string& text, std::size_t count) {
  std::vector<std::string_view> lines;
  std::string_view rest(text);
  while (!rest.empty()) {
    std::size_t newline = rest.find('\n');
    lines.push_back(rest.substr(0, newline));
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string tail;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    tail.append(lines[i]).append(i + 1 < lines.size() ? "\n" : "");
  }
  return tail;
}

std::string log_excerpt(const std::filesystem::path& log, std::size_t count) {
  Result<std::string> text = read_file(log);
  if (!text) return "";
  std::string tail = last_lines(*text, count);
  if (tail.empty()) return "";
  return "\nlast lines of " + log.string() + ":\n" + tail;
}

}  // namespace wpfleet
