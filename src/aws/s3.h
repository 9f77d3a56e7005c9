// S3 buckets and objects over the REST-XML client, with objects as streams: an upload
// goes in parts (multipart, `kPartSize` each) and a download in ranged GETs, so an
// object of any size (a database dump, a files archive) never sits in memory whole.
// Path-style addressing (https://s3.<region>.amazonaws.com/<bucket>/<key>), which every
// bucket name without dots supports and which S3-compatible endpoints expect.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"

namespace wpfleet::aws {

inline constexpr std::size_t kPartSize = 8u << 20;  // S3's minimum part is 5 MiB

struct S3Object {
  std::string key;
  std::uint64_t size = 0;
  std::string last_modified;  // ISO 8601, as S3 gives it
};

// One lifecycle rule of a bucket, named `id`: objects under `prefix` (and their old
// versions) expire after `expire_days`; uploads abandoned half-way are cleaned after a
// day.
struct BucketLifecycle {
  std::string id;
  std::string prefix;  // "" = the whole bucket
  int expire_days = 30;
  bool operator==(const BucketLifecycle&) const = default;
};

using BucketTags = std::map<std::string, std::string>;

// A multipart upload begun and neither finished nor aborted: its parts are stored (and
// billed) but invisible until someone aborts it.
struct S3PendingUpload {
  std::string key;
  std::string upload_id;
  std::string initiated;  // ISO 8601, as S3 gives it
};

// Writes an object in parts as bytes come; nothing is visible under the key until
// finish() succeeds. Destroying an unfinished upload aborts it.
class S3Upload {
 public:
  S3Upload(Client& client, std::string bucket, std::string key);
  ~S3Upload();
  S3Upload(const S3Upload&) = delete;
  S3Upload& operator=(const S3Upload&) = delete;

  Status write(std::string_view bytes);
  Status finish();
  Status abort();

 private:
  Status send_part();
  std::string path() const;

  Client& client_;
  std::string bucket_;
  std::string key_;
  std::string buffer_;
  std::string upload_id_;                 // empty until a first full part is sent
  std::vector<std::string> part_etags_;  // in part order
  bool done_ = false;
};

class S3 {
 public:
  explicit S3(Client& client) : client_(client) {}

  // Whether the bucket exists and these credentials may use it (403 is an error naming
  // the bucket's owner problem, not "absent").
  ApiResult<bool> bucket_exists(const std::string& bucket);
  // In the client's region. False when these credentials' account had it already; a
  // name taken by another account (bucket names are global) is BucketAlreadyExists.
  ApiResult<bool> create_bucket(const std::string& bucket);
  Status enable_versioning(const std::string& bucket);
  ApiResult<bool> versioning_enabled(const std::string& bucket);
  // Puts the rule in place of the bucket's rule with its id, keeping every other rule
  // (S3 replaces a bucket's whole lifecycle configuration at once).
  Status set_lifecycle(const std::string& bucket, const BucketLifecycle& lifecycle);
  // The bucket's rule with that id, as set_lifecycle writes it; nullopt when it has none
  // (or one set_lifecycle would not have written).
  ApiResult<std::optional<BucketLifecycle>> lifecycle(const std::string& bucket,
                                                      const std::string& id);
  ApiResult<BucketTags> bucket_tags(const std::string& bucket);
  // Replaces the bucket's tags with `tags` (S3 has no call that adds one).
  Status set_bucket_tags(const std::string& bucket, const BucketTags& tags);

  std::unique_ptr<S3Upload> upload(const std::string& bucket, const std::string& key) {
    return std::make_unique<S3Upload>(client_, bucket, key);
  }
  // The object's bytes in order, `kPartSize` at a time.
  Status read(const std::string& bucket, const std::string& key,
              const std::function<Status(std::string_view)>& sink);
  ApiResult<std::vector<S3Object>> list(const std::string& bucket, const std::string& prefix);
  Status remove(const std::string& bucket, const std::string& key);
  // The unfinished multipart uploads of keys under `prefix`.
  ApiResult<std::vector<S3PendingUpload>> pending_uploads(const std::string& bucket,
                                                          const std::string& prefix);
  Status abort_upload(const std::string& bucket, const S3PendingUpload& upload);

  // A URL at this client's endpoint (path-style, as every call here) that lets whoever
  // holds it `method` ("GET", "PUT") the object for `expires` from now, with no
  // credentials of their own (`curl -T FILE URL`, `curl URL`): a one-off task's way in
  // and out of a bucket. A presigned PUT must be sent whole in one request with its
  // Content-Length (S3 caps one PUT at 5 GB). An error when `expires` is not between 1
  // second and 7 days, S3's limits.
  Result<std::string> presigned_url(const std::string& method, const std::string& bucket,
                                    const std::string& key, std::chrono::seconds expires) const;

 private:
  Client& client_;
};

// "/<bucket>/<key>" with the key percent-encoded ('/' kept), as S3 signs and takes it.
std::string s3_path(const std::string& bucket, const std::string& key = "");

}  // namespace wpfleet::aws
