#include "backends/local/names.h"

#include <algorithm>

#include "util/crypto.h"

namespace wpfleet::local {

namespace {
std::string sql_safe(std::string id) {
  std::replace(id.begin(), id.end(), '-', '_');
  return id;
}
}  // namespace

std::string database_name(const std::string& env, const std::string& tenant) {
  return env + "_" + sql_safe(tenant) + "_db";
}

std::string database_user(const std::string& env, const std::string& tenant) {
  return env + "_" + sql_safe(tenant) + "_user";
}

std::string unix_user(const StateLayout& layout, const std::string& env,
                      const std::string& tenant) {
  const std::string key = layout.root.string() + '\0' + env + '\0' + tenant;
  return "wpf_" + sha256_hex(key).substr(0, 12);
}

std::string pool_name(const std::string& env, const std::string& tenant) {
  return env + "--" + tenant;
}

}  // namespace wpfleet::local
