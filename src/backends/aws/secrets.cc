// secrets on aws: the secret {env}-{tenant}-db-credentials, a JSON object with the
// keys the user's scripts write (username, password, database, host, port) and those
// wpfleet adds (WordPress's eight salts, the admin password). A secret the user made is
// adopted: the missing keys are filled in, and its username, password and database are
// never changed (the database user already has that password); host and port follow the
// RDS endpoint. A secret scheduled for deletion is restored, never made again (AWS
// refuses the name until the recovery window ends: the seed's pitfall "secret already
// exists"). Values never leave this file but to Secrets Manager.
#include <nlohmann/json.hpp>
#include <optional>

#include "backends/aws/aws_provider.h"
#include "backends/aws/lookups.h"
#include "backends/aws/names.h"
#include "backends/aws/tenant_secret.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

constexpr std::size_t kSaltLength = 64;

// The same for every try at creating this tenant's secret: a create that AWS did but
// whose answer was lost is answered as done when tried again with the same value.
std::string create_token(const Environment& env, const std::string& tenant) {
  return request_token("wpfleet secret\n" + env.aws->account_id + "\n" + env.aws->region + "\n" +
                       env.name + "\n" + tenant);
}

bool has_text(const json& value, const char* key) {
  return value.contains(key) && value[key].is_string() && !value[key].get<std::string>().empty();
}

// `value` with every missing key filled in (random where it is a password or salt) and
// host and port set to the RDS endpoint's. Existing credentials are kept as they are.
Result<json> converged_value(json value, const TenantNames& names,
                             const PlatformResources& platform) {
  if (!has_text(value, "username")) value["username"] = names.db_user;
  if (!has_text(value, "database")) value["database"] = names.database;
  if (!has_text(value, "password")) {
    TRY_ASSIGN(value["password"], random_password(kGeneratedPasswordLength));
  }
  if (!platform.rds_address.empty()) {
    value["host"] = platform.rds_address;
    value["port"] = platform.rds_port;
  }
  for (const char* key : kWordPressKeys) {
    if (!has_text(value, key)) {
      TRY_ASSIGN(value[key], random_password(kSaltLength));
    }
  }
  if (!has_text(value, kAdminPasswordKey)) {
    TRY_ASSIGN(value[kAdminPasswordKey], random_password(kGeneratedPasswordLength));
  }
  return value;
}

bool is_managed(const Tags& tags) {
  return has_tags(tags, {{kManagedByKey, kManagedByValue}});
}

class SecretsProvider : public AwsProvider {
 public:
  using AwsProvider::AwsProvider;

  ResourceKind kind() const override { return ResourceKind::Secrets; }

  std::string fingerprint(const TenantContext& ctx) const override {
    if (!ctx.env.aws) return "secrets-v1";
    const AwsSettings& aws = *ctx.env.aws;
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    return fingerprint_of({"secrets-v1", aws.region, aws.account_id, names.secret, names.db_user,
                           names.database, aws.rds_instance});
  }

