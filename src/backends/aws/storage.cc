// storage: the tenant's EFS access point at /{tenant} on the environment's file system,
// which the tenant's tasks mount at wp-content. It runs as www-data (uid/gid 33 in the
// wordpress image) and EFS creates its directory 0755 on first use. The environment's
// transfer bucket, where content moving in and out waits, comes with the first tenant's
// storage (transfer_bucket.h).
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/aws/aws_provider.h"
#include "backends/aws/lookups.h"
#include "backends/aws/transfer_bucket.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

constexpr int kWwwData = 33;
constexpr const char* kPermissions = "0755";

// What about the user's access point at the path differs from what the tenant's tasks
// need, in words; empty when nothing.
std::string unfit(const AccessPoint& point) {
  std::string wrong;
  if (point.uid != kWwwData || point.gid != kWwwData) {
    wrong += point.uid ? " runs as uid " + std::to_string(*point.uid) + "/gid " +
                             std::to_string(point.gid.value_or(-1))
                       : " has no POSIX user";
    wrong += " (wordpress runs as www-data, 33/33);";
  }
  // CreationInfo matters only when EFS makes the directory; an access point without one
  // uses a directory that was there already.
  if (point.owner_uid && (point.owner_uid != kWwwData || point.owner_gid != kWwwData ||
                          point.permissions != kPermissions)) {
    wrong += " creates its directory as " + std::to_string(*point.owner_uid) + ":" +
             std::to_string(point.owner_gid.value_or(-1)) + " mode " + point.permissions +
             " (33:33 mode 0755 wanted);";
  }
  if (!wrong.empty()) wrong.pop_back();
  return wrong;
}

class StorageProvider : public AwsProvider {
 public:
  using AwsProvider::AwsProvider;

  ResourceKind kind() const override { return ResourceKind::Storage; }

  std::string fingerprint(const TenantContext& ctx) const override {
    const AwsSettings& aws = *ctx.env.aws;
    return fingerprint_of(
        {"aws-storage-v1", ctx.env.name, ctx.tenant.id, aws.efs, aws.region, aws.account_id});
  }

