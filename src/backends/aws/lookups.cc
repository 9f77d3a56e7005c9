#include "backends/aws/lookups.h"

#include "aws/pagination.h"

namespace wpfleet::aws_backend {

namespace {

std::optional<int> int_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<int>();
}

}  // namespace

AccessPoint access_point_from_json(const nlohmann::json& item) {
  AccessPoint point;
  point.id = item.value("AccessPointId", "");
  point.state = item.value("LifeCycleState", "");
  const nlohmann::json root = item.value("RootDirectory", nlohmann::json::object());
  point.path = root.value("Path", "/");
  const nlohmann::json posix = item.value("PosixUser", nlohmann::json::object());
  point.uid = int_of(posix, "Uid");
  point.gid = int_of(posix, "Gid");
  if (const auto info = root.find("CreationInfo"); info != root.end() && info->is_object()) {
    point.owner_uid = int_of(*info, "OwnerUid");
    point.owner_gid = int_of(*info, "OwnerGid");
    point.permissions = info->value("Permissions", "");
  }
  point.tags = tags_from_json(item.value("Tags", nlohmann::json::array()));
  return point;
}

Result<std::vector<AccessPoint>> list_access_points(aws::Client& client,
                                                    const std::string& file_system_id) {
  std::vector<AccessPoint> points;
  std::string token;
  for (;;) {
    aws::QueryParams query = {{"FileSystemId", file_system_id}, {"MaxResults", "100"}};
    if (!token.empty()) query.emplace_back("NextToken", token);
    TRY_ASSIGN(nlohmann::json page, client.rest_json(aws::kEfs, "DescribeAccessPoints", "GET",
                                                     "/2015-02-01/access-points", query));
    for (const auto& item : page.value("AccessPoints", nlohmann::json::array())) {
      points.push_back(access_point_from_json(item));
    }
    const nlohmann::json next = page.value("NextToken", nlohmann::json());
    if (!next.is_string() || next.get<std::string>().empty()) return points;
    if (next.get<std::string>() == token) {
      return make_error(
          "EFS DescribeAccessPoints returned the same page token twice: the "
          "endpoint is not paging; check that it is an AWS API");
    }
    token = next.get<std::string>();
  }
}

std::optional<AccessPoint> access_point_at(const std::vector<AccessPoint>& points,
                                           const std::string& path, const Tags& wanted_tags) {
  std::optional<AccessPoint> found;
  for (const auto& point : points) {
    if (point.path != path || point.state == "deleting" || point.state == "deleted") continue;
    if (!found || (has_tags(point.tags, wanted_tags) && !has_tags(found->tags, wanted_tags))) {
      found = point;
    }
  }
  return found;
}

Result<std::set<std::string>> list_service_names(aws::Client& client,
                                                 const std::string& cluster_arn) {
  TRY_ASSIGN(auto pages,
             aws::all_json_pages(client, aws::kEcs, "ListServices",
                                 {{"cluster", cluster_arn}, {"maxResults", 100}}, "nextToken"));
  std::set<std::string> names;
  for (const auto& page : pages) {
    for (const auto& arn : page.value("serviceArns", nlohmann::json::array())) {
      const std::string text = arn.get<std::string>();
      names.insert(text.substr(text.rfind('/') + 1));
    }
  }
  return names;
}

Result<std::set<std::string>> tenants_with_service(aws::Client& client,
                                                   const std::string& cluster_arn,
                                                   const std::string& env,
                                                   const std::set<std::string>& tenants) {
  TRY_ASSIGN(auto names, list_service_names(client, cluster_arn));
  std::set<std::string> found;
  for (const auto& tenant : tenants) {
    if (names.count(tenant_names(env, tenant).service)) found.insert(tenant);
  }
  return found;
}

Result<std::map<std::string, Tags>> list_environment_secrets(aws::Client& client,
                                                             const std::string& env) {
  TRY_ASSIGN(auto pages,
             aws::all_json_pages(
                 client, aws::kSecretsManager, "ListSecrets",
                 {{"Filters", {{{"Key", "name"}, {"Values", {env + "-"}}}}}, {"MaxResults", 100}}));
  std::map<std::string, Tags> secrets;
  for (const auto& page : pages) {
    for (const auto& secret : page.value("SecretList", nlohmann::json::array())) {
      if (!secret.value("DeletedDate", nlohmann::json()).is_null()) continue;
      secrets[secret.value("Name", "")] =
          tags_from_json(secret.value("Tags", nlohmann::json::array()));
    }
  }
  return secrets;
}

}  // namespace wpfleet::aws_backend
