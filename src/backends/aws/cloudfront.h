// The CloudFront calls the edge makes (REST-XML, API version 2020-05-31): functions
// (create, read, update, publish, each change guarded by the ETag CloudFront gave) and
// distributions (found by alias, their configuration read and written whole, as
// CloudFront takes it, with If-Match).
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "aws/client.h"

namespace wpfleet::aws_backend {

inline constexpr const char* kFunctionRuntime = "cloudfront-js-2.0";

// One stage (DEVELOPMENT or LIVE) of a CloudFront Function.
struct FunctionStage {
  std::string code;  // as CloudFront keeps it
  std::string etag;  // what a change of this stage must send as If-Match
};

// The function's stage; nullopt when the function does not exist (or was never published,
// for LIVE).
Result<std::optional<FunctionStage>> get_function(aws::Client& client, const std::string& name,
                                                  const char* stage);
// Creates the function (DEVELOPMENT stage); the new stage's ETag.
Result<std::string> create_function(aws::Client& client, const std::string& name,
                                    const std::string& comment, const std::string& code);
// Replaces its DEVELOPMENT code; the new ETag.
Result<std::string> update_function(aws::Client& client, const std::string& name,
                                    const std::string& etag, const std::string& comment,
                                    const std::string& code);
// Copies DEVELOPMENT to LIVE, which every distribution associated with it then runs;
// the function's ARN.
Result<std::string> publish_function(aws::Client& client, const std::string& name,
                                     const std::string& etag);

// The id of the custom response headers policy named `name`
// (ListResponseHeadersPolicies, 100 a page); nullopt when there is none.
Result<std::optional<std::string>> find_response_headers_policy(aws::Client& client,
                                                                const std::string& name);
// Creates a policy that adds `header: value` to every response (overriding the origin's);
// its id.
Result<std::string> create_response_headers_policy(aws::Client& client, const std::string& name,
                                                   const std::string& comment,
                                                   const std::string& header,
                                                   const std::string& value);

// The id of the custom cache policy named `name`; nullopt when there is none.
Result<std::optional<std::string>> find_cache_policy(aws::Client& client, const std::string& name);
// What a cache policy keys (and so forwards to the origin) on; cookies never.
struct CacheKey {
  std::vector<std::string> headers;
  bool query_strings = true;
  long default_ttl = 86400;
  long max_ttl = 31536000;
};
// Creates the cache policy (gzip and brotli, MinTTL 0); its id.
Result<std::string> create_cache_policy(aws::Client& client, const std::string& name,
                                        const std::string& comment, const CacheKey& key);

// A distribution's configuration as GetDistributionConfig gives it (and UpdateDistribution
// takes it back), with the ETag that guards it.
struct DistributionConfig {
  std::string id;
  std::string etag;
  pugi::xml_document xml;  // <DistributionConfig>
};

struct FoundDistribution {
  std::string id;
  std::string domain_name;  // d111111abcdef8.cloudfront.net, what DNS aliases point to
};
// The distribution that has `alias` among its alternate domain names (ListDistributions,
// 100 a page); nullopt when none has it.
Result<std::optional<FoundDistribution>> find_distribution(aws::Client& client,
                                                           const std::string& alias);
Result<DistributionConfig> get_distribution_config(aws::Client& client, const std::string& id);
// Writes `config` back with If-Match its ETag: PreconditionFailed when someone changed
// the distribution since it was read.
Status update_distribution(aws::Client& client, const DistributionConfig& config);
// "Deployed" once every edge location runs the distribution's last configuration,
// "InProgress" until then.
Result<std::string> distribution_status(aws::Client& client, const std::string& id);

}  // namespace wpfleet::aws_backend
