// runtime: the tenant's task definition family `{env}-{tenant}` and its service
// `{env}-{tenant}-service` on the environment's cluster, with the target group (and,
// when the service is created, the listener rule) ECS needs for its load balancer.
#include <array>
#include <nlohmann/json.hpp>

#include "aws/pagination.h"
#include "backends/aws/aws_provider.h"
#include "backends/aws/cloudwatch_logs.h"
#include "backends/aws/lookups.h"
#include "backends/aws/target_group.h"
#include "backends/aws/task_definition.h"
#include "backends/aws/tenant_secret.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

constexpr int kHealthCheckGraceSeconds = 60;

// The service as DescribeServices has it; null when ECS does not know it at all.
Result<json> describe_service(aws::Client& client, const std::string& cluster_arn,
                              const std::string& name) {
  TRY_ASSIGN(json answer,
             client.json(aws::kEcs, "DescribeServices",
                         {{"cluster", cluster_arn}, {"services", {name}}, {"include", {"TAGS"}}}));
  for (const auto& service : answer.value("services", json::array())) {
    if (service.value("serviceName", "") == name) return service;
  }
  return json();
}

// The family's latest ACTIVE revision (with its tags); null when it has none.
Result<json> describe_task_definition(aws::Client& client, const std::string& family) {
  auto answer = client.json(aws::kEcs, "DescribeTaskDefinition",
                            {{"taskDefinition", family}, {"include", {"TAGS"}}});
  // ECS's answer for a family without an active revision.
  if (!answer && answer.error().code == "ClientException") return json();
  TRY(answer);
  json definition = answer->value("taskDefinition", json());
  if (!definition.is_object() || definition.value("status", "") != "ACTIVE") return json();
  definition["tags"] = answer->value("tags", json::array());
  return definition;
}

// The ARNs of the family's ACTIVE revisions. ListTaskDefinitions' familyPrefix is a
// prefix (sit-tenant1 would list sit-tenant10's too): the family is compared exactly.
Result<std::vector<std::string>> active_revisions(aws::Client& client, const std::string& family) {
  TRY_ASSIGN(auto pages, aws::all_json_pages(
                             client, aws::kEcs, "ListTaskDefinitions",
                             {{"familyPrefix", family}, {"status", "ACTIVE"}, {"maxResults", 100}},
                             "nextToken"));
  std::vector<std::string> arns;
  for (const auto& page : pages) {
    for (const auto& item : page.value("taskDefinitionArns", json::array())) {
      const std::string arn = item.get<std::string>();
      const std::string tail = arn.substr(arn.rfind('/') + 1);  // family:revision
      if (tail.substr(0, tail.rfind(':')) == family) arns.push_back(arn);
    }
  }
  return arns;
}

// Services made before ECS's long ARN format (arn:...:service/<name>, without the
// cluster) cannot carry tags; AWS refuses to tag them.
bool taggable(const std::string& service_arn) {
  const auto slash = service_arn.find('/');
  return slash != std::string::npos && service_arn.find('/', slash + 1) != std::string::npos;
}

class RuntimeProvider : public AwsProvider {
 public:
  RuntimeProvider(SharedPlatforms platforms, StateStore* store)
      : AwsProvider(std::move(platforms)), store_(store) {}

  ResourceKind kind() const override { return ResourceKind::Runtime; }

  std::string fingerprint(const TenantContext& ctx) const override {
    const AwsSettings& aws = *ctx.env.aws;
    std::vector<std::string> fields = {"aws-runtime-v1",
                                       ctx.env.name,
                                       ctx.tenant.id,
                                       aws.image,
                                       std::to_string(aws.cpu),
                                       std::to_string(aws.memory),
                                       aws.cluster,
                                       aws.alb,
                                       std::to_string(aws.listener_port),
                                       aws.efs,
                                       aws.execution_role,
                                       aws.log_group,
                                       aws.region,
                                       aws.account_id,
                                       ctx.home_url};
    for (const auto& subnet : aws.subnets) fields.push_back("subnet " + subnet);
    for (const auto& group : aws.security_groups) fields.push_back("sg " + group);
    for (const auto& host : ctx.hosts) fields.push_back("host " + host);
    fields.emplace_back();  // every line ends with a newline
    return fingerprint_of(fields);
  }

