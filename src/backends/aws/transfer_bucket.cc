#include "backends/aws/transfer_bucket.h"

#include "aws/s3.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

namespace {

constexpr int kExpireDays = 30;

aws::BucketLifecycle wanted_lifecycle() { return {"wpfleet-transfers", "", kExpireDays}; }

// What is not as wanted, in words ("versioning is off; ..."); empty when nothing.
Result<std::string> unfit(aws::S3& s3, const Environment& env, const std::string& bucket) {
  std::string wrong;
  TRY_ASSIGN(const bool versioned, s3.versioning_enabled(bucket));
  if (!versioned) wrong += "versioning is off; ";
  TRY_ASSIGN(const auto lifecycle, s3.lifecycle(bucket, wanted_lifecycle().id));
  if (lifecycle != wanted_lifecycle()) {
    wrong += "its lifecycle rule " + wanted_lifecycle().id + " (expire after " +
             std::to_string(kExpireDays) + " days) is missing or changed; ";
  }
  TRY_ASSIGN(const aws::BucketTags tags, s3.bucket_tags(bucket));
  for (const auto& [key, value] : environment_tags(env.name)) {
    const auto found = tags.find(key);
    if (found == tags.end() || found->second != value) {
      wrong += "the tag " + key + " = " + value + " is missing; ";
    }
  }
  if (!wrong.empty()) wrong.resize(wrong.size() - 2);
  return wrong;
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
  TRY_ASSIGN(const bool versioned, s3.versioning_enabled(bucket));
  if (!versioned) TRY(s3.enable_versioning(bucket));
  TRY_ASSIGN(const auto lifecycle, s3.lifecycle(bucket, wanted_lifecycle().id));
  if (lifecycle != wanted_lifecycle()) TRY(s3.set_lifecycle(bucket, wanted_lifecycle()));
  TRY_ASSIGN(aws::BucketTags tags, s3.bucket_tags(bucket));
  bool retag = false;
  for (const auto& [key, value] : environment_tags(env.name)) {
    std::string& held = tags[key];
    retag = retag || held != value;
    held = value;
  }
  if (retag) TRY(s3.set_bucket_tags(bucket, tags));
  return {};
}

Result<std::string> transfer_bucket_drift(aws::Client& client, const Environment& env) {
  aws::S3 s3(client);
  const std::string bucket = transfer_bucket_name(env);
  TRY_ASSIGN(const bool exists, s3.bucket_exists(bucket));
  if (!exists) return std::string("it does not exist");
  return unfit(s3, env, bucket);
}

}  // namespace wpfleet::aws_backend
