// Reading `wpfleet cost --output json`: one environment's tenant, and a figure of a list
// (costs, usage, shared) by name.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace wpfleet::testing {

// The tenant `id` of an environment of the report; a test failure when it has none.
inline nlohmann::json report_tenant(const nlohmann::json& env, const std::string& id) {
  for (const auto& t : env["tenants"]) {
    if (t["tenant"] == id) return t;
  }
  ADD_FAILURE() << "no tenant " << id << " in " << env.dump();
  return nlohmann::json::object();
}

// The figure `name` of `list`; null when it has none.
inline nlohmann::json report_figure(const nlohmann::json& list, const std::string& name) {
  for (const auto& f : list) {
    if (f["name"] == name) return f;
  }
  return nullptr;
}

}  // namespace wpfleet::testing
