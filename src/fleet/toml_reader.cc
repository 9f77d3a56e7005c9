#include "fleet/toml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace wpfleet {

void Problems::add(const Position& at, std::string message) {
  found_.push_back({at, std::move(message)});
}

bool Problems::check(const Position& at, const Status& status) {
  if (status.ok()) return true;
  add(at, status.error().message);
  return false;
}

Error Problems::to_error() const {
  std::vector<Problem> in_file_order = found_;
  std::stable_sort(in_file_order.begin(), in_file_order.end(),
                   [](const Problem& a, const Problem& b) {
                     return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
                   });
  std::vector<std::string> lines;
  for (const Problem& problem : in_file_order) {
    std::string line =
        fmt::format("{}:{}:{}: {}", path_, problem.at.line, problem.at.column, problem.message);
    // One value can break a rule once per environment it applies to; say it once.
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) {
      lines.push_back(std::move(line));
    }
  }
  return make_error(fmt::format("{}", fmt::join(lines, "\n")));
}

TableReader::TableReader(const toml::table& table, std::string where, std::span<const KeySpec> keys,
                         Problems& problems)
    : table_(table), where_(std::move(where)), keys_(keys), problems_(problems) {
  std::vector<std::string_view> known;
  for (const KeySpec& key : keys_) known.push_back(key.name);
  std::sort(known.begin(), known.end());
  for (auto&& [key, value] : table_) {
    if (std::binary_search(known.begin(), known.end(), key.str())) continue;
    problems_.add(key.source().begin, fmt::format("unknown key '{}' {}; known keys are: {}",
                                                  key.str(), where_, fmt::join(known, ", ")));
  }
}

const toml::array* TableReader::strings(std::string_view key, Need need) {
  const toml::node* value = find(key, need);
  if (value == nullptr) return nullptr;
  if (!is_string_list(*value)) {
    report_wrong_type(*value, key, "a list of strings");
    return nullptr;
  }
  return value->as_array();
}

const toml::node* TableReader::find(std::string_view key, Need need) {
  const toml::node* value = table_.get(key);
  if (value == nullptr && need == Need::kRequired) {
    problems_.add(position(), fmt::format("missing required key '{}' {}; add it, e.g. {}", key,
                                          where_, spec(key).example));
  }
  return value;
}

void TableReader::report_wrong_type(const toml::node& value, std::string_view key,
                                    std::string_view kind) {
  problems_.add(value.source().begin,
                fmt::format("'{}' must be {}; write it like {}", key, kind, spec(key).example));
}

const KeySpec& TableReader::spec(std::string_view key) const {
  auto found = std::find_if(keys_.begin(), keys_.end(),
                            [&](const KeySpec& candidate) { return candidate.name == key; });
  if (found == keys_.end()) throw std::logic_error("key '" + std::string(key) + "' has no KeySpec");
  return *found;
}

bool is_string_list(const toml::node& node) {
  const toml::array* list = node.as_array();
  return list != nullptr && std::all_of(list->begin(), list->end(),
                                        [](const toml::node& item) { return item.is_string(); });
}

}  // namespace wpfleet
