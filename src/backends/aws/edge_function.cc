#include "backends/aws/edge_function.h"

#include <arpa/inet.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "backends/aws/basic_auth_function_js.h"  // generated from the .js by CMakeLists.txt
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

// Replaces the template's `/*@name*/<default>` with `value`; the default is the rest of
// its line up to the ';'.
void fill(std::string& code, const std::string& name, const std::string& value) {
  const std::string marker = "/*@" + name + "*/";
  const auto at = code.find(marker);
  const auto end = at == std::string::npos ? at : code.find(';', at);
  if (end == std::string::npos) {
    // The template and this file are built together: a missing marker is a bug here.
    throw std::logic_error("basic_auth_function.js lacks its " + marker + " marker");
  }
  code.replace(at, end - at, value);
}

// "10.0.0.0/8" as [[10,0,0,0],8]; an address alone is a range of one.
Result<nlohmann::json> range_json(const std::string& cidr) {
  const auto slash = cidr.find('/');
  const std::string address = cidr.substr(0, slash);
  unsigned char bytes[16];
  std::size_t size = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    size = 4;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    size = 16;
  }
  int bits = static_cast<int>(size * 8);
  if (size > 0 && slash != std::string::npos) {
    const char* first = cidr.data() + slash + 1;
    const char* last = cidr.data() + cidr.size();
    const auto parsed = std::from_chars(first, last, bits);
    if (parsed.ec != std::errc() || parsed.ptr != last || bits < 0 ||
        bits > static_cast<int>(size * 8)) {
      size = 0;
    }
  }
  if (size == 0) {
    return make_error("'" + cidr + "' in allow is not an IP address or CIDR range; write it "
                      "like \"203.0.113.0/24\" or \"2001:db8::/32\"");
  }
  return nlohmann::json::array({std::vector<int>(bytes, bytes + size), bits});
}

}  // namespace

std::string credentials_hash(const std::string& user, const std::string& password) {
  return sha256_hex(user + ":" + password);
}

Result<std::string> basic_auth_function_code(const BasicAuthFunctionInput& input) {
  nlohmann::json allow = nlohmann::json::array();
  for (const auto& cidr : input.allow) {
    TRY_ASSIGN(nlohmann::json range, range_json(cidr));
    allow.push_back(std::move(range));
  }
  std::string code = kBasicAuthFunctionTemplate;
  // JSON's strings and arrays are JavaScript's.
  fill(code, "hashes", nlohmann::json(input.credential_hashes).dump());
  fill(code, "allow", allow.dump());
  fill(code, "realm", nlohmann::json(input.realm).dump());
  if (code.size() > kMaxFunctionCodeBytes) {
    return make_error("the basic auth function would be " + std::to_string(code.size()) +
                      " bytes, more than CloudFront's " + std::to_string(kMaxFunctionCodeBytes) +
                      ": list fewer ranges in allow");
  }
  return code;
}

}  // namespace wpfleet::aws_backend
