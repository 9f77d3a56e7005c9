#include "aws/client.h"

#include <strings.h>

#include <algorithm>
#include <random>
#include <thread>

namespace wpfleet::aws {

namespace {

struct Endpoint {
  std::string base;       // scheme://authority, no trailing slash
  std::string authority;  // host[:port], the Host header
  std::string base_path;  // an endpoint URL may carry a path; "" or "/prefix"
};

Endpoint parse_endpoint(const std::string& url) {
  Endpoint endpoint;
  const auto scheme_end = url.find("://");
  const auto authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto path_start = std::min(url.find('/', authority_start), url.size());
  endpoint.base = url.substr(0, path_start);
  endpoint.authority = url.substr(authority_start, path_start - authority_start);
  endpoint.base_path = url.substr(path_start);
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
    endpoint.base_path.pop_back();
  }
  return endpoint;
}

std::chrono::milliseconds backoff(const RetryPolicy& retry, int attempt) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto ceiling =
      std::min<long long>(retry.cap.count(), retry.base.count() << std::min(attempt, 30));
  return std::chrono::milliseconds(
      std::uniform_int_distribution<long long>(0, std::max<long long>(ceiling, 0))(random));
}

// How a request to `service` is signed now: S3 signs its path as sent and its body's
// hash; the others clean and re-encode the path.
SigningScope signing_scope(const ClientConfig& config, const Service& service) {
  SigningScope scope{signing_region(config, service), service.signing_name,
                     std::chrono::system_clock::now()};
  scope.normalize_path = !service.s3_signing;
  scope.sign_body = service.s3_signing;
  scope.encode_path_again = !service.s3_signing;
  return scope;
}

// A 2xx answer that is not the JSON or XML the protocol promises.
ApiError unreadable_reply(const Service& service, const std::string& action,
                          const HttpReply& reply) {
  ApiError error;
  error.service = service.id;
  error.action = action;
  error.http_status = reply.status;
  error.message = std::string(service.id) + " " + action +
                  " succeeded but its answer could not be read (" +
                  std::to_string(reply.body.size()) +
                  " bytes): check that the endpoint URL is an AWS API";
  return error;
}

ApiResult<nlohmann::json> json_answer(const Service& service, const std::string& action,
                                      const HttpReply& reply) {
  if (reply.body.empty()) return nlohmann::json::object();
  auto answer = nlohmann::json::parse(reply.body, nullptr, false);
  if (answer.is_discarded()) return unreadable_reply(service, action, reply);
  return answer;
}

}  // namespace

std::string form_encode(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += uri_encode(key) + "=" + uri_encode(value);
  }
  return out;
}

Client::Client(ClientConfig config, RetryPolicy retry)
    : config_(std::move(config)), retry_(retry) {}

ApiResult<HttpReply> Client::send(const Call& call) {
  const Endpoint endpoint = parse_endpoint(endpoint_for(config_, call.service));
  const std::string path = endpoint.base_path + call.path;
  const CallContext context{call.service, call.action, endpoint.base + path,
                            config_.credentials_source};
  SignableRequest signable{call.method, path, call.query, call.headers, call.body};
  signable.headers.emplace_back("Host", endpoint.authority);

  HttpRequest request;
  request.method = call.method;
  request.url = endpoint.base + path + (call.query.empty() ? "" : "?" + call.query);
  request.body = call.body;
  request.timeout = std::chrono::seconds(30);
  for (int attempt = 1;; ++attempt) {
    const SigningScope scope = signing_scope(config_, call.service);
    request.headers.clear();
    for (const auto& [name, value] : signable.headers) {
      request.headers.push_back(name + ": " + value);
    }
    for (const auto& [name, value] : sign(signable, config_.credentials, scope).headers) {
      request.headers.push_back(name + ": " + value);
    }
    auto reply = http_request(request);
    if (reply && reply->status >= 200 && reply->status < 300) return std::move(reply).value();
    ApiError error = reply ? error_from_reply(context, *reply, attempt)
                           : unreachable_error(context, reply.error().message, attempt);
    if (!is_retryable(error) || attempt >= retry_.max_attempts) return error;
    std::this_thread::sleep_for(backoff(retry_, attempt - 1));
  }
}

