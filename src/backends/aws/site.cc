// site: WordPress installed by a one-off task of the tenant's task definition (the
// seed's web installer step, done without a browser), its completion marked on the
// tenant's secret so that `plan` knows it without a database connection.
#include <nlohmann/json.hpp>

#include "backends/aws/aws_provider.h"
#include "backends/aws/lookups.h"
#include "backends/aws/one_off_task.h"
#include "backends/aws/site_install.h"
#include "backends/aws/tenant_secret.h"
#include "backends/wordpress_install.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

// The tenant's secret, which the site's mark is on; nullopt when it does not exist or is
// scheduled for deletion.
Result<std::optional<TenantSecret>> live_secret(aws::Client& client, const std::string& name) {
  TRY_ASSIGN(std::optional<TenantSecret> secret, describe_tenant_secret(client, name));
  if (secret && secret->scheduled_for_deletion) return std::optional<TenantSecret>();
  return secret;
}

class SiteProvider : public AwsProvider {
 public:
  using AwsProvider::AwsProvider;

  ResourceKind kind() const override { return ResourceKind::Site; }

  std::string fingerprint(const TenantContext& ctx) const override {
    return fingerprint_of({"aws-site-v1", ctx.tenant.title, ctx.tenant.admin_email,
                           ctx.env.production ? "public" : "hidden", ctx.home_url,
                           ctx.hosts.front()});
  }

  // The tenant secrets of the environment (ListSecrets by name prefix, which gives their
  // tags): a site is installed when its secret carries wpfleet's mark, or, for a secret
  // the user made (no managed-by tag), when the tenant's service exists (their sites
  // were installed through the web installer). ListServices only when such a secret is
  // there.
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    TRY_ASSIGN(aws::Client * client, platforms_->client(env));
    TRY_ASSIGN(auto secrets, list_environment_secrets(*client, env.name));
    std::set<std::string> found, users;
    for (const auto& tenant : candidates) {
      const auto secret = secrets.find(tenant_names(env.name, tenant).secret);
      if (secret == secrets.end()) continue;
      if (has_tag_key(secret->second, kSiteInstalledMark)) {
        found.insert(tenant);
      } else if (!has_tag_key(secret->second, kManagedByKey)) {
        users.insert(tenant);
      }
    }
    if (users.empty()) return found;
    TRY_ASSIGN(const PlatformResources* platform, platforms_->platform(env));
    TRY_ASSIGN(auto served, tenants_with_service(*client, platform->cluster_arn, env.name, users));
    found.insert(served.begin(), served.end());
    return found;
  }

  // Runs the installer task, which installs a site that is not and only checks and
  // converges one that is (an adopted one too), then marks the secret.
  Result<std::string> ensure(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(const AwsSettings* aws, aws_settings(env));
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    TRY_ASSIGN(auto secret, live_secret(cloud.client, names.secret));
    if (!secret) {
      return make_error("the secret " + names.secret + " does not exist in " + where(env) +
                        ": run `wpfleet apply` (the secrets step makes it)");
    }
    TRY_ASSIGN(std::vector<std::string> command,
               site_install_command(
                   {ctx.hosts.front(), ctx.tenant.title, ctx.tenant.admin_email, env.production}));
    OneOffTask task;
    task.task_definition = names.family;  // its latest revision, the runtime's
    task.container = names.container;
    task.command = std::move(command);
    task.log_group = aws->log_group;
    task.log_stream_prefix = names.log_prefix;
    task.started_by = "wpfleet-site";
    auto ran = run_one_off_task(cloud.client, env, cloud.platform, task);
    if (!ran) {
      return make_error("installing WordPress for " + env.name + "/" + ctx.tenant.id +
                        " failed: " + ran.error().message);
    }
    TRY(set_mark(cloud.client, secret->arn, kSiteInstalledMark));
    return json({{"url", ctx.home_url + "/"},
                 {"admin_user", kAdminUser},
                 {"task_definition", names.family}})
        .dump();
  }

  // The site lives in the tenant's database and wp-content: the database's removal
  // (and the access point's) removes it; the mark goes with the secret.
  Status remove(const Environment&, const std::string&) override { return {}; }

  // The mark; a site of the user's (its secret not made by wpfleet, not marked yet) is
  // left to verify's HTTP check.
  Status check(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(aws::Client * client, platforms_->client(env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    TRY_ASSIGN(auto secret, live_secret(*client, names.secret));
    if (!secret) {
      return make_error("the secret " + names.secret +
                        " does not exist, so WordPress cannot "
                        "reach its database: run `wpfleet apply`");
    }
    if (has_tag_key(secret->tags, kSiteInstalledMark) ||
        !has_tag_key(secret->tags, kManagedByKey)) {
      return {};
    }
    return make_error("WordPress has not been installed for " + env.name + "/" + ctx.tenant.id +
                      " (the secret " + names.secret + " has no " + kSiteInstalledMark +
                      " mark): run `wpfleet apply` to install it");
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> make_site_provider(SharedPlatforms platforms) {
  return std::make_unique<SiteProvider>(std::move(platforms));
}

}  // namespace wpfleet::aws_backend