  // One ListSecrets (paginated) of the environment's secrets; those scheduled for
  // deletion are not listed and do not count.
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    TRY_ASSIGN(aws::Client * client, platforms_->client(env));
    TRY_ASSIGN(auto secrets, list_environment_secrets(*client, env.name));
    std::set<std::string> found;
    for (const auto& tenant : candidates) {
      if (secrets.count(tenant_names(env.name, tenant).secret)) found.insert(tenant);
    }
    return found;
  }

  Result<std::string> ensure(const TenantContext& ctx) override {
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    TRY(check_name_limits(names, ctx.tenant.id));
    TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
    const Tags tags = tenant_tags(ctx.env.name, ctx.tenant.id);

    TRY_ASSIGN(std::optional<TenantSecret> secret, read_tenant_secret(cloud.client, names.secret));
    if (!secret) {
      TRY_ASSIGN(json value, converged_value(json::object(), names, cloud.platform));
      auto created = cloud.client.json(
          aws::kSecretsManager, "CreateSecret",
          {{"Name", names.secret},
           {"Description", "Database credentials for " + ctx.tenant.id + " (wpfleet)"},
           {"SecretString", value.dump()},
           {"Tags", tags_json(tags)},
           {"ClientRequestToken", create_token(ctx.env, ctx.tenant.id)}});
      if (created) return detail(names, created->value("ARN", ""), false);
      // Made meanwhile by someone else (another wpfleet, the user): take that one.
      if (created.error().code != "ResourceExistsException") return std::move(created).error();
      TRY_ASSIGN(secret, read_tenant_secret(cloud.client, names.secret));
      if (!secret) return std::move(created).error();
    }
    if (secret->scheduled_for_deletion) {
      TRY(cloud.client.json(aws::kSecretsManager, "RestoreSecret", {{"SecretId", secret->arn}}));
      TRY_ASSIGN(secret, read_tenant_secret(cloud.client, names.secret));
      if (!secret || secret->scheduled_for_deletion) {
        return make_error("secret " + names.secret + " in " + where(ctx.env) +
                          " is still scheduled for deletion after RestoreSecret: restore it "
                          "with `aws secretsmanager restore-secret`, then run `wpfleet apply`");
      }
    }
    const bool adopted = !is_managed(secret->tags);
    TRY_ASSIGN(json value, converged_value(secret->value, names, cloud.platform));
    if (value != secret->value) {
      TRY_ASSIGN(std::string token, random_request_token());
      TRY(cloud.client.json(aws::kSecretsManager, "PutSecretValue",
                            {{"SecretId", secret->arn},
                             {"SecretString", value.dump()},
                             {"ClientRequestToken", token}}));
    }
    Tags missing;
    for (const auto& tag : tags) {
      if (!has_tags(secret->tags, {tag})) missing.push_back(tag);
    }
    if (!missing.empty()) {
      TRY(cloud.client.json(aws::kSecretsManager, "TagResource",
                            {{"SecretId", secret->arn}, {"Tags", tags_json(missing)}}));
    }
    return detail(names, secret->arn, adopted);
  }

  // Scheduled for deletion with AWS's recovery window (30 days), never force-deleted:
  // until then `aws secretsmanager restore-secret` (or the next apply) brings it back.
  Status remove(const Environment& env, const std::string& tenant_id) override {
    TRY_ASSIGN(aws::Client * client, platforms_->client(env));
    TRY_ASSIGN(std::optional<TenantSecret> secret,
               describe_tenant_secret(*client, tenant_names(env.name, tenant_id).secret));
    if (!secret || secret->scheduled_for_deletion) return {};
    // Gone, or scheduled meanwhile (InvalidRequestException): what was asked.
    return ok_if_gone(
        client->json(aws::kSecretsManager, "DeleteSecret", {{"SecretId", secret->arn}}),
        {"ResourceNotFoundException", "InvalidRequestException"});
  }

  Status check(const TenantContext& ctx) override {
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    TRY_ASSIGN(aws::Client * client, platforms_->client(ctx.env));
    TRY_ASSIGN(std::optional<TenantSecret> secret, read_tenant_secret(*client, names.secret));
    if (!secret) {
      return make_error("secret " + names.secret + " does not exist: run `wpfleet apply` to make it");
    }
    if (secret->scheduled_for_deletion) {
      return make_error("secret " + names.secret +
                        " is scheduled for deletion: run `wpfleet apply` to restore it");
    }
    std::string missing;
    for (const char* key : {"username", "password", "database", "host"}) {
      if (!has_text(secret->value, key)) missing += std::string(missing.empty() ? "" : ", ") + key;
    }
    if (!missing.empty()) {
      return make_error("secret " + names.secret + " lacks " + missing +
                        ": run `wpfleet apply` to fill it in");
    }
    if (has_text(secret->value, kPendingAdminPasswordKey)) {
      return make_error("the rotation of the admin password of " + ctx.env.name + "/" +
                        ctx.tenant.id + " did not finish (the new one is pending in secret " +
                        names.secret + "): run `wpfleet secret rotate " + ctx.tenant.id + " -e " +
                        ctx.env.name + " admin-password" + (ctx.env.production ? " --approve" : "") +
                        "` to finish it");
    }
    return {};
  }

 private:
  static std::string detail(const TenantNames& names, const std::string& arn, bool adopted) {
    return json{{"secret", names.secret}, {"arn", arn}, {"adopted", adopted}}.dump();
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> make_secrets_provider(SharedPlatforms platforms) {
  return std::make_unique<SecretsProvider>(std::move(platforms));
}

}  // namespace wpfleet::aws_backend
