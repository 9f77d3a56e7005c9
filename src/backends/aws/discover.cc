#include "backends/aws/discover.h"

#include <map>

#include "aws/pagination.h"

namespace wpfleet::aws_backend {

namespace {

// The part of `name` between `prefix` and `suffix`, or "" when it does not fit.
std::string between(const std::string& name, const std::string& prefix, const std::string& suffix) {
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return "";
  }
  return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
}

// The tenant id a host name stands for under the domain pattern "{tenant}.wpsit.example".
std::string tenant_of_host(const std::string& host, const std::string& domain) {
  const auto at = domain.find("{tenant}");
  if (at == std::string::npos) return "";
  return between(host, domain.substr(0, at), domain.substr(at + 8));
}

Status find_services(aws::Client& client, const Environment& env,
                     const PlatformResources& platform,
                     std::map<std::string, DiscoveredTenant>& found) {
  TRY_ASSIGN(auto pages, aws::all_json_pages(client, aws::kEcs, "ListServices",
                                              {{"cluster", platform.cluster_arn}, {"maxResults", 100}},
                                              "nextToken"));
  for (const auto& page : pages) {
    for (const auto& arn : page.value("serviceArns", nlohmann::json::array())) {
      const std::string name = arn.get<std::string>().substr(arn.get<std::string>().rfind('/') + 1);
      const std::string id = between(name, env.name + "-", "-service");
      if (!id.empty()) found[id].service = true;
    }
  }
  return {};
}

Status find_secrets(aws::Client& client, const Environment& env,
                    std::map<std::string, DiscoveredTenant>& found) {
  TRY_ASSIGN(auto pages,
             aws::all_json_pages(client, aws::kSecretsManager, "ListSecrets",
                                 {{"Filters", {{{"Key", "name"}, {"Values", {env.name + "-"}}}}},
                                  {"MaxResults", 100}}));
  for (const auto& page : pages) {
    for (const auto& secret : page.value("SecretList", nlohmann::json::array())) {
      if (!secret.value("DeletedDate", nlohmann::json()).is_null()) continue;
      const std::string id = between(secret.value("Name", ""), env.name + "-", "-db-credentials");
      if (!id.empty()) found[id].secret = true;
    }
  }
  return {};
}

Status find_rules(aws::Client& client, const Environment& env, const PlatformResources& platform,
                  std::map<std::string, DiscoveredTenant>& found) {
  TRY_ASSIGN(auto pages, aws::all_query_pages(client, aws::kElbV2, "DescribeRules",
                                              {{"ListenerArn", platform.listener_arn}},
                                              "NextMarker"));
  for (const auto& page : pages) {
    for (const auto& rule : page.select_nodes("//Rules/member")) {
      const std::string priority = rule.node().child_value("Priority");
      if (priority == "default") continue;
      std::vector<std::string> hosts;
      for (const auto& value :
           rule.node().select_nodes(".//Conditions/member[Field='host-header']//Values/member")) {
        hosts.push_back(value.node().child_value());
      }
      for (const auto& host : hosts) {
        const std::string id = tenant_of_host(host, env.domain);
        if (id.empty() || !found.count(id)) continue;
        DiscoveredTenant& tenant = found[id];
        tenant.priority = std::stoi(priority);
        for (const auto& other : hosts) {
          if (other != host) tenant.aliases.push_back(other);
        }
        break;
      }
    }
  }
  return {};
}

}  // namespace

Result<std::vector<DiscoveredTenant>> discover_tenants(AwsPlatforms& platforms,
                                                       const Environment& env) {
  TRY_ASSIGN(aws::Client * client, platforms.client(env));
  TRY_ASSIGN(const PlatformResources* platform, platforms.platform(env));
  std::map<std::string, DiscoveredTenant> found;
  TRY(find_services(*client, env, *platform, found));
  TRY(find_secrets(*client, env, found));
  TRY(find_rules(*client, env, *platform, found));
  std::vector<DiscoveredTenant> tenants;
  for (auto& [id, tenant] : found) {
    tenant.id = id;
    tenants.push_back(std::move(tenant));
  }
  return tenants;
}

}  // namespace wpfleet::aws_backend
