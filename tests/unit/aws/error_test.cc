#include "aws/error.h"

#include <gtest/gtest.h>

namespace wpfleet::aws {
namespace {

const CallContext kContext{kSecretsManager, "GetSecretValue", "http://127.0.0.1:5000/",
                           "profile 'sit' of ~/.aws/credentials / ~/.aws/config"};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(AwsError, JsonErrorWithNamespacedType) {
  HttpReply reply{400,
                  R"({"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException",)"
                  R"("message":"Secrets Manager can't find the specified secret."})",
                  {{"x-amzn-requestid", "req-1"}}};
  const ApiError error = error_from_reply(kContext, reply, 1);
  EXPECT_EQ(error.code, "ResourceNotFoundException");
  EXPECT_EQ(error.aws_message, "Secrets Manager can't find the specified secret.");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.request_id, "req-1");
  EXPECT_EQ(error.message,
            "Secrets Manager GetSecretValue failed: ResourceNotFoundException: Secrets Manager "
            "can't find the specified secret. (HTTP 400, request id req-1)");
  EXPECT_FALSE(is_retryable(error));
}

TEST(AwsError, XmlErrorAsQueryServicesAndMotoSendIt) {
  HttpReply reply{403,
                  "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                  "<Message>User is not authorized</Message></Error>"
                  "<RequestId>req-2</RequestId></ErrorResponse>",
                  {}};
  const ApiError error = error_from_reply(kContext, reply, 1);
  EXPECT_EQ(error.code, "AccessDenied");
  EXPECT_EQ(error.request_id, "req-2");
  EXPECT_TRUE(contains(error.message, "not allowed secretsmanager:GetSecretValue"));
  EXPECT_TRUE(contains(error.message, "profile 'sit'"));
}

TEST(AwsError, RestErrorTypeHeader) {
  HttpReply reply{404, "", {{"x-amzn-errortype", "FileSystemNotFound:http://internal/"}}};
  EXPECT_EQ(error_from_reply(kContext, reply, 1).code, "FileSystemNotFound");
}

TEST(AwsError, AdviceForCredentialProblems) {
  const auto message_for = [](const std::string& code) {
    return error_from_reply(kContext, {400, R"({"__type":")" + code + R"("})", {}}, 1).message;
  };
  EXPECT_TRUE(contains(message_for("ExpiredTokenException"), "have expired"));
  EXPECT_TRUE(contains(message_for("UnrecognizedClientException"),
                       "does not know the access key of profile 'sit'"));
  EXPECT_TRUE(contains(message_for("UnrecognizedClientException"), "http://127.0.0.1:5000/"));
  EXPECT_TRUE(contains(message_for("SignatureDoesNotMatch"), "secret access key"));
}

TEST(AwsError, ThrottlingAndServerErrorsAreRetryable) {
  for (const char* code : {"Throttling", "ThrottlingException", "TooManyRequestsException",
                           "RequestLimitExceeded"}) {
    EXPECT_TRUE(is_retryable(error_from_reply(kContext, {400, std::string(R"({"__type":")") +
                                                                  code + R"("})", {}}, 1)))
        << code;
  }
  EXPECT_TRUE(is_retryable(error_from_reply(kContext, {429, "", {}}, 1)));
  const ApiError failed = error_from_reply(kContext, {503, "", {}}, 5);
  EXPECT_TRUE(is_retryable(failed));
  EXPECT_TRUE(contains(failed.message, "failed 5 times"));
  const ApiError unreachable = unreachable_error(kContext, "Connection refused", 3);
  EXPECT_TRUE(is_retryable(unreachable));
  EXPECT_TRUE(contains(unreachable.message, "cannot reach http://127.0.0.1:5000/ after 3"));
  EXPECT_TRUE(contains(unreachable.message, "AWS_ENDPOINT_URL_SECRETS_MANAGER"));
}

TEST(AwsError, TryPassesTheUserMessageToAPlainResult) {
  const auto call = []() -> Result<int> {
    ApiResult<int> failed = unreachable_error(kContext, "timeout", 1);
    TRY_ASSIGN(const int value, std::move(failed));
    return value;
  };
  const Result<int> result = call();
  ASSERT_FALSE(result);
  EXPECT_TRUE(contains(result.error().message, "cannot reach"));
}

}  // namespace
}  // namespace wpfleet::aws
