// Where calls go and whose keys sign them, found the way the AWS SDKs find them:
// environment variables, then the shared credentials and config files.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "aws/service.h"
#include "aws/sigv4.h"
#include "util/result.h"

namespace wpfleet::aws {

// A snapshot of the process environment, passed in rather than read behind the
// caller's back (tests give their own).
struct Environment {
  std::map<std::string, std::string> vars;
  static Environment current();
  // An empty value counts as unset, as the SDKs treat it.
  std::optional<std::string> get(const std::string& name) const;
};

// What the caller asks for; each unset field falls back to the standard sources.
struct ConnectOptions {
  std::optional<std::string> profile;   // else AWS_PROFILE, else "default"
  std::optional<std::string> region;    // else AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::optional<std::string> role_arn;  // else the profile's role_arn
  std::string role_session_name = "aws-client";
};

struct ClientConfig {
  Credentials credentials;
  // Where the keys came from, for error messages ("profile 'sit' of ~/.aws/credentials");
  // never the keys themselves.
  std::string credentials_source;
  std::string region;
  std::string endpoint_url;  // AWS_ENDPOINT_URL or the profile's endpoint_url; "" = AWS
  std::map<std::string, std::string> service_endpoints;  // AWS_ENDPOINT_URL_<SUFFIX> by SUFFIX
};

struct ResolvedConfig {
  ClientConfig config;  // with the base credentials
  std::optional<std::string> role_arn;  // to assume with STS before use
};

// Credentials: an explicit profile wins; else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
// (and AWS_SESSION_TOKEN); else the profile of AWS_PROFILE or "default", from
// AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config,
// "[profile NAME]"). A profile with role_arn signs with its source_profile's keys.
Result<ResolvedConfig> resolve_config(const ConnectOptions& options, const Environment& env);

// The base URL for `service`: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL (or the
// profile's endpoint_url), else AWS's own https://<prefix>.<region>.amazonaws.com.
std::string endpoint_for(const ClientConfig& config, const Service& service);

// The region a request to `service` is signed for.
std::string signing_region(const ClientConfig& config, const Service& service);

}  // namespace wpfleet::aws