  // One paginated DescribeAccessPoints of the environment's file system. The storage
  // wpfleet made (its access point tagged as the tenant's) includes the environment's
  // transfer bucket: while the bucket is missing or changed it does not count, so plan
  // shows it and apply restores it. The user's untagged access points are adopted
  // whatever the bucket, and adopting makes the bucket.
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    TRY_ASSIGN(auto points, list_access_points(cloud.client, cloud.platform.file_system_id));
    TRY_ASSIGN(const std::string bucket_drift, transfer_bucket_drift(cloud.client, env));
    std::set<std::string> found;
    for (const auto& tenant : candidates) {
      const TenantNames names = tenant_names(env.name, tenant);
      const auto point = access_point_at(points, names.access_point_path, {});
      if (!point) continue;
      if (!bucket_drift.empty() && has_tags(point->tags, tenant_tags(env.name, tenant))) continue;
      found.insert(tenant);
    }
    return found;
  }

  Result<std::string> ensure(const TenantContext& ctx) override {
    const Environment& env = ctx.env;
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    TRY(ensure_bucket_once(cloud.client, env));
    const TenantNames names = tenant_names(env.name, ctx.tenant.id);
    const Tags tags = tenant_tags(env.name, ctx.tenant.id);
    TRY_ASSIGN(auto points, list_access_points(cloud.client, cloud.platform.file_system_id));
    std::optional<AccessPoint> point = access_point_at(points, names.access_point_path, tags);
    if (!point) {
      TRY_ASSIGN(point, create(cloud.client, env, cloud.platform, names, tags));
    }
    if (const std::string wrong = unfit(*point); !wrong.empty()) {
      return make_error("the EFS access point " + point->id + " at " + names.access_point_path +
                        " on " + cloud.platform.file_system_id + " in " + where(env) + wrong +
                        ", and AWS cannot change an access point: after checking that no "
                        "service uses it, delete it (`aws efs delete-access-point "
                        "--access-point-id " +
                        point->id +
                        "`; the files stay on the file system) and run `wpfleet apply` to make "
                        "it anew");
    }
    if (!has_tags(point->tags, tags)) {
      TRY(cloud.client.rest_json(aws::kEfs, "TagResource", "POST",
                                 "/2015-02-01/resource-tags/" + point->id, {},
                                 {{"Tags", tags_json(tags)}}));
    }
    return nlohmann::json({{"access_point", point->id}, {"path", names.access_point_path}}).dump();
  }

  // The access point only: the tenant's files stay on the file system (EFS has no API
  // for files), as `aws efs delete-access-point` leaves them.
  Status remove(const Environment& env, const std::string& tenant_id) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const TenantNames names = tenant_names(env.name, tenant_id);
    TRY_ASSIGN(auto points, list_access_points(cloud.client, cloud.platform.file_system_id));
    for (const auto& point : points) {
      if (point.path != names.access_point_path) continue;
      TRY(ok_if_gone(cloud.client.rest_json(aws::kEfs, "DeleteAccessPoint", "DELETE",
                                            "/2015-02-01/access-points/" + point.id),
                     {"AccessPointNotFound"}));
    }
    return {};
  }

  Status check(const TenantContext& ctx) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    TRY_ASSIGN(auto points, list_access_points(cloud.client, cloud.platform.file_system_id));
    const auto point = access_point_at(points, names.access_point_path, {});
    if (!point) {
      return make_error("the EFS access point at " + names.access_point_path + " on " +
                        cloud.platform.file_system_id +
                        " does not exist: run `wpfleet apply` to "
                        "make it");
    }
    if (point->state != "available") {
      return make_error("the EFS access point " + point->id + " at " + names.access_point_path +
                        " is " + point->state +
                        ", not available: run `wpfleet verify` again "
                        "in a minute, or `wpfleet apply` if it stays so");
    }
    if (const std::string wrong = unfit(*point); !wrong.empty()) {
      return make_error("the EFS access point " + point->id + " at " + names.access_point_path +
                        wrong + ": delete it and run `wpfleet apply` to make it anew");
    }
    TRY_ASSIGN(const std::string drift, bucket_drift_once(cloud.client, ctx.env));
    if (!drift.empty()) {
      return make_error("the transfer bucket " + transfer_bucket_name(ctx.env) + " of " +
                        where(ctx.env) + ": " + drift + ": run `wpfleet apply` to put it right");
    }
    return {};
  }

 private:
  // Tenants are ensured in parallel; the first of an environment converges its bucket
  // and the others wait for it.
  Status ensure_bucket_once(aws::Client& client, const Environment& env) {
    std::lock_guard lock(bucket_mutex_);
    if (buckets_ensured_.count(env.name)) return {};
    TRY(ensure_transfer_bucket(client, env));
    buckets_ensured_.insert(env.name);
    drift_[env.name] = "";
    return {};
  }

  // verify checks every tenant's storage, and the bucket is the environment's: it is
  // read once per environment and process (ensure_bucket_once says it is as wanted).
  Result<std::string> bucket_drift_once(aws::Client& client, const Environment& env) {
    std::lock_guard lock(bucket_mutex_);
    if (const auto known = drift_.find(env.name); known != drift_.end()) return known->second;
    TRY_ASSIGN(std::string drift, transfer_bucket_drift(client, env));
    drift_[env.name] = drift;
    return drift;
  }

  std::mutex bucket_mutex_;
  std::set<std::string> buckets_ensured_;
  std::map<std::string, std::string> drift_;  // by environment

  // A retried create with the same client token is one access point (EFS answers
  // AccessPointAlreadyExists for a token in use), and a concurrent one is found again.
  Result<std::optional<AccessPoint>> create(aws::Client& client, const Environment& env,
                                            const PlatformResources& platform,
                                            const TenantNames& names, const Tags& tags) {
    const std::string token = "wpfleet-" + sha256_hex(env.name + "/" + names.access_point_path +
                                                      "/" + platform.file_system_id)
                                               .substr(0, 32);
    const nlohmann::json request = {
        {"ClientToken", token},
        {"FileSystemId", platform.file_system_id},
        {"PosixUser", {{"Uid", kWwwData}, {"Gid", kWwwData}}},
        {"RootDirectory",
         {{"Path", names.access_point_path},
          {"CreationInfo",
           {{"OwnerUid", kWwwData}, {"OwnerGid", kWwwData}, {"Permissions", kPermissions}}}}},
        {"Tags", tags_json(tags)}};
    auto made = client.rest_json(aws::kEfs, "CreateAccessPoint", "POST",
                                 "/2015-02-01/access-points", {}, request);
    if (!made && made.error().code == "AccessPointAlreadyExists") {
      TRY_ASSIGN(auto points, list_access_points(client, platform.file_system_id));
      auto again = access_point_at(points, names.access_point_path, tags);
      if (again) return again;
    }
    if (!made && made.error().code == "AccessPointLimitExceeded") {
      return make_error("the EFS file system " + platform.file_system_id + " in " + where(env) +
                        " has as many access points as AWS allows (" + made.error().aws_message +
                        "): remove unused ones, or ask for more with Service Quotas "
                        "(Amazon Elastic File System, \"Access points per file system\")");
    }
    TRY(made);
    return std::optional<AccessPoint>(access_point_from_json(*made));
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> make_storage_provider(SharedPlatforms platforms) {
  return std::make_unique<StorageProvider>(std::move(platforms));
}

}  // namespace wpfleet::aws_backend
