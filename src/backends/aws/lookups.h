// Lookups that more than one provider makes: the access points of the environment's
// file system, the services of its cluster, and its tenants' secrets. Each is one
// paginated listing, so that `plan` costs a bounded number of calls.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/client.h"
#include "backends/aws/names.h"
#include "util/result.h"

namespace wpfleet::aws_backend {

struct AccessPoint {
  std::string id;
  std::string path;             // RootDirectory.Path
  std::string state;            // LifeCycleState: creating, available, updating, deleting, error
  std::optional<int> uid, gid;  // PosixUser
  // RootDirectory.CreationInfo, when it has one.
  std::optional<int> owner_uid, owner_gid;
  std::string permissions;
  Tags tags;
};

// One access point as EFS describes it (DescribeAccessPoints' items, CreateAccessPoint's
// answer).
AccessPoint access_point_from_json(const nlohmann::json& item);

// Every access point of the file system (DescribeAccessPoints, 100 a page).
Result<std::vector<AccessPoint>> list_access_points(aws::Client& client,
                                                    const std::string& file_system_id);

// The access point at `path` among `points` that is not being deleted (preferring one
// wpfleet tagged when the user made several); nullopt when there is none.
std::optional<AccessPoint> access_point_at(const std::vector<AccessPoint>& points,
                                           const std::string& path, const Tags& wanted_tags);

// The names of the cluster's services (ListServices, 100 a page).
Result<std::set<std::string>> list_service_names(aws::Client& client,
                                                 const std::string& cluster_arn);

// Which of `tenants` of the environment `env` have their service on the cluster (one
// ListServices, 100 a page). AWS lists ACTIVE services only; a deleted service stays
// visible to DescribeServices for a while, not here.
Result<std::set<std::string>> tenants_with_service(aws::Client& client,
                                                   const std::string& cluster_arn,
                                                   const std::string& env,
                                                   const std::set<std::string>& tenants);

// The tags of the secrets whose names start with "{env}-" (the tenants' secrets), by
// name (ListSecrets, 100 a page). AWS does not list those scheduled for deletion; one an
// endpoint lists all the same is left out too.
Result<std::map<std::string, Tags>> list_environment_secrets(aws::Client& client,
                                                             const std::string& env);

}  // namespace wpfleet::aws_backend