std::string Client::presigned_url(const Service& service, const std::string& method,
                                  const std::string& path, std::chrono::seconds expires) const {
  const Endpoint endpoint = parse_endpoint(endpoint_for(config_, service));
  const SignableRequest signable{
      method, endpoint.base_path + path, "", {{"Host", endpoint.authority}}, ""};
  const Signature presigned =
      presign(signable, config_.credentials, signing_scope(config_, service), expires);
  return endpoint.base + signable.path + "?" + presigned.query;
}

ApiResult<nlohmann::json> Client::json(const Service& service, const std::string& action,
                                       const nlohmann::json& input) {
  const Call call{service,
                  action,
                  "POST",
                  "/",
                  "",
                  {{"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", std::string(service.json_target) + "." + action}},
                  input.is_null() ? "{}" : input.dump()};
  TRY_ASSIGN(const HttpReply reply, send(call));
  return json_answer(service, action, reply);
}

ApiResult<pugi::xml_document> Client::query(const Service& service, const std::string& action,
                                            const QueryParams& params) {
  QueryParams all{{"Action", action}, {"Version", service.query_version}};
  all.insert(all.end(), params.begin(), params.end());
  const Call call{service,
                  action,
                  "POST",
                  "/",
                  "",
                  {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                  form_encode(all)};
  TRY_ASSIGN(const HttpReply reply, send(call));
  pugi::xml_document answer;
  if (!answer.load_buffer(reply.body.data(), reply.body.size())) {
    return unreadable_reply(service, action, reply);
  }
  return answer;
}

ApiResult<nlohmann::json> Client::rest_json(const Service& service, const std::string& action,
                                            const std::string& method, const std::string& path,
                                            const QueryParams& query,
                                            const nlohmann::json& body) {
  Call call{service, action, method, path, form_encode(query), {}, ""};
  if (!body.is_null()) {
    call.headers.emplace_back("Content-Type", "application/json");
    call.body = body.dump();
  }
  TRY_ASSIGN(const HttpReply reply, send(call));
  return json_answer(service, action, reply);
}

ApiResult<RestXmlReply> Client::rest_xml(const Service& service, const std::string& action,
                                         const std::string& method, const std::string& path,
                                         const QueryParams& query,
                                         const std::vector<Header>& headers, std::string body) {
  // A sub-resource goes as a bare key ("?uploads", "?versioning"), as the SDKs send it:
  // S3 implementations tell "versioning=" from a plain bucket PUT less reliably.
  std::string encoded;
  for (const auto& [key, value] : query) {
    if (!encoded.empty()) encoded += '&';
    encoded += uri_encode(key) + (value.empty() ? "" : "=" + uri_encode(value));
  }
  Call call{service, action, method, path, encoded, headers, std::move(body)};
  // Without one, libcurl labels a body form-encoded, and S3 implementations parse it so.
  const bool typed = std::any_of(headers.begin(), headers.end(), [](const Header& header) {
    return strcasecmp(header.first.c_str(), "Content-Type") == 0;
  });
  if (!typed && !call.body.empty()) call.headers.emplace_back("Content-Type", "application/xml");
  TRY_ASSIGN(HttpReply reply, send(call));
  RestXmlReply answer;
  const auto first = reply.body.find_first_not_of(" \t\r\n");
  const bool is_xml = first != std::string::npos && reply.body[first] == '<';
  if (is_xml && !answer.xml.load_buffer(reply.body.data(), reply.body.size())) {
    return unreadable_reply(service, action, reply);
  }
  answer.headers = std::move(reply.headers);
  answer.body = std::move(reply.body);
  return answer;
}

}  // namespace wpfleet::aws
