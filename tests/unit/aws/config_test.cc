#include "aws/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace wpfleet::aws {
namespace {

namespace fs = std::filesystem;

// A HOME with ~/.aws/credentials and ~/.aws/config as given.
class AwsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-aws-config-XXXXXX";
    home_ = mkdtemp(pattern);
    fs::create_directories(home_ / ".aws");
    env_.vars["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(home_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(home_ / ".aws" / name) << text;
  }

  fs::path home_;
  Environment env_;
};

ConnectOptions with(std::optional<std::string> profile, std::optional<std::string> region = {},
                    std::optional<std::string> role_arn = {}) {
  ConnectOptions options;
  options.profile = std::move(profile);
  options.region = std::move(region);
  options.role_arn = std::move(role_arn);
  return options;
}

constexpr const char* kCredentials = R"([default]
aws_access_key_id = AKDEFAULT
aws_secret_access_key = default-secret

[sit]
aws_access_key_id=AKSIT
aws_secret_access_key=sit-secret
aws_session_token = sit-token
)";

constexpr const char* kConfig = R"(# comment
[default]
region = eu-west-1

[profile sit]
region = af-south-1
endpoint_url = http://127.0.0.1:5000
s3 =
  max_concurrent_requests = 20

[profile deploy]
role_arn = arn:aws:iam::111122223333:role/deploy
source_profile = sit
)";

TEST_F(AwsConfig, EnvironmentKeysWinOverTheDefaultProfile) {
  write("credentials", kCredentials);
  write("config", kConfig);
  env_.vars["AWS_ACCESS_KEY_ID"] = "AKENV";
  env_.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  env_.vars["AWS_SESSION_TOKEN"] = "env-token";
  env_.vars["AWS_REGION"] = "us-west-2";
  auto resolved = resolve_config({}, env_);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->config.credentials.access_key_id, "AKENV");
  EXPECT_EQ(resolved->config.credentials.session_token, "env-token");
  EXPECT_EQ(resolved->config.region, "us-west-2");
  EXPECT_EQ(resolved->config.credentials_source, "the environment (AWS_ACCESS_KEY_ID)");
}

TEST_F(AwsConfig, NamedProfileReadsBothFilesAndIgnoresNestedSections) {
  write("credentials", kCredentials);
  write("config", kConfig);
  env_.vars["AWS_ACCESS_KEY_ID"] = "AKENV";  // an explicit profile wins over these
  env_.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  auto resolved = resolve_config(with("sit"), env_);
  ASSERT_TRUE(resolved) << resolved.error().message;
  const ClientConfig& config = resolved->config;
  EXPECT_EQ(config.credentials.access_key_id, "AKSIT");
  EXPECT_EQ(config.credentials.secret_access_key, "sit-secret");
  EXPECT_EQ(config.credentials.session_token, "sit-token");
  EXPECT_EQ(config.region, "af-south-1");
  EXPECT_EQ(config.endpoint_url, "http://127.0.0.1:5000");
  EXPECT_EQ(config.credentials_source, "profile 'sit' of ~/.aws/credentials / ~/.aws/config");
  EXPECT_FALSE(resolved->role_arn);
}

TEST_F(AwsConfig, AwsProfileAndRegionPrecedence) {
  write("credentials", kCredentials);
  write("config", kConfig);
  env_.vars["AWS_PROFILE"] = "sit";
  env_.vars["AWS_DEFAULT_REGION"] = "ca-central-1";
  auto resolved = resolve_config({}, env_);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->config.credentials.access_key_id, "AKSIT");
  EXPECT_EQ(resolved->config.region, "ca-central-1");  // AWS_DEFAULT_REGION over the profile
  env_.vars["AWS_REGION"] = "eu-north-1";
  EXPECT_EQ(resolve_config({}, env_)->config.region, "eu-north-1");
  EXPECT_EQ(resolve_config(with({}, "eu-west-3"), env_)->config.region, "eu-west-3");
}

TEST_F(AwsConfig, RoleProfileSignsWithItsSourceProfile) {
  write("credentials", kCredentials);
  write("config", kConfig);
  auto resolved = resolve_config(with("deploy", "eu-west-1"), env_);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->config.credentials.access_key_id, "AKSIT");
  EXPECT_EQ(resolved->role_arn, "arn:aws:iam::111122223333:role/deploy");
  auto explicit_role = resolve_config(
      with("sit", {}, "arn:aws:iam::1:role/other"), env_);
  EXPECT_EQ(explicit_role->role_arn, "arn:aws:iam::1:role/other");
}

