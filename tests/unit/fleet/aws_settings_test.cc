// The [environments.<name>.aws] table: defaults from the user's naming convention, its
// checks, and that it belongs to the aws backend alone.
#include <gtest/gtest.h>

#include "fleet/parse.h"

namespace wpfleet {
namespace {

const std::string kSit = R"([environments.sit]
backend = "aws"
domain = "{tenant}.wpsit.kimmyai.io"
[environments.sit.aws]
region = "eu-west-1"
account_id = "815856636111"
subnets = ["subnet-09d1d2de85ae02264", "subnet-00e96b70ba19dffc5"]
security_groups = ["sg-01bca1fb9806ad397"]
)";

std::string error_of(const std::string& text) {
  Result<Fleet> fleet = parse_fleet(text, "fleet.toml");
  return fleet.ok() ? "" : fleet.error().message;
}

// An aws environment's tenants run its container image; core is the local backend's.
TEST(AwsSettingsTest, CoreIsRefusedPointingAtTheImage) {
  std::string text = kSit;
  text.insert(text.find("[environments.sit.aws]"), "core = \"6.8.3\"\n");
  const std::string error = error_of(text);
  EXPECT_NE(error.find("fleet.toml:4:8: core is read by the local backend only"), std::string::npos)
      << error;
  EXPECT_NE(error.find("image = \"wordpress:6.8.3\""), std::string::npos) << error;
}

TEST(AwsSettingsTest, UnsetNamesFollowTheUsersConvention) {
  Result<Fleet> fleet = parse_fleet(kSit, "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Environment& sit = fleet->environments.at("sit");
  ASSERT_TRUE(sit.aws.has_value());
  const AwsSettings& aws = *sit.aws;
  EXPECT_EQ(aws.region, "eu-west-1");
  EXPECT_EQ(aws.account_id, "815856636111");
  EXPECT_EQ(aws.subnets.size(), 2u);
  EXPECT_EQ(aws.cluster, "sit-cluster");
  EXPECT_EQ(aws.alb, "sit-alb");
  EXPECT_EQ(aws.rds_instance, "sit-mysql");
  EXPECT_EQ(aws.master_secret, "sit-rds-master-credentials");
  EXPECT_EQ(aws.efs, "sit-efs");
  EXPECT_EQ(aws.execution_role, "sit-ecs-task-execution-role");
  EXPECT_EQ(aws.log_group, "/ecs/sit");
  EXPECT_EQ(aws.db_init_task_definition, "sit-generic-db-init");
  EXPECT_EQ(aws.transfer_bucket, "sit-wpfleet-transfer");
  EXPECT_EQ(aws.image, "wordpress:latest");
  EXPECT_EQ(aws.cpu, 256);
  EXPECT_EQ(aws.memory, 512);
  EXPECT_EQ(aws.listener_port, 80);
  EXPECT_EQ(aws.db_access, AwsSettings::DbAccess::Task);
  EXPECT_FALSE(aws.profile.has_value());
}

TEST(AwsSettingsTest, PatternsAndOptionsAreRead) {
  Result<Fleet> fleet = parse_fleet(kSit + R"(profile = "Tebogo-sit"
role_arn = "arn:aws:iam::815856636111:role/wpfleet"
cluster = "{env}-wordpress"
transfer_bucket = "{env}-wpfleet-transfer-815856636111"
cpu = 512
memory = 2048
db_access = "direct"
db_host = "127.0.0.1"
db_port = 13306
)",
                                    "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const AwsSettings& aws = *fleet->environments.at("sit").aws;
  EXPECT_EQ(aws.profile, "Tebogo-sit");
  EXPECT_EQ(aws.role_arn, "arn:aws:iam::815856636111:role/wpfleet");
  EXPECT_EQ(aws.cluster, "sit-wordpress");
  EXPECT_EQ(aws.transfer_bucket, "sit-wpfleet-transfer-815856636111");
  EXPECT_EQ(aws.db_access, AwsSettings::DbAccess::Direct);
  EXPECT_EQ(aws.db_host, "127.0.0.1");
  EXPECT_EQ(aws.db_port, 13306);
}

TEST(AwsSettingsTest, ListenIsNotNeededOnAws) {
  EXPECT_EQ(error_of(kSit), "");
}

TEST(AwsSettingsTest, BadValuesNameTheKeyAndTheFix) {
  const std::string text = R"([environments.sit]
backend = "aws"
domain = "{tenant}.wpsit.kimmyai.io"
[environments.sit.aws]
region = "Ireland"
account_id = "8158"
subnets = ["subnet-zz"]
security_groups = []
cpu = 256
memory = 4096
db_access = "tunnel"
db_host = "127.0.0.1"
transfer_bucket = "{env}.transfers"
)";
  const std::string error = error_of(text);
  EXPECT_NE(error.find("fleet.toml:5:10: 'region' = \"Ireland\" is not a region"), std::string::npos)
      << error;
  EXPECT_NE(error.find("fleet.toml:6:14: 'account_id' = \"8158\" is not the 12 digits"),
            std::string::npos);
  EXPECT_NE(error.find("fleet.toml:7:12: 'subnet-zz' is not an id of subnets"), std::string::npos);
  EXPECT_NE(error.find("'security_groups' is empty"), std::string::npos);
  EXPECT_NE(error.find("Fargate does not run cpu = 256 with memory = 4096"), std::string::npos);
  EXPECT_NE(error.find("db_access 'tunnel' is not known"), std::string::npos);
  EXPECT_NE(error.find("'db_host' is only used with db_access = \"direct\""), std::string::npos);
  EXPECT_NE(error.find("'transfer_bucket' = \"sit.transfers\" is not an S3 bucket name"),
            std::string::npos) << error;
}

TEST(AwsSettingsTest, DirectFilesAccessNamesWhereTheEfsIsMounted) {
  Result<Fleet> fleet = parse_fleet(kSit + R"(files_access = "direct"
efs_mount = "/mnt/sit-efs"
)",
                                    "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const AwsSettings& aws = *fleet->environments.at("sit").aws;
  EXPECT_EQ(aws.files_access, AwsSettings::FilesAccess::Direct);
  EXPECT_EQ(aws.efs_mount, "/mnt/sit-efs");
  // Unset, files go through tasks and no mount is named.
  Result<Fleet> plain = parse_fleet(kSit, "fleet.toml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->environments.at("sit").aws->files_access, AwsSettings::FilesAccess::Task);
  EXPECT_FALSE(plain->environments.at("sit").aws->efs_mount.has_value());
}

TEST(AwsSettingsTest, BadFilesAccessNamesThePlaceAndTheFix) {
  // kSit's table ends on line 8.
  std::string error = error_of(kSit + "files_access = \"nfs\"\n");
  EXPECT_NE(error.find("fleet.toml:9:16: files_access 'nfs' is not known; use \"task\""),
            std::string::npos)
      << error;
  error = error_of(kSit + "files_access = \"direct\"\n");
  EXPECT_NE(error.find("fleet.toml:9:16: files_access = \"direct\" needs efs_mount"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("efs_mount = \"/mnt/sit-efs\""), std::string::npos) << error;
  error = error_of(kSit + "files_access = \"direct\"\nefs_mount = \"mnt/efs\"\n");
  EXPECT_NE(error.find("fleet.toml:10:13: efs_mount = \"mnt/efs\" is not an absolute path"),
            std::string::npos)
      << error;
  error = error_of(kSit + "efs_mount = \"/mnt/sit-efs\"\n");
  EXPECT_NE(error.find("fleet.toml:9:13: 'efs_mount' is only used with files_access = \"direct\""),
            std::string::npos)
      << error;
}

TEST(AwsSettingsTest, MissingRequiredKeysAreNamed) {
  const std::string error = error_of(R"([environments.sit]
backend = "aws"
domain = "{tenant}.wpsit.kimmyai.io"
[environments.sit.aws]
region = "eu-west-1"
)");
  EXPECT_NE(error.find("missing required key 'account_id'"), std::string::npos) << error;
  EXPECT_NE(error.find("missing required key 'subnets'"), std::string::npos);
  EXPECT_NE(error.find("missing required key 'security_groups'"), std::string::npos);
}

TEST(AwsSettingsTest, TheTableBelongsToTheAwsBackend) {
  EXPECT_NE(error_of(R"([environments.sit]
backend = "aws"
domain = "{tenant}.wpsit.kimmyai.io"
)")
                .find("has backend = \"aws\" but no [environments.sit.aws] table"),
            std::string::npos);
  EXPECT_NE(error_of(R"([environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8080"
[environments.dev.aws]
region = "eu-west-1"
)")
                .find("[environments.dev.aws] is only read when backend = \"aws\""),
            std::string::npos);
}

// The user's three environments on their own accounts, with the guide's names.
TEST(AwsSettingsTest, TheAwsExampleDescribesDevSitAndProd) {
  Result<Fleet> fleet =
      load_fleet_file(std::string(WPFLEET_SOURCE_DIR) + "/examples/bbws-aws.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const AwsSettings& dev = *fleet->environments.at("dev").aws;
  const AwsSettings& sit = *fleet->environments.at("sit").aws;
  const AwsSettings& prod = *fleet->environments.at("prod").aws;
  EXPECT_EQ(dev.account_id, "536580886816");
  EXPECT_EQ(sit.account_id, "815856636111");
  EXPECT_EQ(prod.account_id, "093646564004");
  EXPECT_EQ(prod.region, "af-south-1");
  EXPECT_EQ(sit.profile, "Tebogo-sit");
  EXPECT_EQ(sit.subnets,
            (std::vector<std::string>{"subnet-09d1d2de85ae02264", "subnet-00e96b70ba19dffc5"}));
  EXPECT_EQ(sit.cluster, "sit-cluster");
  EXPECT_EQ(prod.cluster, "prod-cluster");
  EXPECT_TRUE(fleet->environments.at("prod").production);
  EXPECT_EQ(placements(*fleet, {"sit"}).size(), 13u);
  EXPECT_EQ(placements(*fleet, {"prod"}).size(), 1u);
}

// The listener rule, CloudFront's aliases and certificate know the environment's pattern only.
TEST(AwsSettingsTest, OwnDomainsAndRedirectedAliasesAreNotBuiltYet) {
  const std::string tenant = R"([[tenants]]
id = "goldencrust"
title = "Golden Crust"
admin_email = "owner@goldencrust.example"
environments = ["sit"]
)";
  std::string error = error_of(kSit + tenant + "domains = { sit = \"goldencrust.co.za\" }\n");
  EXPECT_NE(error.find("fleet.toml:14:19: a tenant's own domain on the aws backend ('sit') is "
                       "not built yet"),
            std::string::npos)
      << error;
  error = error_of(kSit + tenant + "aliases = [{ host = \"goldencrust.co.za\", redirect = true }]\n");
  EXPECT_NE(error.find("fleet.toml:14:21: alias 'goldencrust.co.za' in 'sit': redirected aliases "
                       "are not built on the aws backend yet; drop redirect = true"),
            std::string::npos)
      << error;
  EXPECT_EQ(error_of(kSit + tenant + "aliases = [\"www.goldencrust.co.za\"]\n"), "");
}

}  // namespace
}  // namespace wpfleet
