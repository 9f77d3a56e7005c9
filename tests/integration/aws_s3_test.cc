// S3 through the AWS client against moto (signatures checked: moto checks the PUTs and
// POSTs, the proxy the GETs and DELETEs and presigned URLs): a transfer bucket's set-up,
// objects streamed in parts and read back in ranges, byte for byte, and presigned URLs
// used by curl as a one-off task uses them.
#include "aws/s3.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "aws_test_env.h"
#include "harness.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

class AwsS3 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { aws_ = new AwsTestEnv(); }
  static void TearDownTestSuite() {
    delete aws_;
    aws_ = nullptr;
  }
  void SetUp() override { complaints_.emplace(aws_->proxy()); }
  void TearDown() override { complaints_.reset(); }

  static std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 random(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    return bytes;
  }
  static std::string read_all(aws::S3& s3, const std::string& bucket, const std::string& key) {
    std::string out;
    Status read = s3.read(bucket, key, [&](std::string_view part) -> Status {
      out.append(part);
      return {};
    });
    EXPECT_TRUE(read.ok()) << read.error().message;
    return out;
  }

  // curl as a task runs it, a child process with no credentials of its own: `args`
  // then the URL; what it printed (-w) and its exit code.
  static CommandOutput curl(std::vector<std::string> args, const std::string& url) {
    CommandSpec spec;
    spec.argv = {"curl", "-sS"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.argv.push_back(url);
    spec.timeout = std::chrono::seconds(60);
    auto ran = run_command(spec);
    EXPECT_TRUE(ran.ok()) << ran.error().message;
    return ran ? *ran : CommandOutput{};
  }
  // The HTTP status of a curl request to `url` (its body in `body_file`).
  static std::string status_of(std::vector<std::string> args, const std::string& url,
                               const std::filesystem::path& body_file) {
    args.insert(args.end(), {"-o", body_file.string(), "-w", "%{http_code}"});
    return curl(std::move(args), url).out;
  }

  static inline AwsTestEnv* aws_ = nullptr;
  std::optional<ProxyComplaints> complaints_;
};

TEST_F(AwsS3, TransferBucketIsMadeVersionedWithALifecycle) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  auto before = s3.bucket_exists("sit-wpfleet-transfer");
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_FALSE(*before);
  ASSERT_TRUE(s3.create_bucket("sit-wpfleet-transfer").ok());
  auto after = s3.bucket_exists("sit-wpfleet-transfer");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_TRUE(*after);

  auto versioned = s3.versioning_enabled("sit-wpfleet-transfer");
  ASSERT_TRUE(versioned.ok()) << versioned.error().message;
  EXPECT_FALSE(*versioned);
  Status enabled = s3.enable_versioning("sit-wpfleet-transfer");
  ASSERT_TRUE(enabled.ok()) << enabled.error().message;
  versioned = s3.versioning_enabled("sit-wpfleet-transfer");
  ASSERT_TRUE(versioned.ok());
  EXPECT_TRUE(*versioned);
  auto none = s3.lifecycle("sit-wpfleet-transfer", "transfers");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  Status lifecycle = s3.set_lifecycle("sit-wpfleet-transfer", {"transfers", "", 30});
  EXPECT_TRUE(lifecycle.ok()) << lifecycle.error().message;
  auto rule = s3.lifecycle("sit-wpfleet-transfer", "transfers");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(*rule, std::optional<aws::BucketLifecycle>(aws::BucketLifecycle{"transfers", "", 30}));
}

// S3 replaces a bucket's whole lifecycle and tag set at once: setting one rule keeps the
// owner's others, and tags read back as written.
TEST_F(AwsS3, OneLifecycleRuleIsSetBesideTheOwnersAndTagsReadBack) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  ASSERT_TRUE(s3.create_bucket("their-bucket").ok());
  ASSERT_TRUE(s3.set_lifecycle("their-bucket", {"their-logs", "logs/", 7}).ok());
  ASSERT_TRUE(s3.set_lifecycle("their-bucket", {"transfers", "", 30}).ok());
  ASSERT_TRUE(s3.set_lifecycle("their-bucket", {"transfers", "", 14}).ok());
  auto theirs = s3.lifecycle("their-bucket", "their-logs");
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  EXPECT_EQ(*theirs, std::optional<aws::BucketLifecycle>(aws::BucketLifecycle{"their-logs", "logs/", 7}));
  auto ours = s3.lifecycle("their-bucket", "transfers");
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(*ours, std::optional<aws::BucketLifecycle>(aws::BucketLifecycle{"transfers", "", 14}));

  auto untagged = s3.bucket_tags("their-bucket");
  ASSERT_TRUE(untagged.ok()) << untagged.error().message;
  EXPECT_TRUE(untagged->empty());
  const aws::BucketTags tags = {{"owner", "ops & <dev>"}, {"managed-by", "wpfleet"}};
  Status tagged = s3.set_bucket_tags("their-bucket", tags);
  ASSERT_TRUE(tagged.ok()) << tagged.error().message;
  auto read = s3.bucket_tags("their-bucket");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, tags);
}

