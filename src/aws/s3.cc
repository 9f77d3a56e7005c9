#include "aws/s3.h"

#include <cstdlib>
#include <sstream>

#include "util/crypto.h"

namespace wpfleet::aws {

namespace {

constexpr char kXmlns[] = "http://s3.amazonaws.com/doc/2006-03-01/";
const std::vector<Header> kBytes = {{"Content-Type", "application/octet-stream"}};

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// "bytes 0-8388607/20000000" -> 20000000; 0 when absent.
std::uint64_t total_of_content_range(const std::string& range) {
  const auto slash = range.rfind('/');
  if (slash == std::string::npos) return 0;
  try {
    return std::stoull(range.substr(slash + 1));
  } catch (...) {
    return 0;
  }
}

}  // namespace

Result<std::string> S3::presigned_url(const std::string& method, const std::string& bucket,
                                      const std::string& key,
                                      std::chrono::seconds expires) const {
  constexpr std::chrono::seconds kLongest = std::chrono::hours(24 * 7);
  if (expires < std::chrono::seconds(1) || expires > kLongest) {
    return make_error("a presigned S3 URL lasts from 1 second to 7 days (" +
                      std::to_string(kLongest.count()) + " s), not " +
                      std::to_string(expires.count()) + " s: ask for an expiry in that range");
  }
  return client_.presigned_url(kS3, method, s3_path(bucket, key), expires);
}

std::string s3_path(const std::string& bucket, const std::string& key) {
  return "/" + bucket + (key.empty() ? "" : "/" + uri_encode(key, true));
}

S3Upload::S3Upload(Client& client, std::string bucket, std::string key)
    : client_(client), bucket_(std::move(bucket)), key_(std::move(key)) {}

S3Upload::~S3Upload() {
  if (!done_) (void)abort();
}

std::string S3Upload::path() const { return s3_path(bucket_, key_); }

Status S3Upload::write(std::string_view bytes) {
  buffer_.append(bytes);
  while (buffer_.size() >= kPartSize) TRY(send_part());
  return {};
}

Status S3Upload::send_part() {
  if (upload_id_.empty()) {
    TRY_ASSIGN(const RestXmlReply started,
               client_.rest_xml(kS3, "CreateMultipartUpload", "POST", path(), {{"uploads", ""}}));
    upload_id_ = started.xml.select_node("//UploadId").node().text().get();
    if (upload_id_.empty()) return make_error("S3 CreateMultipartUpload gave no UploadId for " + key_);
  }
  const std::size_t size = std::min(buffer_.size(), kPartSize);
  const std::string number = std::to_string(part_etags_.size() + 1);
  TRY_ASSIGN(const RestXmlReply sent,
             client_.rest_xml(kS3, "UploadPart", "PUT", path(),
                              {{"partNumber", number}, {"uploadId", upload_id_}}, kBytes,
                              buffer_.substr(0, size)));
  const auto etag = sent.headers.find("etag");
  if (etag == sent.headers.end()) return make_error("S3 UploadPart gave no ETag for part " + number);
  part_etags_.push_back(etag->second);
  buffer_.erase(0, size);
  return {};
}

Status S3Upload::finish() {
  if (upload_id_.empty()) {  // it all fitted in one part: one plain PUT
    TRY(client_.rest_xml(kS3, "PutObject", "PUT", path(), {}, kBytes, std::move(buffer_)));
    done_ = true;
    return {};
  }
  if (!buffer_.empty()) TRY(send_part());
  std::string body = std::string("<CompleteMultipartUpload xmlns=\"") + kXmlns + "\">";
  for (std::size_t i = 0; i < part_etags_.size(); ++i) {
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
            xml_escape(part_etags_[i]) + "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  TRY_ASSIGN(const RestXmlReply completed,
             client_.rest_xml(kS3, "CompleteMultipartUpload", "POST", path(),
                              {{"uploadId", upload_id_}}, {}, body));
  // S3 may answer 200 with an <Error> body when completing fails late.
  if (completed.xml.child("Error")) {
    return make_error("S3 CompleteMultipartUpload of " + key_ + " failed: " +
                      completed.xml.child("Error").child_value("Message"));
  }
  done_ = true;
  return {};
}

Status S3Upload::abort() {
  done_ = true;
  buffer_.clear();
  if (upload_id_.empty()) return {};
  TRY(client_.rest_xml(kS3, "AbortMultipartUpload", "DELETE", path(), {{"uploadId", upload_id_}}));
  return {};
}

ApiResult<bool> S3::bucket_exists(const std::string& bucket) {
  auto located = client_.rest_xml(kS3, "GetBucketLocation", "GET", s3_path(bucket), {{"location", ""}});
  if (located) return true;
  if (located.error().code == "NoSuchBucket") return false;
  return std::move(located).error();
}

ApiResult<bool> S3::create_bucket(const std::string& bucket) {
  const std::string region = client_.config().region;
  std::string body;
  if (region != "us-east-1") {  // us-east-1 refuses its own name as a constraint
    body = std::string("<CreateBucketConfiguration xmlns=\"") + kXmlns +
           "\"><LocationConstraint>" + region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  auto made = client_.rest_xml(kS3, "CreateBucket", "PUT", s3_path(bucket), {}, {}, body);
  if (made) return true;
  if (made.error().code == "BucketAlreadyOwnedByYou") return false;
  return std::move(made).error();
}

Status S3::enable_versioning(const std::string& bucket) {
  const std::string body = std::string("<VersioningConfiguration xmlns=\"") + kXmlns +
                           "\"><Status>Enabled</Status></VersioningConfiguration>";
  TRY(client_.rest_xml(kS3, "PutBucketVersioning", "PUT", s3_path(bucket), {{"versioning", ""}}, {},
                       body));
  return {};
}

ApiResult<bool> S3::versioning_enabled(const std::string& bucket) {
  TRY_ASSIGN(const RestXmlReply got,
             client_.rest_xml(kS3, "GetBucketVersioning", "GET", s3_path(bucket), {{"versioning", ""}}));
  return std::string(got.xml.select_node("//Status").node().text().get()) == "Enabled";
}

namespace {

std::string lifecycle_rule_xml(const BucketLifecycle& lifecycle) {
  const std::string days = std::to_string(lifecycle.expire_days);
  return "<Rule><ID>" + xml_escape(lifecycle.id) + "</ID><Filter><Prefix>" +
         xml_escape(lifecycle.prefix) + "</Prefix></Filter><Status>Enabled</Status>" +
         "<Expiration><Days>" + days + "</Days></Expiration>" +
         "<NoncurrentVersionExpiration><NoncurrentDays>" + days + "</NoncurrentDays>" +
         "</NoncurrentVersionExpiration>" +
         "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>" +
         "</AbortIncompleteMultipartUpload></Rule>";
}

// A configuration a bucket never had reads as no rules.
ApiResult<std::optional<RestXmlReply>> lifecycle_configuration(Client& client,
                                                               const std::string& bucket) {
  auto got = client.rest_xml(kS3, "GetBucketLifecycleConfiguration", "GET", s3_path(bucket),
                             {{"lifecycle", ""}});
  if (!got && got.error().code == "NoSuchLifecycleConfiguration") {
    return std::optional<RestXmlReply>();
  }
  TRY_ASSIGN(RestXmlReply reply, std::move(got));
  return std::optional<RestXmlReply>(std::move(reply));
}

// S3 wants the body's MD5 on its configuration PUTs (or refuses them).
std::vector<Header> md5_of(const std::string& body) {
  return {{"Content-MD5", base64(md5_bytes(body))}};
}

}  // namespace

Status S3::set_lifecycle(const std::string& bucket, const BucketLifecycle& lifecycle) {
  TRY_ASSIGN(auto current, lifecycle_configuration(client_, bucket));
  std::string rules;
  if (current) {
    for (const auto& rule : current->xml.select_nodes("//Rule")) {
      if (lifecycle.id == rule.node().child_value("ID")) continue;
      std::ostringstream kept;
      rule.node().print(kept, "", pugi::format_raw);
      rules += kept.str();
    }
  }
  const std::string body = std::string("<LifecycleConfiguration xmlns=\"") + kXmlns + "\">" +
                           rules + lifecycle_rule_xml(lifecycle) + "</LifecycleConfiguration>";
  TRY(client_.rest_xml(kS3, "PutBucketLifecycleConfiguration", "PUT", s3_path(bucket),
                       {{"lifecycle", ""}}, md5_of(body), body));
  return {};
}

ApiResult<std::optional<BucketLifecycle>> S3::lifecycle(const std::string& bucket,
                                                        const std::string& id) {
  TRY_ASSIGN(auto current, lifecycle_configuration(client_, bucket));
  if (!current) return std::optional<BucketLifecycle>();
  for (const auto& found : current->xml.select_nodes("//Rule")) {
    const pugi::xml_node rule = found.node();
    if (id != rule.child_value("ID")) continue;
    BucketLifecycle seen{id, rule.child("Filter").child_value("Prefix"),
                         std::atoi(rule.child("Expiration").child_value("Days"))};
    // Only a rule set_lifecycle would write counts: enabled, old versions and abandoned
    // uploads expiring too.
    const bool whole = std::string(rule.child_value("Status")) == "Enabled" &&
                       std::atoi(rule.child("NoncurrentVersionExpiration")
                                     .child_value("NoncurrentDays")) == seen.expire_days &&
                       std::atoi(rule.child("AbortIncompleteMultipartUpload")
                                     .child_value("DaysAfterInitiation")) == 1;
    if (whole) return std::optional<BucketLifecycle>(seen);
  }
  return std::optional<BucketLifecycle>();
}

ApiResult<BucketTags> S3::bucket_tags(const std::string& bucket) {
  auto got = client_.rest_xml(kS3, "GetBucketTagging", "GET", s3_path(bucket), {{"tagging", ""}});
  if (!got && got.error().code == "NoSuchTagSet") return BucketTags();
  TRY_ASSIGN(const RestXmlReply reply, std::move(got));
  BucketTags tags;
  for (const auto& tag : reply.xml.select_nodes("//Tag")) {
    tags[tag.node().child_value("Key")] = tag.node().child_value("Value");
  }
  return tags;
}

Status S3::set_bucket_tags(const std::string& bucket, const BucketTags& tags) {
  std::string body = std::string("<Tagging xmlns=\"") + kXmlns + "\"><TagSet>";
  for (const auto& [key, value] : tags) {
    body += "<Tag><Key>" + xml_escape(key) + "</Key><Value>" + xml_escape(value) + "</Value></Tag>";
  }
  body += "</TagSet></Tagging>";
  TRY(client_.rest_xml(kS3, "PutBucketTagging", "PUT", s3_path(bucket), {{"tagging", ""}},
                       md5_of(body), body));
  return {};
}

Status S3::read(const std::string& bucket, const std::string& key,
                const std::function<Status(std::string_view)>& sink) {
  std::uint64_t offset = 0;
  for (;;) {
    const std::string range =
        "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + kPartSize - 1);
    auto got = client_.rest_xml(kS3, "GetObject", "GET", s3_path(bucket, key), {}, {{"Range", range}});
    if (!got && got.error().code == "InvalidRange" && offset == 0) return {};  // empty object
    TRY_ASSIGN(const RestXmlReply part, std::move(got));
    TRY(sink(part.body));
    offset += part.body.size();
    const auto content_range = part.headers.find("content-range");
    const std::uint64_t total =
        content_range == part.headers.end() ? offset : total_of_content_range(content_range->second);
    if (part.body.empty() || offset >= total) return {};
  }
}

ApiResult<std::vector<S3Object>> S3::list(const std::string& bucket, const std::string& prefix) {
  std::vector<S3Object> objects;
  std::string token;
  do {
    QueryParams query{{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    TRY_ASSIGN(const RestXmlReply page,
               client_.rest_xml(kS3, "ListObjectsV2", "GET", s3_path(bucket), query));
    for (const auto& item : page.xml.select_nodes("//Contents")) {
      const pugi::xml_node node = item.node();
      objects.push_back({node.child_value("Key"), std::strtoull(node.child_value("Size"), nullptr, 10),
                         node.child_value("LastModified")});
    }
    const bool truncated = std::string(page.xml.select_node("//IsTruncated").node().text().get()) == "true";
    token = truncated ? page.xml.select_node("//NextContinuationToken").node().text().get() : "";
  } while (!token.empty());
  return objects;
}

Status S3::remove(const std::string& bucket, const std::string& key) {
  TRY(client_.rest_xml(kS3, "DeleteObject", "DELETE", s3_path(bucket, key)));
  return {};
}

ApiResult<std::vector<S3PendingUpload>> S3::pending_uploads(const std::string& bucket,
                                                            const std::string& prefix) {
  std::vector<S3PendingUpload> uploads;
  std::string key_marker;
  std::string id_marker;
  bool truncated = false;
  do {
    QueryParams query{{"uploads", ""}, {"prefix", prefix}};
    if (truncated) {
      query.emplace_back("key-marker", key_marker);
      query.emplace_back("upload-id-marker", id_marker);
    }
    TRY_ASSIGN(const RestXmlReply page,
               client_.rest_xml(kS3, "ListMultipartUploads", "GET", s3_path(bucket), query));
    for (const auto& item : page.xml.select_nodes("//Upload")) {
      const pugi::xml_node node = item.node();
      uploads.push_back({node.child_value("Key"), node.child_value("UploadId"), node.child_value("Initiated")});
    }
    truncated = std::string(page.xml.select_node("//IsTruncated").node().text().get()) == "true";
    key_marker = page.xml.select_node("//NextKeyMarker").node().text().get();
    id_marker = page.xml.select_node("//NextUploadIdMarker").node().text().get();
  } while (truncated);
  return uploads;
}

Status S3::abort_upload(const std::string& bucket, const S3PendingUpload& upload) {
  TRY(client_.rest_xml(kS3, "AbortMultipartUpload", "DELETE", s3_path(bucket, upload.key),
                       {{"uploadId", upload.upload_id}}));
  return {};
}

}  // namespace wpfleet::aws