TEST_F(AwsConfig, FilesNamedByTheEnvironment) {
  std::ofstream(home_ / "creds") << "[x]\naws_access_key_id=AKX\naws_secret_access_key=sx\n";
  std::ofstream(home_ / "conf") << "[profile x]\nregion=sa-east-1\n";
  env_.vars["AWS_SHARED_CREDENTIALS_FILE"] = (home_ / "creds").string();
  env_.vars["AWS_CONFIG_FILE"] = (home_ / "conf").string();
  auto resolved = resolve_config(with("x"), env_);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->config.credentials.access_key_id, "AKX");
  EXPECT_EQ(resolved->config.region, "sa-east-1");
}

TEST_F(AwsConfig, ErrorsSayWhatToDoAndNeverShowSecrets) {
  auto none = resolve_config(with({}, "eu-west-1"), env_);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
            std::string::npos);

  write("credentials", kCredentials);
  auto missing = resolve_config(with("prod"), env_);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no AWS profile 'prod'"), std::string::npos);

  write("config", "[profile keyless]\nregion = eu-west-1\n");
  auto keyless = resolve_config(with("keyless"), env_);
  ASSERT_FALSE(keyless);
  EXPECT_NE(keyless.error().message.find("has no aws_access_key_id"), std::string::npos);

  auto no_region = resolve_config(with("sit"), env_);
  ASSERT_FALSE(no_region);
  EXPECT_NE(no_region.error().message.find("no AWS region"), std::string::npos);
  for (const auto* result : {&none, &missing, &keyless, &no_region}) {
    EXPECT_EQ(result->error().message.find("-secret"), std::string::npos);  // the values
  }
}

TEST(AwsEnvironment, CurrentReadsTheProcessEnvironment) {
  setenv("WPFLEET_AWS_TEST_VARIABLE", "a=b", 1);
  setenv("WPFLEET_AWS_TEST_EMPTY", "", 1);
  const Environment env = Environment::current();
  EXPECT_EQ(env.get("WPFLEET_AWS_TEST_VARIABLE"), "a=b");
  EXPECT_FALSE(env.get("WPFLEET_AWS_TEST_EMPTY"));
  EXPECT_FALSE(env.get("WPFLEET_AWS_TEST_UNSET"));
  unsetenv("WPFLEET_AWS_TEST_VARIABLE");
  unsetenv("WPFLEET_AWS_TEST_EMPTY");
}

TEST_F(AwsConfig, EndpointsFollowTheSdkNaming) {
  env_.vars["AWS_ACCESS_KEY_ID"] = "AK";
  env_.vars["AWS_SECRET_ACCESS_KEY"] = "SK";
  env_.vars["AWS_REGION"] = "eu-west-1";
  const ClientConfig aws = resolve_config({}, env_)->config;
  EXPECT_EQ(endpoint_for(aws, kSecretsManager), "https://secretsmanager.eu-west-1.amazonaws.com");
  EXPECT_EQ(endpoint_for(aws, kIam), "https://iam.amazonaws.com");
  EXPECT_EQ(signing_region(aws, kIam), "us-east-1");
  EXPECT_EQ(signing_region(aws, kEcs), "eu-west-1");

  env_.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
  env_.vars["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://127.0.0.1:5001";
  env_.vars["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"] = "http://127.0.0.1:5002";
  env_.vars["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] = "http://127.0.0.1:5003";
  const ClientConfig local = resolve_config({}, env_)->config;
  EXPECT_EQ(endpoint_for(local, kSecretsManager), "http://127.0.0.1:5001");
  EXPECT_EQ(endpoint_for(local, kElbV2), "http://127.0.0.1:5002");
  EXPECT_EQ(endpoint_for(local, kLogs), "http://127.0.0.1:5003");
  for (const Service* service : {&kSts, &kIam, &kRds, &kEcs, &kEfs}) {
    EXPECT_EQ(endpoint_for(local, *service), "http://127.0.0.1:4566") << service->id;
  }
}

}  // namespace
}  // namespace wpfleet::aws
