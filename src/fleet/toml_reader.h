// Reading TOML tables against the keys they may hold, collecting every problem with its
// position instead of stopping at the first.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "util/result.h"

namespace wpfleet {

using Position = toml::source_position;

// The problems found in one file, reported together as "file:line:column: message" lines.
class Problems {
 public:
  explicit Problems(std::string path) : path_(std::move(path)) {}

  void add(const Position& at, std::string message);
  // Records a failed check; returns whether it passed.
  bool check(const Position& at, const Status& status);
  // The value of a successful step; records a failed one.
  template <class T>
  std::optional<T> take(const Position& at, Result<T> result) {
    if (result.ok()) return std::move(result).value();
    add(at, std::move(result).error().message);
    return std::nullopt;
  }

  bool empty() const { return found_.empty(); }
  // All problems, in file order, one per line, each said once.
  Error to_error() const;

 private:
  struct Problem {
    Position at;
    std::string message;
  };
  std::string path_;
  std::vector<Problem> found_;
};

// A key a table may hold, with a line showing it used well (quoted in fixes).
struct KeySpec {
  std::string_view name;
  std::string_view example;
};

enum class Need { kOptional, kRequired };

// The node type `as<T>()` yields: toml::value<T> for values, T itself for tables and arrays.
template <class T>
using NodeOf = std::remove_pointer_t<decltype(std::declval<const toml::node&>().as<T>())>;

// Reads one table whose keys are `keys`. Constructing it reports every unknown key, so no
// table can be read without that check; each getter reports a missing required key or a
// value of the wrong type, and returns nullptr then.
class TableReader {
 public:
  // `where` places the table in messages: "in [environments.dev]", "at the top level".
  TableReader(const toml::table& table, std::string where, std::span<const KeySpec> keys,
              Problems& problems);

  template <class T>
  const NodeOf<T>* get(std::string_view key, Need need = Need::kOptional) {
    const toml::node* node = find(key, need);
    if (node == nullptr) return nullptr;
    const NodeOf<T>* typed = node->as<T>();
    if (typed == nullptr) report_wrong_type(*node, key, kind_of<T>());
    return typed;
  }

  // A list whose elements are all strings.
  const toml::array* strings(std::string_view key, Need need = Need::kOptional);

  // Any value; the caller checks its type.
  const toml::node* node(std::string_view key, Need need = Need::kOptional) {
    return find(key, need);
  }

  Position position() const { return table_.source().begin; }

 private:
  template <class T>
  static std::string_view kind_of() {
    if constexpr (std::is_same_v<T, std::string>) {
      return "a string";
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return "a whole number";
    } else if constexpr (std::is_same_v<T, bool>) {
      return "true or false";
    } else {
      static_assert(std::is_same_v<T, toml::table>, "add a description for this kind");
      return "a table";
    }
  }

  const toml::node* find(std::string_view key, Need need);
  void report_wrong_type(const toml::node& value, std::string_view key, std::string_view kind);
  const KeySpec& spec(std::string_view key) const;

  const toml::table& table_;
  std::string where_;
  std::span<const KeySpec> keys_;
  Problems& problems_;
};

// Whether `node` is a list holding nothing but strings.
bool is_string_list(const toml::node& node);

}  // namespace wpfleet
