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

// AWS's own example of a presigned URL ("Authenticating Requests: Using Query
// Parameters" in the S3 API reference): GET examplebucket/test.txt for a day.
TEST(Sigv4, PresignedUrlMatchesAwsDocumentedExample) {
  const SignableRequest request{
      "GET", "/test.txt", "", {{"Host", "examplebucket.s3.amazonaws.com"}}, ""};
  SigningScope scope{"us-east-1", "s3", parse_time("2013-05-24T00:00:00Z")};
  scope.normalize_path = scope.encode_path_again = false;
  const Credentials credentials{"AKIAIOSFODNN7EXAMPLE",
                                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  const Signature presigned = presign(request, credentials, scope, std::chrono::seconds(86400));
  EXPECT_EQ(presigned.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\n"
            "UNSIGNED-PAYLOAD");
  EXPECT_EQ(presigned.signature,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(presigned.query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_TRUE(presigned.headers.empty());
}

// Temporary credentials: the token is a signed query parameter, so a changed token
// breaks the signature; the request's own query is signed too.
TEST(Sigv4, PresignedUrlSignsTheSessionTokenAndTheRequestsQuery) {
  const SignableRequest request{"GET", "/b/k", "versionId=3", {{"Host", "s3.amazonaws.com"}}, ""};
  SigningScope scope{"eu-west-1", "s3", parse_time("2024-01-02T03:04:05Z")};
  const Signature with_token =
      presign(request, {"AK", "SK", "TO/KEN"}, scope, std::chrono::seconds(60));
  EXPECT_NE(with_token.query.find("&X-Amz-Security-Token=TO%2FKEN&X-Amz-Signature="),
            std::string::npos);
  EXPECT_EQ(with_token.query.rfind("versionId=3&X-Amz-Algorithm=", 0), 0u);
  EXPECT_NE(with_token.canonical_request.find("X-Amz-Security-Token=TO%2FKEN"), std::string::npos);
  EXPECT_NE(presign(request, {"AK", "SK", "OTHER"}, scope, std::chrono::seconds(60)).signature,
            with_token.signature);
}

TEST(Sigv4, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(uri_encode("a b/c~d+e=é"), "a%20b%2Fc~d%2Be%3D%C3%A9");
  EXPECT_EQ(uri_encode("/a b/", true), "/a%20b/");
}

}  // namespace
}  // namespace wpfleet::aws
