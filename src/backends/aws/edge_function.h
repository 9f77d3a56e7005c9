// The CloudFront Function that puts basic auth in front of an aws environment: its
// JavaScript is src/backends/aws/basic_auth_function.js (compiled in as a template),
// with the hash of the credentials, the `allow` ranges and the realm filled in here.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/result.h"

namespace wpfleet::aws_backend {

// CloudFront refuses a function whose code is larger than this.
inline constexpr std::size_t kMaxFunctionCodeBytes = 10 * 1024;

struct BasicAuthFunctionInput {
  // SHA-256 (hex) of "user:password": the current credentials, and during a rotation
  // also the previous ones.
  std::vector<std::string> credential_hashes;
  std::vector<std::string> allow;  // the environment's `allow` (CIDR ranges or addresses)
  std::string realm;               // what the browser's password prompt names
};

// The hash the function compares the Authorization header's credentials with.
std::string credentials_hash(const std::string& user, const std::string& password);

// The function's code; an error naming the range when one of `allow` is not an address
// or range, or naming the size when the code would exceed CloudFront's limit.
Result<std::string> basic_auth_function_code(const BasicAuthFunctionInput& input);

}  // namespace wpfleet::aws_backend