TEST_F(AwsS3, LargeObjectGoesInPartsAndComesBackByteForByte) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  ASSERT_TRUE(s3.create_bucket("parts").ok());
  const std::string object = random_bytes(2 * aws::kPartSize + 12345, 7);
  auto upload = s3.upload("parts", "dev/alpha/op 1/dump.sql.zst");
  // Odd-sized writes, as a dump streams.
  for (std::size_t at = 0; at < object.size(); at += 1'000'003) {
    ASSERT_TRUE(upload->write(std::string_view(object).substr(at, 1'000'003)).ok());
  }
  Status finished = upload->finish();
  ASSERT_TRUE(finished.ok()) << finished.error().message;
  EXPECT_EQ(aws_->proxy().requests_by_action()["POST /parts/dev/alpha/op%201/dump.sql.zst"], 2);

  auto listed = s3.list("parts", "dev/alpha/");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, "dev/alpha/op 1/dump.sql.zst");
  EXPECT_EQ((*listed)[0].size, object.size());
  EXPECT_TRUE(read_all(s3, "parts", "dev/alpha/op 1/dump.sql.zst") == object);

  ASSERT_TRUE(s3.remove("parts", "dev/alpha/op 1/dump.sql.zst").ok());
  listed = s3.list("parts", "dev/alpha/");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(AwsS3, SmallAndEmptyObjectsAreOnePut) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  ASSERT_TRUE(s3.create_bucket("small").ok());
  auto upload = s3.upload("small", "manifest.json");
  ASSERT_TRUE(upload->write("{\"tenant\":\"alpha\"}").ok());
  ASSERT_TRUE(upload->finish().ok());
  EXPECT_EQ(read_all(s3, "small", "manifest.json"), "{\"tenant\":\"alpha\"}");
  auto empty = s3.upload("small", "empty");
  ASSERT_TRUE(empty->finish().ok());
  EXPECT_EQ(read_all(s3, "small", "empty"), "");
}

// A dump that fails half-way leaves nothing under its key, and no upload to pay for.
TEST_F(AwsS3, UnfinishedUploadIsAbortedAndLeavesNoObject) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  ASSERT_TRUE(s3.create_bucket("aborted").ok());
  {
    auto upload = s3.upload("aborted", "dump.sql");
    ASSERT_TRUE(upload->write(random_bytes(aws::kPartSize + 1, 3)).ok());
  }
  EXPECT_EQ(aws_->proxy().requests_by_action()["DELETE /aborted/dump.sql"], 1);
  auto listed = s3.list("aborted", "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

// What a transfer task does: PUT a file to a presigned URL with curl, and GET it back
// from another; the bytes round-trip, every byte value included.
TEST_F(AwsS3, PresignedPutAndGetRoundTripThroughCurl) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  ASSERT_TRUE(s3.create_bucket("presigned").ok());
  TempDir dir;
  const std::string object = random_bytes(3 * 1024 * 1024 + 17, 11);
  ASSERT_TRUE(write_file_atomic(dir.path() / "in", object, 0600).ok());

  auto put = s3.presigned_url("PUT", "presigned", "dev/op 1/dump.sql", std::chrono::minutes(15));
  ASSERT_TRUE(put.ok()) << put.error().message;
  const CommandOutput sent = curl({"--fail", "-T", (dir.path() / "in").string()}, *put);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(read_all(s3, "presigned", "dev/op 1/dump.sql") == object);

  auto get = s3.presigned_url("GET", "presigned", "dev/op 1/dump.sql", std::chrono::minutes(15));
  ASSERT_TRUE(get.ok()) << get.error().message;
  const CommandOutput got = curl({"--fail", "-o", (dir.path() / "out").string()}, *get);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto back = read_file(dir.path() / "out");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == object);
}

