#include "backends/aws/target_group.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <strings.h>
#include <thread>

#include "aws/pagination.h"
#include "backends/aws/edge.h"
#include "backends/aws/priority.h"

namespace wpfleet::aws_backend {

namespace {

// The user's health check (the seed's "Health Check Settings").
constexpr const char* kHealthCheckPath = "/";
constexpr const char* kMatcher = "200,301,302";
constexpr int kInterval = 30;
constexpr int kTimeout = 5;
constexpr int kHealthy = 2;
constexpr int kUnhealthy = 3;

int int_child(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_int();
}

TargetGroup target_group_of(const pugi::xml_node& node) {
  TargetGroup group;
  group.arn = node.child_value("TargetGroupArn");
  group.name = node.child_value("TargetGroupName");
  group.protocol = node.child_value("Protocol");
  group.port = int_child(node, "Port");
  group.vpc_id = node.child_value("VpcId");
  group.target_type = node.child_value("TargetType");
  group.health_check_path = node.child_value("HealthCheckPath");
  group.matcher = node.child("Matcher").child_value("HttpCode");
  group.interval = int_child(node, "HealthCheckIntervalSeconds");
  group.timeout = int_child(node, "HealthCheckTimeoutSeconds");
  group.healthy = int_child(node, "HealthyThresholdCount");
  group.unhealthy = int_child(node, "UnhealthyThresholdCount");
  return group;
}

aws::QueryParams health_check_params() {
  return {{"HealthCheckProtocol", "HTTP"},
          {"HealthCheckPath", kHealthCheckPath},
          {"Matcher.HttpCode", kMatcher},
          {"HealthCheckIntervalSeconds", std::to_string(kInterval)},
          {"HealthCheckTimeoutSeconds", std::to_string(kTimeout)},
          {"HealthyThresholdCount", std::to_string(kHealthy)},
          {"UnhealthyThresholdCount", std::to_string(kUnhealthy)}};
}

bool health_check_converged(const TargetGroup& group) {
  return group.health_check_path == kHealthCheckPath && group.matcher == kMatcher &&
         group.interval == kInterval && group.timeout == kTimeout && group.healthy == kHealthy &&
         group.unhealthy == kUnhealthy;
}

// Rule creations try again this often when another creator took the priority first.
constexpr int kPriorityAttempts = 5;

// ALB's quota "Condition values per rule": host names and header values together.
constexpr std::size_t kMaxConditionValues = 5;

ListenerRule rule_of(const pugi::xml_node& node) {
  ListenerRule rule;
  rule.arn = node.child_value("RuleArn");
  rule.priority = node.child("Priority").text().as_int();
  int host_conditions = 0;
  int origin_conditions = 0;
  for (const auto& condition : node.select_nodes("Conditions/member")) {
    const pugi::xml_node c = condition.node();
    const std::string field = c.child_value("Field");
    if (field == "http-header" &&
        strcasecmp(c.child("HttpHeaderConfig").child_value("HttpHeaderName"), kOriginHeader) == 0) {
      ++origin_conditions;
      for (const auto& value : c.select_nodes("HttpHeaderConfig/Values/member")) {
        rule.origin_values.push_back(value.node().child_value());
      }
      continue;
    }
    if (field != "host-header") {
      rule.other_conditions = true;
      continue;
    }
    ++host_conditions;
    std::set<std::string> seen;
    // AWS answers both the old Values and HostHeaderConfig.Values; either may be alone.
    for (const char* path : {"HostHeaderConfig/Values/member", "Values/member"}) {
      for (const auto& value : c.select_nodes(path)) {
        const std::string host = value.node().child_value();
        if (seen.insert(host).second) rule.hosts.push_back(host);
      }
    }
  }
  if (host_conditions > 1 || origin_conditions > 1) rule.other_conditions = true;
  int actions = 0;
  for (const auto& action : node.select_nodes("Actions/member")) {
    const pugi::xml_node a = action.node();
    ++actions;
    if (std::string(a.child_value("Type")) != "forward") {
      rule.other_actions = true;
      continue;
    }
    std::set<std::string> seen;
    if (const std::string arn = a.child_value("TargetGroupArn"); !arn.empty()) {
      seen.insert(arn);
      rule.forward_to.push_back(arn);
    }
    for (const auto& group : a.select_nodes("ForwardConfig/TargetGroups/member")) {
      const std::string arn = group.node().child_value("TargetGroupArn");
      if (seen.insert(arn).second) rule.forward_to.push_back(arn);
    }
  }
  if (actions != 1) rule.other_actions = true;
  return rule;
}

// The rule's conditions: its hosts, and the origin header with one of `origin_values`
// (AWS compares header values case-insensitively, which the values' length allows for).
void add_condition_params(aws::QueryParams& params, const std::vector<std::string>& hosts,
                          const std::vector<std::string>& origin_values) {
  params.emplace_back("Conditions.member.1.Field", "host-header");
  int n = 0;
  for (const auto& host : hosts) {
    params.emplace_back("Conditions.member.1.HostHeaderConfig.Values.member." + std::to_string(++n),
                        host);
  }
  params.emplace_back("Conditions.member.2.Field", "http-header");
  params.emplace_back("Conditions.member.2.HttpHeaderConfig.HttpHeaderName", kOriginHeader);
  n = 0;
  for (const auto& value : origin_values) {
    params.emplace_back(
        "Conditions.member.2.HttpHeaderConfig.Values.member." + std::to_string(++n), value);
  }
}

void add_rule_params(aws::QueryParams& params, const std::vector<std::string>& hosts,
                     const std::vector<std::string>& origin_values,
                     const std::string& target_group_arn) {
  add_condition_params(params, hosts, origin_values);
  params.emplace_back("Actions.member.1.Type", "forward");
  params.emplace_back("Actions.member.1.TargetGroupArn", target_group_arn);
}

bool same_set(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::set<std::string>(a.begin(), a.end()) == std::set<std::string>(b.begin(), b.end());
}

bool rule_converged(const ListenerRule& rule, const std::vector<std::string>& hosts,
                    const std::vector<std::string>& origin_values,
                    const std::string& target_group_arn) {
  return same_set(rule.hosts, hosts) && same_set(rule.origin_values, origin_values) &&
         !rule.other_conditions && !rule.other_actions &&
         rule.forward_to == std::vector<std::string>{target_group_arn};
}

// One mutex per listener, for every provider of the process.
std::mutex& listener_mutex(const std::string& listener_arn) {
  static std::mutex registry;
  static std::map<std::string, std::mutex> mutexes;
  std::lock_guard lock(registry);
  return mutexes[listener_arn];
}

Error rule_quota_error(const Environment& env, const aws::ApiError& error) {
  const bool groups = error.code != "TooManyRules";
  const std::string quota = groups ? "Target groups per Application Load Balancer"
                                   : "Rules per Application Load Balancer";
  return make_error("the load balancer '" + env.aws->alb + "' in " + where(env) +
                    " is at its quota \"" + quota + "\" (" + error.aws_message +
                    "; 100 by default): ask AWS for more in Service Quotas (console: Service "
                    "Quotas > AWS services > Elastic Load Balancing (ELB) > \"" +
                    quota +
                    "\" > Request increase, or `aws service-quotas "
                    "request-service-quota-increase --service-code elasticloadbalancing`), or "
                    "remove unused rules, then run `wpfleet apply` again");
}

// Creates the rule at a free priority, describing the listener again when another
// creator (another wpfleet, the user's Terraform) took the one chosen first.
Result<ListenerRule> create_rule(aws::Client& client, const Environment& env,
                                 const PlatformResources& platform,
                                 const std::vector<std::string>& hosts,
                                 const std::vector<std::string>& origin_values,
                                 const std::string& target_group_arn, const Tags& tags,
                                 std::vector<ListenerRule> rules) {
  std::set<int> taken;  // by others between our describe and our create
  for (int attempt = 1;; ++attempt) {
    std::set<int> used = taken;
    for (const auto& rule : rules) used.insert(rule.priority);
    auto priority = allocate_priority(used);
    if (!priority) {
      return make_error("the listener of load balancer '" + env.aws->alb + "' in " + where(env) +
                        " has no free rule priority: " + priority.error().message);
    }
    aws::QueryParams params = {{"ListenerArn", platform.listener_arn},
                               {"Priority", std::to_string(*priority)}};
    add_rule_params(params, hosts, origin_values, target_group_arn);
    add_tag_params(params, "Tags", tags);
    auto made = client.query(aws::kElbV2, "CreateRule", params);
    if (made) {
      const pugi::xml_node node = made->select_node("//Rules/member").node();
      ListenerRule rule = rule_of(node);
      if (rule.arn.empty()) {
        return make_error("Elastic Load Balancing CreateRule for " + hosts.front() + " in " +
                          where(env) + " answered without a rule: run `wpfleet apply` again");
      }
      return rule;
    }
    const std::string& code = made.error().code;
    if (code == "TooManyRules" || code == "TooManyTargetGroups" ||
        code == "TooManyUniqueTargetGroupsPerLoadBalancer") {
      return rule_quota_error(env, made.error());
    }
    if (code != "PriorityInUse") return std::move(made).error();
    if (attempt == kPriorityAttempts) {
      return make_error("every listener rule priority wpfleet chose for " + hosts.front() + " in " +
                        where(env) + " was taken by another creator at the same time (" +
                        std::to_string(kPriorityAttempts) +
                        " attempts): run `wpfleet apply` again once the other change is done");
    }
    taken.insert(*priority);
    TRY_ASSIGN(rules, list_listener_rules(client, platform.listener_arn));
    // The other creator may have been a wpfleet making this very rule.
    if (const ListenerRule* mine = tenant_rule(rules, hosts.front(), target_group_arn)) {
      return *mine;
    }
  }
}

}  // namespace

Result<std::vector<ListenerRule>> list_listener_rules(aws::Client& client,
                                                      const std::string& listener_arn) {
  TRY_ASSIGN(auto pages, aws::all_query_pages(client, aws::kElbV2, "DescribeRules",
                                              {{"ListenerArn", listener_arn}, {"PageSize", "400"}},
                                              "NextMarker"));
  std::vector<ListenerRule> rules;
  for (const auto& page : pages) {
    for (const auto& member : page.select_nodes("//Rules/member")) {
      const pugi::xml_node node = member.node();
      if (std::string(node.child_value("IsDefault")) == "true" ||
          std::string(node.child_value("Priority")) == "default") {
        continue;
      }
      rules.push_back(rule_of(node));
    }
  }
  return rules;
}

const ListenerRule* tenant_rule(const std::vector<ListenerRule>& rules,
                                const std::string& primary_host,
                                const std::string& target_group_arn) {
  for (const auto& rule : rules) {
    if (std::find(rule.hosts.begin(), rule.hosts.end(), primary_host) != rule.hosts.end()) {
      return &rule;
    }
  }
  if (target_group_arn.empty()) return nullptr;
  for (const auto& rule : rules) {
    if (std::find(rule.forward_to.begin(), rule.forward_to.end(), target_group_arn) !=
        rule.forward_to.end()) {
      return &rule;
    }
  }
  return nullptr;
}

Result<ListenerRule> ensure_listener_rule(aws::Client& client, const Environment& env,
                                          const PlatformResources& platform,
                                          const std::vector<std::string>& hosts,
                                          const std::string& target_group_arn, const Tags& tags) {
  TRY_ASSIGN(const std::vector<std::string> origin_values,
             origin_header_values(client, env, platform));
  if (hosts.size() + origin_values.size() > kMaxConditionValues) {
    return make_error(hosts.front() + " in " + where(env) + " has " + std::to_string(hosts.size()) +
                      " host names, and its listener rule would need " +
                      std::to_string(hosts.size() + origin_values.size()) +
                      " condition values with the origin header's; AWS allows " +
                      std::to_string(kMaxConditionValues) +
                      " per rule: give the tenant fewer aliases in the fleet file");
  }
  ListenerRule rule;
  {
    // Describe and create under one lock: two tenants of this apply must not both see
    // 180 as the highest and both take 190.
    std::lock_guard lock(listener_mutex(platform.listener_arn));
    TRY_ASSIGN(auto rules, list_listener_rules(client, platform.listener_arn));
    const ListenerRule* found = tenant_rule(rules, hosts.front(), target_group_arn);
    if (!found) {
      return create_rule(client, env, platform, hosts, origin_values, target_group_arn, tags,
                         std::move(rules));
    }
    rule = *found;
  }
  if (!rule_converged(rule, hosts, origin_values, target_group_arn)) {
    // The user's rule is changed in place: its priority (and ARN) stay.
    aws::QueryParams params = {{"RuleArn", rule.arn}};
    add_rule_params(params, hosts, origin_values, target_group_arn);
    TRY(client.query(aws::kElbV2, "ModifyRule", params));
    rule.hosts = hosts;
    rule.origin_values = origin_values;
    rule.forward_to = {target_group_arn};
    rule.other_conditions = rule.other_actions = false;
  }
  TRY(add_missing_elb_tags(client, rule.arn, tags));
  return rule;
}

Status require_origin_values(aws::Client& client, const std::string& listener_arn,
                             const std::vector<std::string>& values) {
  std::lock_guard lock(listener_mutex(listener_arn));
  TRY_ASSIGN(auto rules, list_listener_rules(client, listener_arn));
  for (const auto& rule : rules) {
    if (rule.origin_values.empty() || same_set(rule.origin_values, values)) continue;
    aws::QueryParams params = {{"RuleArn", rule.arn}};
    add_condition_params(params, rule.hosts, values);
    TRY(client.query(aws::kElbV2, "ModifyRule", params));
  }
  return {};
}

void add_tag_params(aws::QueryParams& params, const std::string& prefix, const Tags& tags) {
  int n = 0;
  for (const auto& [key, value] : tags) {
    const std::string member = prefix + ".member." + std::to_string(++n);
    params.emplace_back(member + ".Key", key);
    params.emplace_back(member + ".Value", value);
  }
}

Result<Tags> elb_tags(aws::Client& client, const std::string& arn) {
  TRY_ASSIGN(pugi::xml_document answer,
             client.query(aws::kElbV2, "DescribeTags", {{"ResourceArns.member.1", arn}}));
  Tags tags;
  for (const auto& tag : answer.select_nodes("//TagDescriptions/member/Tags/member")) {
    tags.emplace_back(tag.node().child_value("Key"), tag.node().child_value("Value"));
  }
  return tags;
}

Status add_missing_elb_tags(aws::Client& client, const std::string& arn, const Tags& wanted) {
  TRY_ASSIGN(Tags tags, elb_tags(client, arn));
  if (has_tags(tags, wanted)) return {};
  aws::QueryParams params = {{"ResourceArns.member.1", arn}};
  add_tag_params(params, "Tags", wanted);
  TRY(client.query(aws::kElbV2, "AddTags", params));
  return {};
}

Result<std::optional<TargetGroup>> find_target_group(aws::Client& client, const std::string& name) {
  auto answer = client.query(aws::kElbV2, "DescribeTargetGroups", {{"Names.member.1", name}});
  if (!answer && answer.error().code == "TargetGroupNotFound") {
    return std::optional<TargetGroup>();
  }
  TRY(answer);
  for (const auto& node : answer->select_nodes("//TargetGroups/member")) {
    TargetGroup group = target_group_of(node.node());
    if (group.name == name) return std::optional<TargetGroup>(std::move(group));
  }
  return std::optional<TargetGroup>();
}

Result<std::string> ensure_target_group(aws::Client& client, const Environment& env,
                                        const PlatformResources& platform, const std::string& name,
                                        const Tags& tags) {
  TRY_ASSIGN(std::optional<TargetGroup> found, find_target_group(client, name));
  if (!found) {
    aws::QueryParams params = {{"Name", name},
                               {"Protocol", "HTTP"},
                               {"Port", "80"},
                               {"VpcId", platform.vpc_id},
                               {"TargetType", "ip"}};
    for (auto& param : health_check_params()) params.push_back(std::move(param));
    add_tag_params(params, "Tags", tags);
    TRY_ASSIGN(pugi::xml_document made, client.query(aws::kElbV2, "CreateTargetGroup", params));
    const std::string arn =
        made.select_node("//TargetGroups/member/TargetGroupArn").node().child_value();
    if (arn.empty()) {
      return make_error("Elastic Load Balancing CreateTargetGroup of '" + name + "' in " +
                        where(env) + " answered without an ARN; run `wpfleet apply` again");
    }
    return arn;
  }
  // Fargate tasks register by IP, and AWS changes none of these on an existing group.
  std::string wrong;
  if (found->protocol != "HTTP") wrong += " protocol " + found->protocol + " (not HTTP);";
  if (found->port != 80) wrong += " port " + std::to_string(found->port) + " (not 80);";
  if (found->vpc_id != platform.vpc_id) {
    wrong += " VPC " + found->vpc_id + " (not the load balancer's " + platform.vpc_id + ");";
  }
  if (found->target_type != "ip") {
    wrong += " target type " + found->target_type + " (not ip, which Fargate tasks need);";
  }
  if (!wrong.empty()) {
    wrong.pop_back();
    return make_error("the target group '" + name + "' in " + where(env) + " has" + wrong +
                      ", and AWS cannot change that on an existing target group: delete it "
                      "(`aws elbv2 delete-target-group --target-group-arn " +
                      found->arn +
                      "`, after removing the listener rules and service using it) and run "
                      "`wpfleet apply` to make it anew");
  }
  if (!health_check_converged(*found)) {
    aws::QueryParams params = {{"TargetGroupArn", found->arn}};
    for (auto& param : health_check_params()) params.push_back(std::move(param));
    TRY(client.query(aws::kElbV2, "ModifyTargetGroup", params));
  }
  TRY(add_missing_elb_tags(client, found->arn, tags));
  return found->arn;
}

Status delete_target_group(aws::Client& client, const Environment& env, const std::string& name) {
  TRY_ASSIGN(std::optional<TargetGroup> found, find_target_group(client, name));
  if (!found) return {};
  // Just after its service was deleted, the group may still count as in use for a moment.
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    auto deleted = client.query(aws::kElbV2, "DeleteTargetGroup", {{"TargetGroupArn", found->arn}});
    if (deleted || deleted.error().code == "TargetGroupNotFound") return {};
    if (deleted.error().code != "ResourceInUse") return std::move(deleted).error();
    if (attempt == kAttempts) {
      return make_error("the target group '" + name + "' in " + where(env) + " is still in use (" +
                        deleted.error().aws_message +
                        "): a listener rule other than wpfleet's forwards to it; delete that "
                        "rule and run the delete again");
    }
    std::this_thread::sleep_for(std::chrono::seconds(2 * attempt));
  }
}

}  // namespace wpfleet::aws_backend
