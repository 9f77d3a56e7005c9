#include <gtest/gtest.h>

#include "aws/s3.h"

namespace wpfleet::aws {
namespace {

ClientConfig config_at(const std::string& endpoint) {
  ClientConfig config;
  config.credentials = {"AKID", "SECRET", ""};
  config.region = "eu-west-1";
  config.endpoint_url = endpoint;
  return config;
}

// The URL goes where the client's own S3 calls go: the endpoint (with its path), the
// bucket, the key encoded as S3 signs it; the scope names the client's region.
TEST(S3Presign, UrlIsPathStyleAtTheClientsEndpointInItsRegion) {
  Client client(config_at("http://127.0.0.1:4566/prefix/"));
  S3 s3(client);
  auto url = s3.presigned_url("PUT", "transfer", "dev/a b/dump.sql", std::chrono::minutes(15));
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->rfind("http://127.0.0.1:4566/prefix/transfer/dev/a%20b/"
                       "dump.sql?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F",
                       0),
            0u)
      << *url;
  EXPECT_NE(url->find("%2Feu-west-1%2Fs3%2Faws4_request&"), std::string::npos) << *url;
  EXPECT_NE(url->find("&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature="),
            std::string::npos)
      << *url;
}

TEST(S3Presign, ExpiryBeyondSevenDaysOrNoneIsRefused) {
  Client client(config_at("http://127.0.0.1:4566"));
  S3 s3(client);
  EXPECT_TRUE(s3.presigned_url("GET", "b", "k", std::chrono::hours(24 * 7)).ok());
  auto too_long =
      s3.presigned_url("GET", "b", "k", std::chrono::hours(24 * 7) + std::chrono::seconds(1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("7 days"), std::string::npos) << too_long.error().message;
  EXPECT_FALSE(s3.presigned_url("GET", "b", "k", std::chrono::seconds(0)).ok());
}

}  // namespace
}  // namespace wpfleet::aws
