// route: the listener rule that forwards the tenant's host names (primary and aliases)
// to its target group, at a priority allocated as the user allocates them by hand.
// The target group itself is the runtime's (its service needs it first).
#include <map>
#include <nlohmann/json.hpp>

#include "backends/aws/aws_provider.h"
#include "backends/aws/edge.h"
#include "backends/aws/target_group.h"
#include "state/secret_store.h"

namespace wpfleet::aws_backend {

namespace {

class RouteProvider : public AwsProvider {
 public:
  using AwsProvider::AwsProvider;

  ResourceKind kind() const override { return ResourceKind::Route; }

  std::string fingerprint(const TenantContext& ctx) const override {
    const AwsSettings& aws = *ctx.env.aws;
    std::vector<std::string> fields = {
        "aws-route-v2", ctx.env.name,  ctx.tenant.id, aws.alb, std::to_string(aws.listener_port),
        aws.region,     aws.account_id, ctx.env.domain};
    for (const auto& host : ctx.hosts) fields.push_back("host " + host);
    // The edge's inputs: a change reaches the environment's function through the tenants'
    // route updates, the first of which ensures the edge (edge.h).
    fields.push_back("basic-auth " + ctx.env.edge.basic_auth_user.value_or(""));
    fields.push_back(ctx.env.production ? "production" : "noindex");
    for (const auto& range : ctx.env.edge.allow) fields.push_back("allow " + range);
    fields.emplace_back();  // every line ends with a newline
    return fingerprint_of(fields);
  }

  // One paginated DescribeRules of the listener: tenants with a rule for their primary
  // host, while their edge is as apply left it (one read of the environment's edge, see
  // tenants_with_edge_as_applied), so that plan shows an edge changed by hand and apply
  // puts it back.
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    TRY_ASSIGN(auto rules, list_listener_rules(cloud.client, cloud.platform.listener_arn));
    std::map<std::string, const ListenerRule*> found;
    for (const auto& tenant : candidates) {
      if (const ListenerRule* rule = tenant_rule(rules, env.host_for(tenant), "")) found[tenant] = rule;
    }
    return tenants_with_edge_as_applied(cloud.client, env, cloud.platform, found);
  }

  Result<std::string> ensure(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    TRY_ASSIGN(auto group, find_target_group(cloud.client, names.target_group));
    if (!group) {
      return make_error("the target group " + names.target_group + " does not exist in " +
                        where(env) +
                        ": run `wpfleet apply` (the runtime step makes it with "
                        "the service)");
    }
    TRY_ASSIGN(ListenerRule rule,
               ensure_listener_rule(cloud.client, env, cloud.platform, ctx.hosts, group->arn,
                                    tenant_tags(env.name, ctx.tenant.id)));
    return nlohmann::json(
               {{"priority", rule.priority}, {"rule", rule.arn}, {"target_group", group->arn}})
        .dump();
  }

  Status remove(const Environment& env, const std::string& tenant_id) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, tenant_id);
    TRY_ASSIGN(auto group, find_target_group(cloud.client, names.target_group));
    TRY_ASSIGN(auto rules, list_listener_rules(cloud.client, cloud.platform.listener_arn));
    const ListenerRule* rule =
        tenant_rule(rules, env.host_for(tenant_id), group ? group->arn : std::string());
    if (!rule) return {};
    return ok_if_gone(cloud.client.query(aws::kElbV2, "DeleteRule", {{"RuleArn", rule->arn}}),
                      {"RuleNotFound"});
  }

  Status check_edge(const TenantContext& ctx) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
    return aws_backend::check_edge(cloud.client, ctx.env, cloud.platform, ctx);
  }

  Result<std::optional<std::string>> environment_secret(const Environment& env,
                                                        const std::string& name) override {
    if (name != kBasicAuthPassword) return std::optional<std::string>();
    TRY_ASSIGN(aws::Client * client, platforms_->client(env));
    TRY_ASSIGN(std::optional<std::string> password, read_basic_auth_password(*client, env));
    if (!password) {
      return make_error("the basic auth password of " + where(env) +
                        " is not in Secrets Manager yet: run `wpfleet apply`");
    }
    return password;
  }

  // The environment's secrets live in Secrets Manager: the new value is made there, and
  // the edge brought up to date with it.
  Status secret_changed(const Environment& env, const std::string& name) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    return rotate_edge_secret(cloud.client, env, cloud.platform, name);
  }

  // The rule, then what the load balancer thinks of the tenant's tasks.
  Status check(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    TRY_ASSIGN(auto group, find_target_group(cloud.client, names.target_group));
    if (!group) {
      return make_error("the target group " + names.target_group +
                        " does not exist: run "
                        "`wpfleet apply` to make it");
    }
    TRY_ASSIGN(auto rules, list_listener_rules(cloud.client, cloud.platform.listener_arn));
    const ListenerRule* rule = tenant_rule(rules, ctx.hosts.front(), group->arn);
    if (!rule) {
      return make_error("no rule of the load balancer '" + env.aws->alb + "' forwards " +
                        ctx.hosts.front() + " to " + names.target_group +
                        ": run `wpfleet apply` to make it");
    }
    TRY_ASSIGN(pugi::xml_document health, cloud.client.query(aws::kElbV2, "DescribeTargetHealth",
                                                             {{"TargetGroupArn", group->arn}}));
    const auto targets = health.select_nodes("//TargetHealthDescriptions/member");
    if (targets.empty()) {
      return make_error("the target group " + names.target_group +
                        " has no registered "
                        "target: the service " +
                        names.service +
                        " has no task running (see "
                        "the runtime check and `wpfleet logs " +
                        ctx.tenant.id + " -e " + env.name + "`), then run `wpfleet apply`");
    }
    std::string states;
    bool settling = false;
    for (const auto& target : targets) {
      const pugi::xml_node node = target.node();
      const pugi::xml_node state = node.child("TargetHealth");
      const std::string value = state.child_value("State");
      if (value == "healthy") return {};
      settling = settling || value == "initial" || value == "draining";
      std::string reason = state.child_value("Reason");
      const std::string description = state.child_value("Description");
      if (!description.empty()) reason += (reason.empty() ? "" : ": ") + description;
      states += std::string(states.empty() ? "" : "; ") + node.child("Target").child_value("Id") +
                " " + value + (reason.empty() ? "" : " (" + reason + ")");
    }
    return make_error("no target of " + names.target_group + " is healthy: " + states + ": " +
                      (settling ? "the task is still starting or registering; run `wpfleet "
                                  "verify` again in a minute"
                                : "see `wpfleet logs " + ctx.tenant.id + " -e " + env.name +
                                      "` for why the site does not answer / with 200, 301 "
                                      "or 302, fix it, then run `wpfleet apply`"));
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> make_route_provider(SharedPlatforms platforms) {
  return std::make_unique<RouteProvider>(std::move(platforms));
}

}  // namespace wpfleet::aws_backend