// Whatever moto would make of them, a presigned URL that was changed, or has expired,
// is refused with 403, and a refused PUT leaves nothing.
TEST_F(AwsS3, TamperedOrExpiredPresignedUrlIsRefused) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  ASSERT_TRUE(s3.create_bucket("refused").ok());
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "in", "payload", 0600).ok());
  const std::string file = (dir.path() / "in").string();
  const std::filesystem::path body = dir.path() / "body";

  auto put = s3.presigned_url("PUT", "refused", "a", std::chrono::minutes(5));
  ASSERT_TRUE(put.ok());
  std::string bad_signature = *put;
  bad_signature.back() = bad_signature.back() == '0' ? '1' : '0';
  EXPECT_EQ(status_of({"-T", file}, bad_signature, body), "403");
  EXPECT_NE(read_file(body)->find("SignatureDoesNotMatch"), std::string::npos) << *read_file(body);
  std::string other_key = *put;
  other_key.replace(other_key.find("/refused/a?"), 11, "/refused/b?");
  EXPECT_EQ(status_of({"-T", file}, other_key, body), "403");
  std::string longer = *put;
  longer.replace(longer.find("X-Amz-Expires=300"), 17, "X-Amz-Expires=900");
  EXPECT_EQ(status_of({"-T", file}, longer, body), "403");
  // No signature at all.
  EXPECT_EQ(status_of({"-T", file}, put->substr(0, put->find('?')), body), "403");
  auto listed = s3.list("refused", "");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_TRUE(listed->empty());

  auto brief_put = s3.presigned_url("PUT", "refused", "a", std::chrono::seconds(1));
  auto brief_get = s3.presigned_url("GET", "refused", "a", std::chrono::seconds(1));
  ASSERT_TRUE(brief_put.ok() && brief_get.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(status_of({}, *brief_get, body), "403");
  EXPECT_NE(read_file(body)->find("Request has expired"), std::string::npos) << *read_file(body);
  EXPECT_EQ(status_of({"-T", file}, *brief_put, body), "403");
  EXPECT_NE(read_file(body)->find("Request has expired"), std::string::npos) << *read_file(body);
  listed = s3.list("refused", "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

// A URL presigned with a role's temporary credentials (the token signed in its query)
// acts in the role's account, as on AWS: a bucket made by one is that account's.
TEST_F(AwsS3, PresignedUrlOfAnAssumedRoleActsInTheRolesAccount) {
  aws::Client client = aws_->client();
  auto assumed = client.query(aws::kSts, "AssumeRole",
                              {{"RoleArn", "arn:aws:iam::222222222222:role/transfer"},
                               {"RoleSessionName", "presign"}});
  ASSERT_TRUE(assumed.ok()) << assumed.error().message;
  const auto node = assumed->select_node("//Credentials").node();
  aws::ClientConfig config = aws_->client_config();
  config.credentials = {node.child_value("AccessKeyId"), node.child_value("SecretAccessKey"),
                        node.child_value("SessionToken")};
  aws::Client role(config, kQuickRetry);
  aws::S3 s3(role);
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "in", "theirs", 0600).ok());

  auto make_bucket = s3.presigned_url("PUT", "role-account", "", std::chrono::minutes(5));
  ASSERT_TRUE(make_bucket.ok()) << make_bucket.error().message;
  EXPECT_NE(make_bucket->find("X-Amz-Security-Token="), std::string::npos);
  ASSERT_EQ(curl({"--fail", "-X", "PUT"}, *make_bucket).exit_code, 0);
  auto put = s3.presigned_url("PUT", "role-account", "k", std::chrono::minutes(5));
  ASSERT_EQ(curl({"--fail", "-T", (dir.path() / "in").string()}, *put).exit_code, 0);
  auto get = s3.presigned_url("GET", "role-account", "k", std::chrono::minutes(5));
  const CommandOutput got = curl({"--fail"}, *get);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "theirs");
  // Without its token the role's key is no good.
  const auto token_at = get->find("&X-Amz-Security-Token=");
  const std::string tokenless =
      get->substr(0, token_at) + get->substr(get->find("&X-Amz-Signature="));
  EXPECT_EQ(status_of({}, tokenless, dir.path() / "body"), "400");

  // Not among the IAM user's own buckets (moto lets either account use it by name).
  auto own = client.rest_xml(aws::kS3, "ListBuckets", "GET", "/");
  ASSERT_TRUE(own.ok()) << own.error().message;
  EXPECT_EQ(own->body.find("<Name>role-account</Name>"), std::string::npos) << own->body;
}

}  // namespace
}  // namespace wpfleet::testing
