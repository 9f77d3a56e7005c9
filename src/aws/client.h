// Calls to AWS APIs: signs with SigV4, sends over libcurl (util/http_client), retries
// throttling and server errors with exponential backoff and full jitter, and turns the
// answer into JSON or XML or a typed ApiError. Knows the three protocols wpfleet's
// services use: JSON 1.1 (ECS, Secrets Manager, Logs, ACM, Cost Explorer), query with XML
// answers (STS, IAM, ELBv2, RDS, EC2, CloudWatch), REST-JSON (EFS) and REST-XML (S3,
// CloudFront, Route 53).
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <string>
#include <utility>
#include <vector>

#include "aws/config.h"
#include "aws/error.h"
#include "aws/service.h"

namespace wpfleet::aws {

struct RetryPolicy {
  int max_attempts = 5;
  // Attempt n (from 0) waits a uniformly random time in [0, min(cap, base * 2^n)].
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{10'000};
};

// Query protocol parameters in order, e.g. {"Names.member.1", "sit-alb"}.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A REST-XML answer: its XML (empty when the body is) and its headers (names lower-cased),
// which carry what the body does not, e.g. CloudFront's ETag.
struct RestXmlReply {
  pugi::xml_document xml;
  std::map<std::string, std::string> headers;
  std::string body;  // as received, for answers that are not XML (an S3 object)
};

class Client {
 public:
  explicit Client(ClientConfig config, RetryPolicy retry = {});

  const ClientConfig& config() const { return config_; }

  // JSON 1.1: POST / with X-Amz-Target "<target>.<action>"; the answer's JSON.
  ApiResult<nlohmann::json> json(const Service& service, const std::string& action,
                                 const nlohmann::json& input);
  // Query: POST / with Action, Version and `params` form-encoded; the answer's XML.
  ApiResult<pugi::xml_document> query(const Service& service, const std::string& action,
                                      const QueryParams& params);
  // REST-JSON: METHOD <path>?<query> with `body` as JSON unless null; the answer's JSON.
  // `path` is as sent (the caller percent-encodes a segment holding '/' or ':', such as
  // an ARN); `action` only names the call in errors.
  ApiResult<nlohmann::json> rest_json(const Service& service, const std::string& action,
                                      const std::string& method, const std::string& path,
                                      const QueryParams& query = {},
                                      const nlohmann::json& body = nullptr);
  // REST-XML: METHOD <path>?<query> with `headers` (e.g. If-Match) and `body` as sent
  // (XML, or an object's bytes). `path` is as sent, percent-encoded by the caller.
  ApiResult<RestXmlReply> rest_xml(const Service& service, const std::string& action,
                                   const std::string& method, const std::string& path,
                                   const QueryParams& query = {},
                                   const std::vector<Header>& headers = {},
                                   std::string body = "");

  // A URL that lets whoever holds it make one `method` request of `path` (as sent,
  // percent-encoded by the caller) until `expires` from now, signed in its query as
  // this client signs its own calls (endpoint, region, credentials). No body hash is
  // signed: the holder may send any body. AWS refuses `expires` over 7 days.
  std::string presigned_url(const Service& service, const std::string& method,
                            const std::string& path, std::chrono::seconds expires) const;

 private:
  struct Call {
    const Service& service;
    std::string action;
    std::string method;
    std::string path;
    std::string query;
    std::vector<Header> headers;
    std::string body;
  };
  // Signs and sends, again while the failure is retryable; a 2xx reply or the error.
  ApiResult<HttpReply> send(const Call& call);

  ClientConfig config_;
  RetryPolicy retry_;
};

// "a=1&b=c%20d": the encoding SigV4 signs, so what is sent is what is signed.
std::string form_encode(const QueryParams& params);

}  // namespace wpfleet::aws
