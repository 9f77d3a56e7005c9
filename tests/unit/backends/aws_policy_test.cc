#include <gtest/gtest.h>

#include "backends/aws/secret_policy.h"

namespace wpfleet::aws_backend {
namespace {

const std::string kArn =
    "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-goldencrust-db-credentials-AbC123";
const std::string kPattern = secret_arn_pattern("eu-west-1", "815856636111",
                                                "sit-goldencrust-db-credentials");

// What the user's create_iam_policy.sh puts (the seed's guide, step 3).
std::string users_policy(const std::string& arn) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
         R"("Action":["secretsmanager:GetSecretValue"],"Resource":[")" +
         arn + R"(",")" + arn + R"(*"]}]})";
}

TEST(SecretPolicy, PartitionFollowsTheRegion) {
  EXPECT_EQ(arn_partition("eu-west-1"), "aws");
  EXPECT_EQ(arn_partition("af-south-1"), "aws");
  EXPECT_EQ(arn_partition("cn-north-1"), "aws-cn");
  EXPECT_EQ(arn_partition("us-gov-west-1"), "aws-us-gov");
  EXPECT_EQ(secret_arn_pattern("cn-northwest-1", "1", "s"),
            "arn:aws-cn:secretsmanager:cn-northwest-1:1:secret:s-??????");
}

TEST(SecretPolicy, PatternNamesTheSecretWithItsSixCharacterSuffixOnly) {
  EXPECT_EQ(kPattern,
            "arn:aws:secretsmanager:eu-west-1:815856636111:secret:"
            "sit-goldencrust-db-credentials-??????");
  EXPECT_TRUE(iam_wildcard_match(kPattern, kArn));
  // Another suffix length, another tenant, a longer name, another account or region.
  EXPECT_FALSE(iam_wildcard_match(kPattern, kArn + "4"));
  EXPECT_FALSE(iam_wildcard_match(
      kPattern,
      "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-goldencrust2-db-credentials-AbC123"));
  EXPECT_FALSE(iam_wildcard_match(
      kPattern,
      "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-goldencrust-db-credentials-x-AbC123"));
  EXPECT_FALSE(iam_wildcard_match(
      kPattern,
      "arn:aws:secretsmanager:eu-west-1:111111111111:secret:sit-goldencrust-db-credentials-AbC123"));
  EXPECT_FALSE(iam_wildcard_match(
      kPattern,
      "arn:aws:secretsmanager:af-south-1:815856636111:secret:sit-goldencrust-db-credentials-AbC123"));
}

TEST(SecretPolicy, WildcardMatchIsIamGlob) {
  EXPECT_TRUE(iam_wildcard_match("*", ""));
  EXPECT_TRUE(iam_wildcard_match("a*c", "abbbc"));
  EXPECT_TRUE(iam_wildcard_match("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(iam_wildcard_match("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(iam_wildcard_match("a?c", "abc"));
  EXPECT_FALSE(iam_wildcard_match("a?c", "ac"));
  EXPECT_FALSE(iam_wildcard_match("abc", "abcd"));
  EXPECT_FALSE(iam_wildcard_match("", "a"));
}

TEST(SecretPolicy, OwnDocumentAllowsTheSecretBeforeAndAfterItExists) {
  const std::string document = secret_read_policy({kPattern});
  EXPECT_EQ(document,
            R"({"Statement":[{"Action":["secretsmanager:GetSecretValue"],"Effect":"Allow",)"
            R"("Resource":[")" + kPattern + R"("]}],"Version":"2012-10-17"})");
  EXPECT_TRUE(policy_allows_secret_read(document, kPattern));
  EXPECT_TRUE(policy_allows_secret_read(document, kArn));
  EXPECT_FALSE(policy_allows_secret_read(
      document,
      "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-tenant1-db-credentials-AbC123"));
}

TEST(SecretPolicy, UsersDocumentWithTheExactArnIsRecognised) {
  EXPECT_TRUE(policy_allows_secret_read(users_policy(kArn), kArn));
  // Naming a secret that is gone (another suffix) does not reach the one to come.
  const std::string old_arn =
      "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-goldencrust-db-credentials-ZZZ999";
  EXPECT_FALSE(policy_allows_secret_read(users_policy(old_arn), kArn));
  EXPECT_FALSE(policy_allows_secret_read(users_policy(old_arn), kPattern));
  // The user's "<arn>*" form matches the pattern only where the ARN is the pattern's own.
  EXPECT_TRUE(policy_allows_secret_read(users_policy(kPattern), kPattern));
}

TEST(SecretPolicy, UrlEncodedDocumentsAreDecoded) {
  // GetRolePolicy answers with the document URL-encoded (RFC 3986).
  const std::string encoded =
      "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22"
      "%2C%22Action%22%3A%22secretsmanager%3AGetSecretValue%22%2C%22Resource%22%3A%22" +
      kArn + "%22%7D%7D";
  // A '+' is a plus (RFC 3986, not a form's space); a '%' without two hex digits is kept.
  EXPECT_EQ(decode_policy_document("a%20b+c%2Fd%zz%4"), "a b+c/d%zz%4");
  EXPECT_TRUE(policy_allows_secret_read(encoded, kArn));
  EXPECT_EQ(decode_policy_document(R"({"a":"100%25"})"), R"({"a":"100%25"})");
  EXPECT_EQ(decode_policy_document("%7B%7D"), "{}");
}

TEST(SecretPolicy, ActionsMatchCaseInsensitivelyAndWithWildcards) {
  const auto with_action = [](const std::string& action) {
    return R"({"Statement":{"Effect":"Allow","Action":")" + action + R"(","Resource":")" + kArn +
           R"("}})";
  };
  EXPECT_TRUE(policy_allows_secret_read(with_action("SecretsManager:getSecretValue"), kArn));
  EXPECT_TRUE(policy_allows_secret_read(with_action("secretsmanager:*"), kArn));
  EXPECT_TRUE(policy_allows_secret_read(with_action("secretsmanager:Get*"), kArn));
  EXPECT_TRUE(policy_allows_secret_read(with_action("*"), kArn));
  EXPECT_FALSE(policy_allows_secret_read(with_action("secretsmanager:DescribeSecret"), kArn));
  EXPECT_FALSE(policy_allows_secret_read(with_action("s3:GetObject"), kArn));
}

TEST(SecretPolicy, DenyWinsAndNonsenseAllowsNothing) {
  const std::string denied =
      R"({"Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"},)"
      R"({"Effect":"Deny","Action":"secretsmanager:*","Resource":")" +
      kArn + R"("}]})";
  EXPECT_FALSE(policy_allows_secret_read(denied, kArn));
  EXPECT_FALSE(policy_allows_secret_read("not json", kArn));
  EXPECT_FALSE(policy_allows_secret_read("{}", kArn));
  EXPECT_FALSE(policy_allows_secret_read(R"({"Statement":"x"})", kArn));
  EXPECT_FALSE(policy_allows_secret_read(
      R"({"Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue"}]})", kArn));
}

}  // namespace
}  // namespace wpfleet::aws_backend
