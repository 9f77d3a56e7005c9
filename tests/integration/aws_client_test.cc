// The AWS client against moto's server with signature checking on: each protocol, the
// pagination styles, credential errors, AssumeRole, and retries through a throttling
// proxy.
#include "aws/pagination.h"
#include "aws/sts.h"
#include "aws_fake.h"
#include "harness.h"
#include "moto_server.h"

namespace wpfleet::testing {
namespace {

using aws::Client;

// Fast retries: the tests wait for attempts, not for AWS's real backoff.
constexpr aws::RetryPolicy kQuickRetry{4, std::chrono::milliseconds(1),
                                       std::chrono::milliseconds(20)};

class AwsClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new MotoServer();
    credentials_ = moto_->enable_auth();
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  static Client client() { return Client(moto_->client_config(credentials_), kQuickRetry); }

  static MotoServer* moto_;
  static aws::Credentials credentials_;
};

MotoServer* AwsClient::moto_ = nullptr;
aws::Credentials AwsClient::credentials_;

std::string text(const pugi::xml_document& doc, const char* xpath) {
  return doc.select_node(xpath).node().child_value();
}

TEST_F(AwsClient, StsGetCallerIdentityOverQuery) {
  Client sts = client();
  auto identity = aws::get_caller_identity(sts);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->account, "123456789012");
  EXPECT_EQ(identity->arn, "arn:aws:iam::123456789012:user/aws-client-test");
}

TEST_F(AwsClient, SecretsManagerOverJson11) {
  Client secrets = client();
  auto created = secrets.json(aws::kSecretsManager, "CreateSecret",
                              {{"Name", "sit-goldencrust-db-credentials"},
                               {"SecretString", R"({"username":"goldencrust_user"})"}});
  ASSERT_TRUE(created) << created.error().message;
  auto described = secrets.json(aws::kSecretsManager, "DescribeSecret",
                                {{"SecretId", "sit-goldencrust-db-credentials"}});
  ASSERT_TRUE(described) << described.error().message;
  EXPECT_EQ((*described)["ARN"], (*created)["ARN"]);
  auto value = secrets.json(aws::kSecretsManager, "GetSecretValue",
                            {{"SecretId", "sit-goldencrust-db-credentials"}});
  ASSERT_TRUE(value) << value.error().message;
  EXPECT_EQ((*value)["SecretString"], R"({"username":"goldencrust_user"})");

  // moto answers JSON services' errors in XML; the code is read either way.
  auto missing =
      secrets.json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", "sit-nobody"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  EXPECT_GE(missing.error().http_status, 400);  // AWS says 400, moto 404
  EXPECT_NE(missing.error().message.find("Secrets Manager GetSecretValue failed"),
            std::string::npos);
}

TEST_F(AwsClient, JsonPaginationFollowsNextToken) {
  Client secrets = client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(secrets.json(aws::kSecretsManager, "CreateSecret",
                             {{"Name", "paged-" + std::to_string(i)}, {"SecretString", "x"}}));
  }
  auto pages = aws::all_json_pages(
      secrets, aws::kSecretsManager, "ListSecrets",
      {{"MaxResults", 1}, {"Filters", {{{"Key", "name"}, {"Values", {"paged-"}}}}}});
  ASSERT_TRUE(pages) << pages.error().message;
  std::size_t listed = 0;
  for (const auto& page : *pages) listed += page["SecretList"].size();
  EXPECT_EQ(listed, 3u);
  EXPECT_GE(pages->size(), 3u);
}

TEST_F(AwsClient, QueryPaginationFollowsMarker) {
  Client iam = client();
  for (int i = 0; i < 5; ++i) {
    auto role = iam.query(aws::kIam, "CreateRole",
                          {{"RoleName", "paged-" + std::to_string(i)},
                           {"Path", "/paging/"},
                           {"AssumeRolePolicyDocument", R"({"Version":"2012-10-17"})"}});
    ASSERT_TRUE(role) << role.error().message;
  }
  auto pages = aws::all_query_pages(iam, aws::kIam, "ListRoles",
                              {{"PathPrefix", "/paging/"}, {"MaxItems", "2"}}, "Marker");
  ASSERT_TRUE(pages) << pages.error().message;
  ASSERT_EQ(pages->size(), 3u);
  std::size_t roles = 0;
  for (const auto& page : *pages) roles += page.select_nodes("//Roles/member").size();
  EXPECT_EQ(roles, 5u);
}

TEST_F(AwsClient, EfsOverRestJson) {
  Client efs = client();
  auto created = efs.rest_json(aws::kEfs, "CreateFileSystem", "POST", "/2015-02-01/file-systems",
                               {}, {{"CreationToken", "sit-efs"}});
  ASSERT_TRUE(created) << created.error().message;
  moto_->check_signatures(false);  // moto cannot verify REST GETs (see moto_server.h)
  auto described = efs.rest_json(aws::kEfs, "DescribeFileSystems", "GET",
                                 "/2015-02-01/file-systems", {{"CreationToken", "sit-efs"}});
  moto_->check_signatures(true);
  ASSERT_TRUE(described) << described.error().message;
  ASSERT_EQ((*described)["FileSystems"].size(), 1u);
  EXPECT_EQ((*described)["FileSystems"][0]["FileSystemId"], (*created)["FileSystemId"]);
}