  // One paginated ListServices of the cluster.
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    return tenants_with_service(cloud.client, cloud.platform.cluster_arn, env.name, candidates);
  }

  Result<std::string> ensure(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(const AwsSettings* aws, aws_settings(env));
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    TRY(check_name_limits(names, ctx.tenant.id));
    const Tags tags = tenant_tags(env.name, ctx.tenant.id);

    TRY_ASSIGN(std::string task_definition_arn,
               ensure_task_definition(cloud.client, ctx, *aws, cloud.platform, names, tags));
    TRY_ASSIGN(std::string target_group_arn,
               ensure_target_group(cloud.client, env, cloud.platform, names.target_group, tags));
    TRY_ASSIGN(std::string service_arn,
               ensure_service(cloud.client, ctx, cloud.platform, names, tags, task_definition_arn,
                              target_group_arn));
    return json({{"task_definition", task_definition_arn},
                 {"service", service_arn},
                 {"target_group", target_group_arn}})
        .dump();
  }

  // The service (scaled to 0, then deleted), its target group (the route's rule that
  // forwarded to it went first), then every revision of the family.
  Status remove(const Environment& env, const std::string& tenant_id) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    aws::Client& client = cloud.client;
    const TenantNames names = tenant_names(env.name, tenant_id);
    TRY_ASSIGN(json service, describe_service(client, cloud.platform.cluster_arn, names.service));
    if (service.is_object() && service.value("status", "") == "ACTIVE") {
      const json target = {{"cluster", cloud.platform.cluster_arn}, {"service", names.service}};
      json scale = target;
      scale["desiredCount"] = 0;
      TRY(ok_if_gone(client.json(aws::kEcs, "UpdateService", scale), kServiceGone));
      json force = target;
      force["force"] = true;
      TRY(ok_if_gone(client.json(aws::kEcs, "DeleteService", force), kServiceGone));
    }
    TRY(delete_target_group(client, env, names.target_group));
    TRY_ASSIGN(auto revisions, active_revisions(client, names.family));
    for (const auto& arn : revisions) {
      // ClientException is how ECS answers for a revision already gone.
      TRY(ok_if_gone(client.json(aws::kEcs, "DeregisterTaskDefinition", {{"taskDefinition", arn}}),
                     {"ClientException"}));
    }
    return {};
  }

  Status check(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    TRY_ASSIGN(json service,
               describe_service(cloud.client, cloud.platform.cluster_arn, names.service));
    const std::string status = service.is_object() ? service.value("status", "") : "";
    if (status != "ACTIVE") {
      return make_error("the ECS service " + names.service + " on " + env.aws->cluster +
                        (status.empty() ? " does not exist" : " is " + status) +
                        ": run `wpfleet apply` to make it");
    }
    const int running = service.value("runningCount", 0);
    const int desired = service.value("desiredCount", 0);
    TRY_ASSIGN(bool asleep, sleeps_now(env.name, ctx.tenant.id));
    if (asleep) {
      if (desired == 0) return {};
      return make_error("the tenant is asleep but its ECS service " + names.service + " wants " +
                        std::to_string(desired) + " tasks: run `wpfleet tenant sleep " +
                        ctx.tenant.id + " -e " + env.name + "` again");
    }
    if (desired == 0) {
      return make_error("the ECS service " + names.service +
                        " is scaled to 0 tasks: run "
                        "`wpfleet apply` to run it again");
    }
    if (running == desired) return {};
    std::string event = "no service event";
    const json events = service.value("events", json::array());
    if (!events.empty()) event = "last event: " + events[0].value("message", "");
    return make_error("the ECS service " + names.service + " runs " + std::to_string(running) +
                      " of " + std::to_string(desired) + " tasks (" + event +
                      "): see `wpfleet logs " + ctx.tenant.id + " -e " + env.name +
                      "`, fix the cause, then run `wpfleet apply`");
  }

  std::vector<LogSource> logs(const TenantContext& ctx) const override {
    return container_log_sources(platforms_, ctx);
  }

 private:
  // Whether the tenant must run no task (`wpfleet tenant sleep`).
  Result<bool> sleeps_now(const std::string& env, const std::string& tenant) const {
    if (!store_) return false;
    TRY_ASSIGN(auto record, store_->sleep_record(env, tenant));
    return sleeps(record);
  }

  // What ECS answers about a service already deleted (or being deleted).
  static constexpr std::array<std::string_view, 2> kServiceGone = {"ServiceNotFoundException",
                                                                   "ServiceNotActiveException"};

  // The family's latest revision when it already is what wpfleet wants (tagged if it
  // was not), else a new revision: the user's own lack the salts, the mount and the
  // secrets, so adopting them means registering the revision that has them.
  Result<std::string> ensure_task_definition(aws::Client& client, const TenantContext& ctx,
                                             const AwsSettings& aws,
                                             const PlatformResources& platform,
                                             const TenantNames& names, const Tags& tags) {
    const Environment& env = ctx.env;
    TRY_ASSIGN(std::optional<TenantSecret> secret, describe_tenant_secret(client, names.secret));
    if (!secret) {
      return make_error("the secret " + names.secret + " does not exist in " + where(env) +
                        ", and the task definition reads the database settings from it: run "
                        "`wpfleet apply` (the secrets step makes it)");
    }
    if (secret->scheduled_for_deletion) {
      return make_error("the secret " + names.secret + " in " + where(env) +
                        " is scheduled for deletion: run `wpfleet apply` (the secrets step "
                        "restores it)");
    }
    TRY_ASSIGN(auto points, list_access_points(client, platform.file_system_id));
    const auto point = access_point_at(points, names.access_point_path, tags);
    if (!point) {
      return make_error("the EFS access point at " + names.access_point_path + " on " +
                        platform.file_system_id + " does not exist in " + where(env) +
                        ": run `wpfleet apply` (the storage step makes it)");
    }
    TaskDefinitionInputs inputs;
    inputs.family = names.family;
    inputs.container = names.container;
    inputs.image = aws.image;
    inputs.cpu = aws.cpu;
    inputs.memory = aws.memory;
    inputs.execution_role_arn = platform.execution_role_arn;
    inputs.secret_arn = secret->arn;
    inputs.file_system_id = platform.file_system_id;
    inputs.access_point_id = point->id;
    inputs.log_group = aws.log_group;
    inputs.region = aws.region;
    inputs.log_prefix = names.log_prefix;
    inputs.home_url = ctx.home_url;
    inputs.tags = tags;
    const json desired = desired_task_definition(inputs);

    TRY_ASSIGN(json current, describe_task_definition(client, names.family));
    if (current.is_object() && task_definition_differences(desired, current).empty()) {
      const std::string arn = current.value("taskDefinitionArn", "");
      if (!has_tags(tags_from_json(current["tags"], kEcsTagMembers), tags)) {
        TRY(client.json(aws::kEcs, "TagResource",
                        {{"resourceArn", arn}, {"tags", tags_json(tags, kEcsTagMembers)}}));
      }
      return arn;
    }
    TRY_ASSIGN(json registered, client.json(aws::kEcs, "RegisterTaskDefinition", desired));
    const std::string arn =
        registered.value(json::json_pointer("/taskDefinition/taskDefinitionArn"), std::string());
    if (arn.empty()) {
      return make_error("ECS RegisterTaskDefinition of " + names.family + " in " + where(env) +
                        " answered without an ARN: run `wpfleet apply` again");
    }
    return arn;
  }

  Result<std::string> ensure_service(aws::Client& client, const TenantContext& ctx,
                                     const PlatformResources& platform, const TenantNames& names,
                                     const Tags& tags, const std::string& task_definition_arn,
                                     const std::string& target_group_arn) {
    const Environment& env = ctx.env;
    TRY_ASSIGN(bool asleep, sleeps_now(env.name, ctx.tenant.id));
    const int tasks = asleep ? 0 : 1;
    const json load_balancers = json::array({{{"targetGroupArn", target_group_arn},
                                              {"containerName", names.container},
                                              {"containerPort", 80}}});
    TRY_ASSIGN(json service, describe_service(client, platform.cluster_arn, names.service));
    const std::string status = service.is_object() ? service.value("status", "") : "";
    if (status == "DRAINING") {
      return make_error("the ECS service " + names.service + " in " + where(env) +
                        " is still draining after a delete, and ECS takes the name back only "
                        "once it is inactive: run `wpfleet apply` again in a few minutes");
    }
    if (status != "ACTIVE") {
      // ECS refuses a service whose target group no load balancer forwards to yet.
      TRY(ensure_listener_rule(client, env, platform, ctx.hosts, target_group_arn, tags));
      // A retried create is the same service; a new one after a delete has a new
      // revision to run, so a new token.
      const std::string token =
          "wpfleet-" +
          sha256_hex(env.name + "/" + names.service + "/" + task_definition_arn).substr(0, 28);
      const json request = {{"cluster", platform.cluster_arn},
                            {"serviceName", names.service},
                            {"taskDefinition", task_definition_arn},
                            {"desiredCount", tasks},
                            {"launchType", "FARGATE"},
                            {"networkConfiguration",
                             {{"awsvpcConfiguration",
                               {{"subnets", env.aws->subnets},
                                {"securityGroups", env.aws->security_groups},
                                {"assignPublicIp", "DISABLED"}}}}},
                            {"loadBalancers", load_balancers},
                            {"healthCheckGracePeriodSeconds", kHealthCheckGraceSeconds},
                            {"clientToken", token},
                            {"tags", tags_json(tags, kEcsTagMembers)},
                            {"propagateTags", "SERVICE"}};
      TRY_ASSIGN(json made, client.json(aws::kEcs, "CreateService", request));
      return made.value(json::json_pointer("/service/serviceArn"), std::string());
    }

    // Adopt: tags, then only what differs.
    const std::string arn = service.value("serviceArn", "");
    if (taggable(arn) &&
        !has_tags(tags_from_json(service.value("tags", json::array()), kEcsTagMembers), tags)) {
      TRY(client.json(aws::kEcs, "TagResource",
                      {{"resourceArn", arn}, {"tags", tags_json(tags, kEcsTagMembers)}}));
    }
    json update = {{"cluster", platform.cluster_arn}, {"service", names.service}};
    if (service.value("taskDefinition", "") != task_definition_arn) {
      update["taskDefinition"] = task_definition_arn;
    }
    // Asleep: no task. Awake: at least one (a count the user raised is theirs).
    const int desired = service.value("desiredCount", 0);
    if (asleep ? desired != 0 : desired == 0) update["desiredCount"] = tasks;
    bool balanced = false;
    for (const auto& balancer : service.value("loadBalancers", json::array())) {
      balanced = balanced || balancer.value("targetGroupArn", "") == target_group_arn;
    }
    if (!balanced) {
      TRY(ensure_listener_rule(client, env, platform, ctx.hosts, target_group_arn, tags));
      update["loadBalancers"] = load_balancers;
    }
    if (update.size() > 2) TRY(client.json(aws::kEcs, "UpdateService", update));
    return arn;
  }

  StateStore* store_;
};

}  // namespace

std::unique_ptr<ResourceProvider> make_runtime_provider(SharedPlatforms platforms,
                                                        StateStore* store) {
  return std::make_unique<RuntimeProvider>(std::move(platforms), store);
}

}  // namespace wpfleet::aws_backend
