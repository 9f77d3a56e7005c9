#include "backends/aws/transfer_bucket.h"

#include <vector>

#include "aws/s3.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

namespace {

constexpr int kExpireDays = 30;

// Only below "wpfleet/", the prefix wpfleet writes under: an adopted bucket's own
// objects must not expire.
aws::BucketLifecycle wanted_lifecycle() { return {"wpfleet-transfers", "wpfleet/", kExpireDays}; }

// What the bucket has of what ensure_transfer_bucket wants.
struct Inspection {
  bool versioned = false;
  bool lifecycle_as_wanted = false;
  aws::BucketTags tags;             // all of the bucket's, the owner's too
  std::vector<std::string> wrong_tags;  // "the tag K = V is missing", one per tag
};

Result<Inspection> inspect(aws::S3& s3, const Environment& env, const std::string& bucket) {
  Inspection found;
  TRY_ASSIGN(found.versioned, s3.versioning_enabled(bucket));
  TRY_ASSIGN(const auto lifecycle, s3.lifecycle(bucket, wanted_lifecycle().id));
  found.lifecycle_as_wanted = lifecycle == wanted_lifecycle();
  TRY_ASSIGN(found.tags, s3.bucket_tags(bucket));
  for (const auto& [key, value] : environment_tags(env.name)) {
    const auto held = found.tags.find(key);
    if (held == found.tags.end()) {
      found.wrong_tags.push_back("the tag " + key + " = " + value + " is missing");
    } else if (held->second != value) {
      found.wrong_tags.push_back("the tag " + key + " is \"" + held->second + "\", not " + value);
    }
  }
  return found;
}

Status create(aws::S3& s3, const Environment& env, const std::string& bucket) {
  auto made = s3.create_bucket(bucket);
  if (made) return {};
  if (made.error().code == "BucketAlreadyExists") {
    return make_error("the S3 bucket name " + bucket +
                      " is taken by another AWS account (bucket names are global), so " +
                      where(env) + " cannot have it: set transfer_bucket = \"{env}-wpfleet-"
                      "transfer-<something of yours>\" in [environments." + env.name + ".aws]");
  }
  return std::move(made).error();
}

}  // namespace

std::string transfer_bucket_name(const Environment& env) { return env.aws->transfer_bucket; }

Status ensure_transfer_bucket(aws::Client& client, const Environment& env) {
  aws::S3 s3(client);
  const std::string bucket = transfer_bucket_name(env);
  TRY_ASSIGN(const bool exists, s3.bucket_exists(bucket));
  if (!exists) TRY(create(s3, env, bucket));
  TRY_ASSIGN(Inspection found, inspect(s3, env, bucket));
  if (!found.versioned) TRY(s3.enable_versioning(bucket));
  if (!found.lifecycle_as_wanted) TRY(s3.set_lifecycle(bucket, wanted_lifecycle()));
  if (found.wrong_tags.empty()) return {};
  for (const auto& [key, value] : environment_tags(env.name)) found.tags[key] = value;
  return s3.set_bucket_tags(bucket, found.tags);
}

Result<std::string> transfer_bucket_drift(aws::Client& client, const Environment& env) {
  aws::S3 s3(client);
  const std::string bucket = transfer_bucket_name(env);
  TRY_ASSIGN(const bool exists, s3.bucket_exists(bucket));
  if (!exists) return std::string("it does not exist");
  TRY_ASSIGN(const Inspection found, inspect(s3, env, bucket));
  std::vector<std::string> wrong;
  if (!found.versioned) wrong.emplace_back("versioning is off");
  if (!found.lifecycle_as_wanted) {
    wrong.push_back("its lifecycle rule " + wanted_lifecycle().id + " (expire what is under " +
                    wanted_lifecycle().prefix + " after " + std::to_string(kExpireDays) +
                    " days) is missing or changed");
  }
  wrong.insert(wrong.end(), found.wrong_tags.begin(), found.wrong_tags.end());
  std::string said;
  for (const auto& problem : wrong) said += (said.empty() ? "" : "; ") + problem;
  return said;
}

}  // namespace wpfleet::aws_backend
