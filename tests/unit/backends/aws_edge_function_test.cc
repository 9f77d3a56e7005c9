// The CloudFront Function of aws environments: what wpfleet fills into its template, and
// the function itself run under node (Debian's `nodejs`) against CloudFront-shaped events
// (tests/edge/basic_auth_function_test.js).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backends/aws/edge_function.h"
#include "backends/aws/names.h"
#include "util/crypto.h"
#include "util/process.h"

namespace wpfleet::aws_backend {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = WPFLEET_SOURCE_DIR;

BasicAuthFunctionInput sit_input() {
  return {{credentials_hash("bbws-sit", "current-Pa55word"),
           credentials_hash("bbws-sit", "previous-Pa55word")},
          {"203.0.113.0/24", "198.51.100.7", "2001:db8:abcd::/48"},
          "sit"};
}

TEST(AwsEdgeNames, TheDistributionIsFoundByTheWildcardOfTheDomainSuffix) {
  const EdgeNames names = edge_names("sit", "{tenant}.wpsit.kimmyai.io");
  EXPECT_EQ(names.alias, "*.wpsit.kimmyai.io");
  EXPECT_EQ(names.basic_auth_secret, "sit-basic-auth-password");
  EXPECT_EQ(names.origin_secret, "sit-wpfleet-origin-secret");
  EXPECT_EQ(names.function, "sit-wpfleet-basic-auth");
  // No wildcard covers a domain of another form: the edge says so instead of guessing.
  EXPECT_EQ(edge_names("sit", "{tenant}-sit.kimmyai.io").alias, "");
  EXPECT_EQ(edge_names("sit", "www.{tenant}.example").alias, "");
}

TEST(AwsEdgeFunction, HoldsTheHashesAndRangesButNeverAPassword) {
  auto code = basic_auth_function_code(sit_input());
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_NE(code->find(sha256_hex("bbws-sit:current-Pa55word")), std::string::npos);
  EXPECT_EQ(code->find("current-Pa55word"), std::string::npos);
  EXPECT_NE(code->find("[[203,0,113,0],24],[[198,51,100,7],32],[[32,1,13,184,171,205,0,0,0,0,0,0,0,0,0,0],48]"),
            std::string::npos);
  EXPECT_NE(code->find("const REALM = \"sit\";"), std::string::npos);
  EXPECT_LE(code->size(), kMaxFunctionCodeBytes);
  EXPECT_EQ(code->find("/*@"), std::string::npos);  // every marker filled in
}

TEST(AwsEdgeFunction, ABadRangeIsNamed) {
  auto code = basic_auth_function_code({{}, {"10.0.0.0/33"}, "sit"});
  ASSERT_FALSE(code);
  EXPECT_NE(code.error().message.find("'10.0.0.0/33' in allow"), std::string::npos);
  EXPECT_FALSE(basic_auth_function_code({{}, {"intranet"}, "sit"}));
}

TEST(AwsEdgeFunction, CodeOverCloudFrontsLimitIsRefusedSayingWhy) {
  BasicAuthFunctionInput input = sit_input();
  for (int i = 0; i < 200; ++i) input.allow.push_back("2001:db8:" + std::to_string(1000 + i) + "::/48");
  auto code = basic_auth_function_code(input);
  ASSERT_FALSE(code);
  EXPECT_NE(code.error().message.find("more than CloudFront's 10240"), std::string::npos)
      << code.error().message;
  EXPECT_NE(code.error().message.find("fewer ranges in allow"), std::string::npos);
}

TEST(AwsEdgeFunction, PassesAndRefusesCloudFrontEventsUnderNode) {
  auto code = basic_auth_function_code(sit_input());
  ASSERT_TRUE(code) << code.error().message;
  char pattern[] = "/tmp/wpfleet-edge-function-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  std::ofstream(dir / "function.js") << *code;
  CommandSpec spec;
  spec.argv = {"node", (kSource / "tests/edge/basic_auth_function_test.js").string(),
               (dir / "function.js").string(),
               (kSource / "src/backends/aws/basic_auth_function.js").string()};
  spec.timeout = std::chrono::seconds(60);
  auto ran = run_command(spec);
  fs::remove_all(dir);
  ASSERT_TRUE(ran) << ran.error().message << " (install Debian's nodejs)";
  EXPECT_EQ(ran->exit_code, 0) << ran->out << ran->err;
  EXPECT_NE(ran->out.find("ok   the right password passes"), std::string::npos) << ran->out;
}

}  // namespace
}  // namespace wpfleet::aws_backend
