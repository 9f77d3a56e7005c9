#include "backends/aws/names.h"

#include <algorithm>

namespace wpfleet::aws_backend {

namespace {

// MySQL names cannot hold '-' unquoted, and the user's scripts never quote them.
std::string sql_name(std::string tenant) {
  std::replace(tenant.begin(), tenant.end(), '-', '_');
  return tenant;
}

}  // namespace

TenantNames tenant_names(const std::string& env, const std::string& tenant) {
  TenantNames names;
  names.secret = env + "-" + tenant + "-db-credentials";
  names.database = sql_name(tenant) + "_db";
  names.db_user = sql_name(tenant) + "_user";
  names.policy = env + "-ecs-secrets-access-" + tenant;
  names.access_point_path = "/" + tenant;
  names.family = env + "-" + tenant;
  names.container = "wordpress";
  names.service = env + "-" + tenant + "-service";
  names.target_group = env + "-" + tenant + "-tg";
  names.log_prefix = tenant;
  names.transfer_secret = env + "-" + tenant + "-wpfleet-transfer";
  return names;
}

Status check_name_limits(const TenantNames& names, const std::string& tenant) {
  struct Limit {
    const std::string& name;
    std::size_t max;
    const char* what;
  };
  const Limit limits[] = {{names.target_group, 32, "target group name"},
                          {names.db_user, 32, "MySQL user name"},
                          {names.policy, 128, "IAM policy name"}};
  for (const Limit& limit : limits) {
    if (limit.name.size() <= limit.max) continue;
    return make_error("tenant id '" + tenant + "' is too long for AWS: its " + limit.what + " '" +
                      limit.name + "' has " + std::to_string(limit.name.size()) +
                      " characters and AWS allows " + std::to_string(limit.max) +
                      "; give the tenant a shorter id");
  }
  return {};
}

Tags tenant_tags(const std::string& env, const std::string& tenant) {
  return {{"wpfleet:env", env}, {"wpfleet:tenant", tenant}, {kManagedByKey, kManagedByValue}};
}

Tags environment_tags(const std::string& env) {
  return {{"wpfleet:env", env}, {kManagedByKey, kManagedByValue}};
}

EdgeNames edge_names(const std::string& env, const std::string& domain) {
  EdgeNames names;
  names.basic_auth_secret = env + "-basic-auth-password";
  names.origin_secret = env + "-wpfleet-origin-secret";
  names.static_policy = env + "-wpfleet-static";
  names.function = env + "-wpfleet-basic-auth";
  names.noindex_policy = env + "-wpfleet-noindex";
  const std::string tenant = "{tenant}.";
  if (domain.rfind(tenant, 0) == 0 && domain.find('{', tenant.size()) == std::string::npos) {
    names.alias = "*." + domain.substr(tenant.size());
  }
  return names;
}

bool has_tags(const Tags& tags, const Tags& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  });
}

bool has_tag_key(const Tags& tags, const std::string& key) {
  return std::any_of(tags.begin(), tags.end(), [&](const auto& tag) { return tag.first == key; });
}

nlohmann::json tags_json(const Tags& tags, TagMembers members) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, value] : tags) out.push_back({{members.key, key}, {members.value, value}});
  return out;
}

Tags tags_from_json(const nlohmann::json& list, TagMembers members) {
  Tags tags;
  for (const auto& tag : list) {
    tags.emplace_back(tag.value(members.key, ""), tag.value(members.value, ""));
  }
  return tags;
}

}  // namespace wpfleet::aws_backend
