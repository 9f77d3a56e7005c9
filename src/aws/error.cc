#include "aws/error.h"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <algorithm>
#include <string_view>

namespace wpfleet::aws {

namespace {

bool is_one_of(const std::string& code, std::initializer_list<std::string_view> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool is_throttling(const ApiError& error) {
  return error.http_status == 429 ||
         is_one_of(error.code, {"Throttling", "ThrottlingException", "TooManyRequestsException",
                                "RequestLimitExceeded"});
}

// "com.amazonaws.ecs#ClusterNotFoundException" and "ResourceNotFound:http://..." name
// the code before/after their separators.
std::string bare_code(std::string code) {
  if (const auto hash = code.rfind('#'); hash != std::string::npos) code.erase(0, hash + 1);
  if (const auto colon = code.find(':'); colon != std::string::npos) code.erase(colon);
  return code;
}

void read_json_error(const std::string& body, ApiError& error) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) return;
  for (const char* key : {"__type", "code", "Code"}) {
    if (json.contains(key) && json[key].is_string()) error.code = bare_code(json[key]);
  }
  for (const char* key : {"message", "Message"}) {
    if (json.contains(key) && json[key].is_string()) error.aws_message = json[key];
  }
}

void read_xml_error(const std::string& body, ApiError& error) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return;
  const pugi::xml_node node = doc.select_node("//Error").node();
  if (!node) return;
  error.code = node.child_value("Code");
  error.aws_message = node.child_value("Message");
  if (error.request_id.empty()) {
    error.request_id = doc.select_node("//RequestId").node().child_value();
  }
}

std::string header(const HttpReply& reply, const char* name) {
  const auto it = reply.headers.find(name);
  return it == reply.headers.end() ? "" : it->second;
}

// What the user can do about it, by code.
std::string advice(const CallContext& context, const ApiError& error) {
  const std::string who = context.credentials_source;
  const std::string permission = std::string(context.service.signing_name) + ":" + context.action;
  if (is_one_of(error.code, {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                             "AuthorizationError"})) {
    return "the identity of " + who + " is not allowed " + permission +
           ": grant it in that user's or role's IAM policy, or use another profile or role_arn";
  }
  if (is_one_of(error.code, {"ExpiredToken", "ExpiredTokenException", "RequestExpired"})) {
    return "the credentials of " + who +
           " have expired (or this machine's clock is off): renew them and retry";
  }
  if (is_one_of(error.code, {"UnrecognizedClient", "UnrecognizedClientException",
                             "InvalidClientTokenId"})) {
    return "AWS does not know the access key of " + who + " at " + context.endpoint +
           ": check the key id and that the endpoint is the intended one";
  }
  if (is_one_of(error.code, {"SignatureDoesNotMatch", "InvalidSignatureException"})) {
    return "the secret access key of " + who + " does not match its key id: check it";
  }
  if (is_throttling(error)) {
    return "AWS is still throttling after " + std::to_string(error.attempts) +
           " attempts: retry later or make fewer calls at once";
  }
  if (error.http_status >= 500) {
    return "the service failed " + std::to_string(error.attempts) + " times: retry later";
  }
  return "";
}

void describe(const CallContext& context, ApiError& error) {
  std::string text = std::string(context.service.id) + " " + context.action + " failed";
  if (!error.code.empty()) text += ": " + error.code;
  if (!error.aws_message.empty()) text += ": " + error.aws_message;
  text += " (HTTP " + std::to_string(error.http_status);
  if (!error.request_id.empty()) text += ", request id " + error.request_id;
  text += ")";
  if (const std::string what_to_do = advice(context, error); !what_to_do.empty()) {
    text += "; " + what_to_do;
  }
  error.message = text;
}

ApiError base_error(const CallContext& context, int attempts) {
  ApiError error;
  error.service = context.service.id;
  error.action = context.action;
  error.attempts = attempts;
  return error;
}

}  // namespace

ApiError error_from_reply(const CallContext& context, const HttpReply& reply, int attempts) {
  ApiError error = base_error(context, attempts);
  error.http_status = reply.status;
  error.request_id = header(reply, "x-amzn-requestid");
  if (error.request_id.empty()) error.request_id = header(reply, "x-amz-request-id");
  const auto first = reply.body.find_first_not_of(" \r\n\t");
  if (first != std::string::npos && reply.body[first] == '<') {
    read_xml_error(reply.body, error);
  } else {
    read_json_error(reply.body, error);
  }
  if (error.code.empty()) error.code = bare_code(header(reply, "x-amzn-errortype"));
  describe(context, error);
  return error;
}

ApiError unreachable_error(const CallContext& context, const std::string& transport_message,
                           int attempts) {
  ApiError error = base_error(context, attempts);
  error.aws_message = transport_message;
  error.message = std::string(context.service.id) + " " + context.action + ": cannot reach " +
                  context.endpoint + " after " + std::to_string(attempts) +
                  " attempts (" + transport_message +
                  "): check the network, and AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_" +
                  endpoint_env_suffix(context.service) + " if set";
  return error;
}

bool is_retryable(const ApiError& error) {
  return error.http_status == 0 || error.http_status >= 500 || is_throttling(error);
}

}  // namespace wpfleet::aws
