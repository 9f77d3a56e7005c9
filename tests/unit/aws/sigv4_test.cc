#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace wpfleet::aws {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// request.txt: "METHOD TARGET HTTP/1.1", header lines (a line starting with whitespace
// continues the previous value), a blank line, the body.
SignableRequest parse_request(const std::string& text) {
  SignableRequest request;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  request.method = line.substr(0, line.find(' '));
  const std::string target =
      line.substr(line.find(' ') + 1, line.rfind(" HTTP/") - line.find(' ') - 1);
  request.path = target.substr(0, target.find('?'));
  if (target.find('?') != std::string::npos) request.query = target.substr(target.find('?') + 1);
  while (std::getline(in, line) && !line.empty()) {
    if (line[0] == ' ' || line[0] == '\t') {
      request.headers.back().second += "\n" + line;
    } else {
      request.headers.emplace_back(line.substr(0, line.find(':')), line.substr(line.find(':') + 1));
    }
  }
  std::stringstream rest;
  rest << in.rdbuf();
  request.body = rest.str();
  return request;
}

std::chrono::system_clock::time_point parse_time(const std::string& iso) {
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string authorization_line(const std::string& signed_request) {
  std::istringstream in(signed_request);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Authorization:", 0) == 0) return line.substr(14);
  }
  return "";
}

TEST(Sigv4Suite, EveryOfficialCaseMatchesByteForByte) {
  const fs::path suite = AWS_SIGV4_TEST_SUITE_DIR;
  if (!fs::is_directory(suite)) {
    GTEST_SKIP() << "the AWS SigV4 test suite is not at " << suite
                 << ": put the vectors there to run this test";
  }
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(suite)) {
    const fs::path dir = entry.path();
    if (!fs::exists(dir / "request.txt")) continue;
    SCOPED_TRACE(dir.filename().string());
    const auto context = nlohmann::json::parse(read(dir / "context.json"));
    Credentials credentials{context["credentials"]["access_key_id"],
                            context["credentials"]["secret_access_key"],
                            context["credentials"].value("token", "")};
    SigningScope scope{context["region"], context["service"], parse_time(context["timestamp"])};
    scope.normalize_path = context["normalize"];
    scope.sign_body = context["sign_body"];
    scope.sign_session_token = !context.value("omit_session_token", false);

    const Signature signature = sign(parse_request(read(dir / "request.txt")), credentials, scope);
    EXPECT_EQ(signature.canonical_request, read(dir / "header-canonical-request.txt"));
    EXPECT_EQ(signature.string_to_sign, read(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(signature.signature, read(dir / "header-signature.txt"));
    std::string authorization;
    for (const auto& [name, value] : signature.headers) {
      if (name == "Authorization") authorization = value;
    }
    EXPECT_EQ(authorization, authorization_line(read(dir / "header-signed-request.txt")));
    ++cases;
  }
  std::cout << "[ SigV4    ] " << cases << " official cases checked\n";
  EXPECT_GE(cases, 1) << "no case directories found in " << suite;
}

TEST(Sigv4, SessionTokenIsSignedUnlessAskedOtherwise) {
  SignableRequest request{"POST", "/", "", {{"Host", "sts.amazonaws.com"}}, "Action=X"};
  SigningScope scope{"us-east-1", "sts", std::chrono::system_clock::from_time_t(0)};
  const auto signed_token = sign(request, {"AK", "SK", "TOKEN"}, scope);
  EXPECT_NE(signed_token.canonical_request.find("x-amz-security-token:TOKEN"), std::string::npos);
  scope.sign_session_token = false;
  const auto unsigned_token = sign(request, {"AK", "SK", "TOKEN"}, scope);
  EXPECT_EQ(unsigned_token.canonical_request.find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(unsigned_token.headers.back(), (Header{"X-Amz-Security-Token", "TOKEN"}));
}

TEST(Sigv4, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(uri_encode("a b/c~d+e=é"), "a%20b%2Fc~d%2Be%3D%C3%A9");
  EXPECT_EQ(uri_encode("/a b/", true), "/a%20b/");
}

}  // namespace
}  // namespace wpfleet::aws
