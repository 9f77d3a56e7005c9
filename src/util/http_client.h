// HTTP requests with libcurl, for health checks and (later) cloud APIs.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace wpfleet {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  // Connect to this address instead of resolving the URL's host name (the Host header
  // stays the URL's), e.g. to address one nginx listener for any *.localhost name.
  std::optional<std::string> connect_to;
  std::optional<std::string> unix_socket;  // connect over this socket instead of TCP
  std::optional<std::string> ca_file;      // trust this CA for https (else the system's)
  std::optional<std::string> basic_auth;   // "user:password"
  std::vector<std::string> headers;   // "Name: value"
  std::string body;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

struct HttpReply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// An Error only when no HTTP answer came (connection refused, timeout); any status,
// 500 included, is a reply.
Result<HttpReply> http_request(const HttpRequest& request);

}  // namespace wpfleet
