#include "backends/aws/usage.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "aws/pagination.h"
#include "backends/aws/cloudfront.h"
#include "backends/aws/names.h"
#include "util/unix_time.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

constexpr std::int64_t kDay = 86400;
constexpr std::size_t kServicesPerDescribe = 10;   // DescribeServices' limit
constexpr std::size_t kQueriesPerMetricCall = 500;  // GetMetricData's limit

std::string iso_time(std::int64_t unix_seconds) { return utc_text(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

// CloudWatch's timestamps ("2026-11-03T00:00:00Z", maybe with fractions); -1 if not one.
std::int64_t parse_iso_time(const std::string& text) {
  return parse_utc_text(text, "%Y-%m-%dT%H:%M:%S", false).value_or(-1);
}

// CloudWatch's dimension values are what follows a marker in the ARN: the target group's
// "targetgroup/sit-a-tg/6d0ecf831eec9f09" (marker kept), the load balancer's
// "app/sit-alb/50dc6c495c0c9188" (after "loadbalancer/").
std::string arn_from(const std::string& arn, const std::string& marker, bool keep_marker) {
  const auto at = arn.find(marker);
  if (at == std::string::npos) return "";
  return arn.substr(keep_marker ? at : at + marker.size());
}

using Dimensions = std::vector<std::pair<std::string, std::string>>;

// Adds the `n`th query (from 1) of a GetMetricData call: the daily sums of `metric`.
void add_daily_sum_query(aws::QueryParams& params, std::size_t n, const std::string& id,
                         const std::string& space, const std::string& metric,
                         const Dimensions& dimensions) {
  const std::string query = "MetricDataQueries.member." + std::to_string(n) + ".";
  const std::string stat = query + "MetricStat.Metric.";
  params.insert(params.end(), {{query + "Id", id},
                               {stat + "Namespace", space},
                               {stat + "MetricName", metric},
                               {query + "MetricStat.Period", std::to_string(kDay)},
                               {query + "MetricStat.Stat", "Sum"}});
  for (std::size_t i = 0; i < dimensions.size(); ++i) {
    const std::string at = stat + "Dimensions.member." + std::to_string(i + 1);
    params.emplace_back(at + ".Name", dimensions[i].first);
    params.emplace_back(at + ".Value", dimensions[i].second);
  }
}

// Every data point GetMetricData answers `params` with, page after page: its query's
// id, its day (unix seconds at 00:00 UTC) and its value.
Status each_metric_point(aws::Client& client, const aws::QueryParams& params,
                         const std::function<void(const std::string&, std::int64_t, double)>& take) {
  std::string token;
  do {
    aws::QueryParams page = params;
    if (!token.empty()) page.emplace_back("NextToken", token);
    TRY_ASSIGN(auto answer, client.query(aws::kCloudWatch, "GetMetricData", page));
    for (const auto& result : answer.select_nodes("//MetricDataResults/member")) {
      const std::string id = result.node().child_value("Id");
      std::vector<std::int64_t> days;
      for (const auto& t : result.node().child("Timestamps").children("member")) {
        days.push_back(parse_iso_time(t.child_value()) / kDay * kDay);
      }
      std::size_t i = 0;
      for (const auto& v : result.node().child("Values").children("member")) {
        if (i < days.size()) take(id, days[i], std::strtod(v.child_value(), nullptr));
        ++i;
      }
    }
    token = answer.select_node("//NextToken").node().child_value();
  } while (!token.empty());
  return {};
}

Result<std::map<std::string, std::string>> tag_statuses(aws::Client& client) {
  TRY_ASSIGN(auto pages, aws::all_json_pages(client, aws::kCostExplorer, "ListCostAllocationTags",
                                             {{"TagKeys", {kTenantTagKey, kEnvTagKey}},
                                              {"MaxResults", 1000}}));
  std::map<std::string, std::string> statuses;
  for (const auto& page : pages) {
    for (const auto& tag : page.value("CostAllocationTags", json::array())) {
      statuses[tag.value("TagKey", "")] = tag.value("Status", "");
    }
  }
  return statuses;
}

Result<std::optional<BilledMonth>> billed_month(aws::Client& client, const Environment& env,
                                                const cost::Month& month) {
  const json request = {
      {"TimePeriod", {{"Start", month.first_day()}, {"End", month.next_first_day()}}},
      {"Granularity", "MONTHLY"},
      {"Metrics", {"UnblendedCost"}},
      {"Filter", {{"Tags", {{"Key", kEnvTagKey}, {"Values", {env.name}}, {"MatchOptions", {"EQUALS"}}}}}},
      {"GroupBy", {{{"Type", "TAG"}, {"Key", kTenantTagKey}}}}};
  TRY_ASSIGN(auto pages, aws::all_json_pages(client, aws::kCostExplorer, "GetCostAndUsage", request,
                                             "NextPageToken"));
  BilledMonth billed;
  bool any = false;
  const std::string prefix = std::string(kTenantTagKey) + "$";
  for (const auto& page : pages) {
    for (const auto& period : page.value("ResultsByTime", json::array())) {
      billed.estimated = billed.estimated || period.value("Estimated", false);
      for (const auto& group : period.value("Groups", json::array())) {
        const auto keys = group.value("Keys", json::array());
        if (keys.empty()) continue;
        std::string key = keys[0].get<std::string>();
        if (key.starts_with(prefix)) key = key.substr(prefix.size());
        const std::string amount = group.value(
            json::json_pointer("/Metrics/UnblendedCost/Amount"), std::string("0"));
        const double value = std::strtod(amount.c_str(), nullptr);
        any = true;
        if (key.empty()) {
          billed.untagged += value;
        } else {
          billed.by_tenant[key] += value;
        }
      }
    }
  }
  if (!any) return std::optional<BilledMonth>();
  return std::optional<BilledMonth>(billed);
}

// Each tenant's service: desired count and its task definition's size (the fleet file's
// when the service or its definition cannot be read).
Status read_services(aws::Client& client, const Environment& env, const PlatformResources& platform,
                     std::vector<cost::TenantResources>& tenants) {
  std::map<std::string, json> by_name;
  for (std::size_t at = 0; at < tenants.size(); at += kServicesPerDescribe) {
    json names = json::array();
    for (std::size_t i = at; i < std::min(tenants.size(), at + kServicesPerDescribe); ++i) {
      names.push_back(tenant_names(env.name, tenants[i].tenant).service);
    }
    TRY_ASSIGN(json answer, client.json(aws::kEcs, "DescribeServices",
                                        {{"cluster", platform.cluster_arn}, {"services", names}}));
    for (const auto& service : answer.value("services", json::array())) {
      by_name[service.value("serviceName", "")] = service;
    }
  }
  std::map<std::string, json> definitions;  // by ARN
  for (auto& t : tenants) {
    t.vcpu = env.aws->cpu / 1024.0;
    t.memory_gb = env.aws->memory / 1024.0;
    const auto found = by_name.find(tenant_names(env.name, t.tenant).service);
    if (found == by_name.end() || found->second.value("status", "") != "ACTIVE") continue;
    t.tasks = found->second.value("desiredCount", 0);
    const std::string arn = found->second.value("taskDefinition", "");
    if (arn.empty()) continue;
    if (!definitions.count(arn)) {
      TRY_ASSIGN(json answer, client.json(aws::kEcs, "DescribeTaskDefinition",
                                          {{"taskDefinition", arn}}));
      definitions[arn] = answer.value("taskDefinition", json::object());
    }
    const json& definition = definitions[arn];
    // ECS gives a task's size as strings of CPU units and MiB.
    const std::string cpu = definition.value("cpu", ""), memory = definition.value("memory", "");
    if (!cpu.empty()) t.vcpu = std::strtod(cpu.c_str(), nullptr) / 1024;
    if (!memory.empty()) t.memory_gb = std::strtod(memory.c_str(), nullptr) / 1024;
  }
  return {};
}

Result<std::string> rds_class(aws::Client& client, const Environment& env) {
  TRY_ASSIGN(auto answer, client.query(aws::kRds, "DescribeDBInstances",
                                       {{"DBInstanceIdentifier", env.aws->rds_instance}}));
  return std::string(
      answer.select_node("//DBInstances/DBInstance/DBInstanceClass").node().child_value());
}

Result<double> efs_bytes(aws::Client& client, const PlatformResources& platform) {
  TRY_ASSIGN(json answer, client.rest_json(aws::kEfs, "DescribeFileSystems", "GET",
                                           "/2015-02-01/file-systems",
                                           {{"FileSystemId", platform.file_system_id}}));
  for (const auto& fs : answer.value("FileSystems", json::array())) {
    return fs.value(json::json_pointer("/SizeInBytes/Value"), 0.0);
  }
  return 0.0;
}

// The target groups of the environment's tenants, by tenant: one paginated listing.
Result<std::map<std::string, std::string>> target_group_arns(
    aws::Client& client, const Environment& env, const std::vector<cost::TenantResources>& tenants) {
  std::map<std::string, std::string> tenant_of_name;
  for (const auto& t : tenants) tenant_of_name[tenant_names(env.name, t.tenant).target_group] = t.tenant;
  TRY_ASSIGN(auto pages, aws::all_query_pages(client, aws::kElbV2, "DescribeTargetGroups",
                                              {{"PageSize", "400"}}, "NextMarker"));
  std::map<std::string, std::string> arns;
  for (const auto& page : pages) {
    for (const auto& group : page.select_nodes("//TargetGroups/member")) {
      const auto found = tenant_of_name.find(group.node().child_value("TargetGroupName"));
      if (found != tenant_of_name.end()) arns[found->second] = group.node().child_value("TargetGroupArn");
    }
  }
  return arns;
}

// Daily request sums of each target group from `start` to `end`: by tenant, day -> count.
Result<std::map<std::string, std::map<std::int64_t, double>>> daily_requests(
    aws::Client& client, const PlatformResources& platform,
    const std::map<std::string, std::string>& target_groups, std::int64_t start, std::int64_t end) {
  const std::string balancer = arn_from(platform.load_balancer_arn, "loadbalancer/", false);
  std::vector<std::pair<std::string, std::string>> groups(target_groups.begin(), target_groups.end());
  std::map<std::string, std::map<std::int64_t, double>> out;
  for (std::size_t at = 0; at < groups.size(); at += kQueriesPerMetricCall) {
    aws::QueryParams params = {{"StartTime", iso_time(start)}, {"EndTime", iso_time(end)}};
    std::map<std::string, std::string> tenant_of_id;
    for (std::size_t i = at; i < std::min(groups.size(), at + kQueriesPerMetricCall); ++i) {
      const std::string id = "t" + std::to_string(i);
      tenant_of_id[id] = groups[i].first;
      add_daily_sum_query(params, i - at + 1, id, "AWS/ApplicationELB", "RequestCount",
                          {{"TargetGroup", arn_from(groups[i].second, "targetgroup/", true)},
                           {"LoadBalancer", balancer}});
    }
    TRY(each_metric_point(client, params, [&](const std::string& id, std::int64_t day, double value) {
      out[tenant_of_id[id]][day] += value;
    }));
  }
  return out;
}

// The month's requests and bytes sent of the environment's distribution (found by its
// alias *.{suffix}), from CloudWatch in us-east-1, where CloudFront's metrics live;
// nullopt when the environment has no distribution.
Result<std::optional<std::pair<double, double>>> distribution_traffic(
    aws::Client& client, const Environment& env, const cost::Month& month, std::int64_t now) {
  const std::string alias = edge_names(env.name, env.domain).alias;
  if (alias.empty()) return std::optional<std::pair<double, double>>();
  TRY_ASSIGN(const std::optional<FoundDistribution> found, find_distribution(client, alias));
  if (!found) return std::optional<std::pair<double, double>>();
  aws::ClientConfig config = client.config();
  config.region = "us-east-1";
  aws::Client global(config);
  aws::QueryParams params = {{"StartTime", iso_time(month.start_unix())},
                             {"EndTime", iso_time(std::min(month.end_unix(), now / kDay * kDay + kDay))}};
  const Dimensions distribution = {{"DistributionId", found->id}, {"Region", "Global"}};
  add_daily_sum_query(params, 1, "requests", "AWS/CloudFront", "Requests", distribution);
  add_daily_sum_query(params, 2, "bytes", "AWS/CloudFront", "BytesDownloaded", distribution);
  std::pair<double, double> traffic{0, 0};
  TRY(each_metric_point(global, params, [&](const std::string& query, std::int64_t, double value) {
    (query == "requests" ? traffic.first : traffic.second) += value;
  }));
  return std::optional<std::pair<double, double>>(traffic);
}

}  // namespace

std::string activate_tags_command() {
  return "aws ce update-cost-allocation-tags-status --cost-allocation-tags-status "
         "TagKey=wpfleet:tenant,Status=Active TagKey=wpfleet:env,Status=Active";
}

Status activate_cost_allocation_tags(aws::Client& client) {
  TRY_ASSIGN(json answer, client.json(aws::kCostExplorer, "UpdateCostAllocationTagsStatus",
                                      {{"CostAllocationTagsStatus",
                                        {{{"TagKey", kTenantTagKey}, {"Status", "Active"}},
                                         {{"TagKey", kEnvTagKey}, {"Status", "Active"}}}}}));
  for (const auto& error : answer.value("Errors", json::array())) {
    return make_error("Cost Explorer did not activate the tag " + error.value("TagKey", "") + ": " +
                      error.value("Message", error.value("Code", "")) +
                      "; tags appear there only once a resource carries them (run `wpfleet "
                      "apply`), and only the management account may activate them");
  }
  return {};
}

Result<AwsUsage> read_usage(AwsPlatforms& platforms, const Environment& env,
                            const std::vector<std::string>& tenants, const cost::Month& month,
                            std::int64_t now, int idle_days, const Progress& progress) {
  AwsUsage usage;
  for (const auto& id : tenants) usage.tenants.push_back(cost::TenantResources{.tenant = id});
  progress("cost: reading " + env.name + "'s platform (" + where(env) + ")");
  TRY_ASSIGN(Connected cloud, platforms.connect(env));
  aws::Client& client = cloud.client;

  progress("cost: asking Cost Explorer for " + env.name + "'s " + month.text());
  auto statuses = tag_statuses(client);
  if (!statuses) {
    usage.notes.push_back("Cost Explorer's tags could not be read (" + statuses.error().message +
                          "): the figures below are estimates");
  } else {
    std::vector<std::string> inactive;
    for (const char* key : {kTenantTagKey, kEnvTagKey}) {
      const auto found = statuses->find(key);
      if (found == statuses->end()) {
        inactive.push_back(std::string(key) + " (not seen by Cost Explorer yet)");
      } else if (found->second != "Active") {
        inactive.push_back(std::string(key) + " (" + found->second + ")");
      }
    }
    if (!inactive.empty()) {
      std::string list;
      for (const auto& i : inactive) list += (list.empty() ? "" : ", ") + i;
      usage.notes.push_back(
          "the cost-allocation tags are not active in Cost Explorer: " + list +
          ", so AWS cannot bill by tenant yet and the figures below are estimates; activate "
          "them with `wpfleet cost --activate-tags` or `" + activate_tags_command() +
          "` (AWS then takes up to 24 hours, and bills from then on only)");
    } else {
      auto billed = billed_month(client, env, month);
      if (!billed) {
        usage.notes.push_back("Cost Explorer's GetCostAndUsage failed (" +
                              billed.error().message + "): the figures below are estimates");
      } else if (!*billed) {
        usage.notes.push_back("Cost Explorer has no figures for " + month.text() +
                              " yet (a new account, tags activated recently, or a month just "
                              "begun): the figures below are estimates");
      } else {
        usage.billed = std::move(*billed);
      }
    }
  }

  progress("cost: reading " + env.name + "'s services, database, files and requests");
  TRY(read_services(client, env, cloud.platform, usage.tenants));
  TRY_ASSIGN(usage.shared.rds_class, rds_class(client, env));
  TRY_ASSIGN(usage.shared.efs_bytes, efs_bytes(client, cloud.platform));
  usage.shared.alb = true;
  usage.notes.push_back(
      "database and file bytes per tenant are not measured on aws (RDS and EFS report only "
      "their totals): the RDS and EFS shares are equal; CloudWatch Logs ingestion is shared "
      "by the environment's log group and not estimated here (Cost Explorer bills it)");
  TRY_ASSIGN(auto traffic, distribution_traffic(client, env, month, now));
  if (traffic) {
    usage.shared.cloudfront = true;
    usage.shared.cloudfront_requests = traffic->first;
    usage.shared.cloudfront_bytes = traffic->second;
  } else {
    usage.notes.push_back("no CloudFront distribution has the alias of " + env.domain +
                          "'s wildcard: CloudFront is not estimated");
  }

  TRY_ASSIGN(auto groups, target_group_arns(client, env, usage.tenants));
  const std::int64_t today = now / kDay * kDay;
  const std::int64_t start = std::min(month.start_unix(), today - idle_days * kDay);
  TRY_ASSIGN(auto daily, daily_requests(client, cloud.platform, groups, start, today + kDay));
  for (auto& t : usage.tenants) {
    std::optional<int> since;
    for (const auto& [day, count] : daily[t.tenant]) {
      if (day >= month.start_unix() && day < month.end_unix()) t.requests += count;
      if (count > 0 && day > today - idle_days * kDay) since = static_cast<int>((today - day) / kDay);
    }
    usage.days_since_request[t.tenant] = since;
  }
  return usage;
}

}  // namespace wpfleet::aws_backend