TEST_F(AwsClient, S3OverRestXmlSignsThePayload) {
  Client s3 = client();
  auto bucket = s3.rest_xml(aws::kS3, "CreateBucket", "PUT", "/client-test-bucket");
  ASSERT_TRUE(bucket) << bucket.error().message;
  const std::string object = std::string("dump \0 bytes\n", 13) + "-- end";
  auto put = s3.rest_xml(aws::kS3, "PutObject", "PUT", "/client-test-bucket/a%20b/dump.sql", {},
                         {{"Content-Type", "application/octet-stream"}}, object);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_FALSE(put->headers["etag"].empty());
  moto_->check_signatures(false);  // moto cannot verify REST GETs (see moto_server.h)
  auto got = s3.rest_xml(aws::kS3, "GetObject", "GET", "/client-test-bucket/a%20b/dump.sql");
  auto listed = s3.rest_xml(aws::kS3, "ListObjectsV2", "GET", "/client-test-bucket",
                            {{"list-type", "2"}, {"prefix", "a b/"}});
  moto_->check_signatures(true);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body, object);  // not XML: the bytes as stored
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_STREQ(listed->xml.select_node("//Contents/Key").node().text().get(), "a b/dump.sql");
}

TEST_F(AwsClient, WrongSecretKeyIsAClearError) {
  aws::Credentials wrong = credentials_;
  wrong.secret_access_key = "not-the-secret";
  Client sts(moto_->client_config(wrong), kQuickRetry);
  auto identity = aws::get_caller_identity(sts);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error().code, "SignatureDoesNotMatch");
  EXPECT_NE(identity.error().message.find("the secret access key of the test's IAM user"),
            std::string::npos)
      << identity.error().message;
  EXPECT_EQ(identity.error().message.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(identity.error().attempts, 1);  // not retried

  Client unknown(moto_->client_config({"AKIAUNKNOWN0000000000", "x", ""}), kQuickRetry);
  auto denied = aws::get_caller_identity(unknown);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, "InvalidClientTokenId");
  EXPECT_NE(denied.error().message.find("does not know the access key"), std::string::npos);
}

TEST_F(AwsClient, AssumedRoleCredentialsWork) {
  Client iam = client();
  auto role = iam.query(
      aws::kIam, "CreateRole",
      {{"RoleName", "deployer"},
       {"AssumeRolePolicyDocument",
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
        R"("Principal":{"AWS":"arn:aws:iam::123456789012:user/aws-client-test"},)"
        R"("Action":"sts:AssumeRole"}]})"}});
  ASSERT_TRUE(role) << role.error().message;
  ASSERT_TRUE(iam.query(aws::kIam, "PutRolePolicy",
                        {{"RoleName", "deployer"},
                         {"PolicyName", "everything"},
                         {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[)"
                                            R"({"Effect":"Allow","Action":"*","Resource":"*"}]})"}}));

  // Through the standard sources, as a user would configure it.
  aws::Environment env;
  env.vars = {{"AWS_ACCESS_KEY_ID", credentials_.access_key_id},
              {"AWS_SECRET_ACCESS_KEY", credentials_.secret_access_key},
              {"AWS_REGION", "eu-west-1"},
              {"AWS_ENDPOINT_URL", moto_->endpoint()},
              {"HOME", "/nonexistent"}};
  aws::ConnectOptions options;
  options.role_arn = text(*role, "//Role/Arn");
  options.role_session_name = "aws-client-test";
  auto assumed = aws::connect(options, env, kQuickRetry);
  ASSERT_TRUE(assumed) << assumed.error().message;
  EXPECT_FALSE(assumed->config().credentials.session_token.empty());
  auto identity = aws::get_caller_identity(*assumed);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->arn,
            "arn:aws:sts::123456789012:assumed-role/deployer/aws-client-test");
  // The temporary credentials sign JSON calls too (with X-Amz-Security-Token).
  auto listed = assumed->json(aws::kSecretsManager, "ListSecrets", nullptr);
  EXPECT_TRUE(listed) << listed.error().message;
}

TEST_F(AwsClient, ThrottlingIsRetriedUntilItStops) {
  AwsProxy proxy(moto_->endpoint(), credentials_);
  proxy.throttle(2);
  aws::ClientConfig config = moto_->client_config(credentials_);
  config.endpoint_url = proxy.endpoint();
  Client sts(config, kQuickRetry);
  auto identity = aws::get_caller_identity(sts);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->account, "123456789012");
  EXPECT_EQ(proxy.requests(), 3);
}

TEST_F(AwsClient, ThrottlingThatNeverStopsIsAClearError) {
  AwsProxy proxy(moto_->endpoint(), credentials_);
  proxy.throttle(1000);
  aws::ClientConfig config = moto_->client_config(credentials_);
  config.service_endpoints["SECRETS_MANAGER"] = proxy.endpoint();
  Client secrets(config, kQuickRetry);
  auto listed = secrets.json(aws::kSecretsManager, "ListSecrets", nullptr);
  ASSERT_FALSE(listed);
  EXPECT_EQ(proxy.requests(), kQuickRetry.max_attempts);
  EXPECT_EQ(listed.error().attempts, kQuickRetry.max_attempts);
  EXPECT_EQ(listed.error().code, "ThrottlingException");
  EXPECT_NE(listed.error().message.find("still throttling after 4 attempts"), std::string::npos)
      << listed.error().message;
}

TEST_F(AwsClient, UnreachableEndpointNamesTheUrl) {
  aws::ClientConfig config = moto_->client_config(credentials_);
  config.endpoint_url = "http://127.0.0.1:" + std::to_string(free_port());
  Client sts(config, kQuickRetry);
  auto identity = aws::get_caller_identity(sts);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error().http_status, 0);
  EXPECT_NE(identity.error().message.find("STS GetCallerIdentity: cannot reach " +
                                          config.endpoint_url + "/ after 4 attempts"),
            std::string::npos)
      << identity.error().message;
}

}  // namespace
}  // namespace wpfleet::testing
