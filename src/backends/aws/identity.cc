// identity on aws: the inline policy {env}-ecs-secrets-access-{tenant} on the
// environment's ECS task execution role, allowing secretsmanager:GetSecretValue on the
// tenant's secret alone, so ECS can hand the secret's values to the tenant's containers
// (the seed's pitfall 3: "unable to pull secrets"). It comes first of the kinds, before
// the secret exists, so it names the secret's ARN with its six-character suffix as
// wildcards. A policy of that name the user put (naming the secret's exact ARN) is
// adopted as it is when it already allows the read.
#include <nlohmann/json.hpp>
#include <optional>

#include "aws/pagination.h"
#include "backends/aws/aws_provider.h"
#include "backends/aws/names.h"
#include "backends/aws/secret_policy.h"
#include "backends/aws/tenant_secret.h"

namespace wpfleet::aws_backend {

namespace {

// The secret's real ARN, or nullopt while it does not exist.
Result<std::optional<std::string>> secret_arn(aws::Client& client, const std::string& name) {
  TRY_ASSIGN(std::optional<TenantSecret> secret, describe_tenant_secret(client, name));
  if (!secret) return std::optional<std::string>();
  return std::optional<std::string>(secret->arn);
}

// The role's inline policy document, or nullopt when it has none of that name.
Result<std::optional<std::string>> role_policy(aws::Client& client, const std::string& role,
                                               const std::string& policy) {
  auto answer =
      client.query(aws::kIam, "GetRolePolicy", {{"RoleName", role}, {"PolicyName", policy}});
  if (!answer && answer.error().code == "NoSuchEntity") return std::optional<std::string>();
  TRY(answer);
  return std::optional<std::string>(
      decode_policy_document(answer->select_node("//PolicyDocument").node().child_value()));
}

class IdentityProvider : public AwsProvider {
 public:
  using AwsProvider::AwsProvider;

  ResourceKind kind() const override { return ResourceKind::Identity; }

  std::string fingerprint(const TenantContext& ctx) const override {
    if (!ctx.env.aws) return "identity-v1";
    const AwsSettings& aws = *ctx.env.aws;
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    return fingerprint_of({"identity-v1", aws.region, aws.account_id, aws.execution_role,
                           names.policy, names.secret});
  }

  // One paginated ListRolePolicies for every tenant.
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    // The platform lookup names a missing role with its setting.
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    // IAM pages by 100 unless asked for more; one page holds a thousand tenants.
    TRY_ASSIGN(auto pages, aws::all_query_pages(cloud.client, aws::kIam, "ListRolePolicies",
                                                {{"RoleName", env.aws->execution_role},
                                                 {"MaxItems", "1000"}},
                                                "Marker"));
    std::set<std::string> policies;
    for (const auto& page : pages) {
      for (const auto& name : page.select_nodes("//PolicyNames/member")) {
        policies.insert(name.node().child_value());
      }
    }
    std::set<std::string> found;
    for (const auto& tenant : candidates) {
      if (policies.count(tenant_names(env.name, tenant).policy)) found.insert(tenant);
    }
    return found;
  }

  Result<std::string> ensure(const TenantContext& ctx) override {
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    // The first kind applied: a tenant id too long for any of its AWS names stops here,
    // before anything of it is made.
    TRY(check_name_limits(names, ctx.tenant.id));
    TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
    const AwsSettings& aws = *ctx.env.aws;
    const std::string pattern = secret_arn_pattern(aws.region, aws.account_id, names.secret);
    const std::string wanted = secret_read_policy({pattern});
    TRY_ASSIGN(std::optional<std::string> arn, secret_arn(cloud.client, names.secret));
    TRY_ASSIGN(std::optional<std::string> current,
               role_policy(cloud.client, aws.execution_role, names.policy));
    bool adopted = false;
    if (current && policy_allows_secret_read(*current, arn.value_or(pattern))) {
      adopted = nlohmann::json::parse(*current, nullptr, false) != nlohmann::json::parse(wanted);
    } else {
      auto put = cloud.client.query(aws::kIam, "PutRolePolicy",
                                    {{"RoleName", aws.execution_role},
                                     {"PolicyName", names.policy},
                                     {"PolicyDocument", wanted}});
      // All inline policies of a role share 10,240 characters: about 50 tenants' worth.
      if (!put && put.error().code == "LimitExceeded") {
        return make_error(
            "the execution role " + aws.execution_role + " has no room for the inline policy " +
            names.policy + ": AWS allows 10,240 characters of inline policies per role (" +
            put.error().aws_message +
            "); give the environment's tenants more than one execution role, or move the "
            "tenants' policies into one managed policy with a wildcard on " + ctx.env.name +
            "-*-db-credentials, then run `wpfleet apply`");
      }
      TRY(put);
    }
    return nlohmann::json{{"role", aws.execution_role}, {"policy", names.policy},
                          {"adopted", adopted}}
        .dump();
  }

  Status remove(const Environment& env, const std::string& tenant_id) override {
    TRY_ASSIGN(aws::Client * client, platforms_->client(env));
    return ok_if_gone(client->query(aws::kIam, "DeleteRolePolicy",
                                    {{"RoleName", env.aws->execution_role},
                                     {"PolicyName", tenant_names(env.name, tenant_id).policy}}),
                      {"NoSuchEntity"});
  }

  Status check(const TenantContext& ctx) override {
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    TRY_ASSIGN(aws::Client * client, platforms_->client(ctx.env));
    const AwsSettings& aws = *ctx.env.aws;
    TRY_ASSIGN(std::optional<std::string> arn, secret_arn(*client, names.secret));
    const std::string target =
        arn.value_or(secret_arn_pattern(aws.region, aws.account_id, names.secret));
    TRY_ASSIGN(std::optional<std::string> current,
               role_policy(*client, aws.execution_role, names.policy));
    const std::string problem = "the execution role " + aws.execution_role +
                                " cannot read secret " + names.secret;
    if (!current) {
      return make_error(problem + " (it has no policy " + names.policy +
                        "): run `wpfleet apply` to put the policy back");
    }
    if (!policy_allows_secret_read(*current, target)) {
      return make_error(problem + " (its policy " + names.policy +
                        " does not allow secretsmanager:GetSecretValue on " + target +
                        "): run `wpfleet apply` to correct the policy");
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> make_identity_provider(SharedPlatforms platforms) {
  return std::make_unique<IdentityProvider>(std::move(platforms));
}

}  // namespace wpfleet::aws_backend
