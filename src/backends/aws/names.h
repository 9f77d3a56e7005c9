// The names of a tenant's AWS resources, exactly as the user's Terraform and scripts
// name them, and the tags wpfleet puts on what it makes or adopts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace wpfleet::aws_backend {

struct TenantNames {
  std::string secret;             // {env}-{tenant}-db-credentials
  std::string database;           // {tenant}_db ('-' in the id becomes '_')
  std::string db_user;            // {tenant}_user
  std::string policy;             // {env}-ecs-secrets-access-{tenant}, inline on the role
  std::string access_point_path;  // /{tenant} on the environment's EFS
  std::string family;             // {env}-{tenant}, the task definition family
  std::string container;          // wordpress
  std::string service;            // {env}-{tenant}-service
  std::string target_group;       // {env}-{tenant}-tg
  std::string log_prefix;         // {tenant}, the awslogs stream prefix
  // {env}-{tenant}-wpfleet-transfer: where a transfer task finds its presigned URLs
  std::string transfer_secret;
};

TenantNames tenant_names(const std::string& env, const std::string& tenant);

// AWS's length limits on the names above (a target group name has at most 32
// characters, a MySQL user name 32): an error naming the one too long and the fix.
Status check_name_limits(const TenantNames& names, const std::string& tenant);

using Tags = std::vector<std::pair<std::string, std::string>>;

// wpfleet:env, wpfleet:tenant and managed-by = wpfleet.
Tags tenant_tags(const std::string& env, const std::string& tenant);

// wpfleet:env and managed-by = wpfleet: the tags of what belongs to a whole environment.
Tags environment_tags(const std::string& env);

// The names of an environment's edge: what stands between visitors and its tenants.
struct EdgeNames {
  std::string basic_auth_secret;  // {env}-basic-auth-password, the password alone
  std::string origin_secret;      // {env}-wpfleet-origin-secret, the origin header's value
  std::string function;           // {env}-wpfleet-basic-auth, the CloudFront Function
  std::string noindex_policy;     // {env}-wpfleet-noindex, a response headers policy
  std::string static_policy;      // {env}-wpfleet-static, the cache policy of static files
  std::string alias;  // *.{suffix} for a domain "{tenant}.{suffix}"; "" for another form
};

EdgeNames edge_names(const std::string& env, const std::string& domain);

// Whether `tags` already hold every one of `wanted` with its value.
bool has_tags(const Tags& tags, const Tags& wanted);

// Whether `tags` hold `key`, whatever its value.
bool has_tag_key(const Tags& tags, const std::string& key);

// The JSON APIs write a tag as {"Key": ..., "Value": ...} (Secrets Manager, EFS), ECS as
// {"key": ..., "value": ...}.
struct TagMembers {
  const char* key;
  const char* value;
};
inline constexpr TagMembers kTagMembers{"Key", "Value"};
inline constexpr TagMembers kEcsTagMembers{"key", "value"};

// Tags as such a JSON array, and back.
nlohmann::json tags_json(const Tags& tags, TagMembers members = kTagMembers);
Tags tags_from_json(const nlohmann::json& list, TagMembers members = kTagMembers);

inline constexpr const char* kManagedByKey = "managed-by";
inline constexpr const char* kManagedByValue = "wpfleet";

}  // namespace wpfleet::aws_backend
