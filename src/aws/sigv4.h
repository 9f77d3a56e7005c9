// AWS Signature Version 4, our own (libcurl's CURLOPT_AWS_SIGV4 mis-signs unsorted query
// strings, keys without values and percent-encoded paths). Pure: the caller gives the
// time, so the official test vectors (../shared/aws-sigv4-test-suite) pin every byte.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wpfleet::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

using Header = std::pair<std::string, std::string>;  // name, value as sent

struct SignableRequest {
  std::string method;
  std::string path;   // as on the wire, e.g. "/2015-02-01/file-systems"
  std::string query;  // as on the wire, without '?'; any order, keys may lack '='
  std::vector<Header> headers;  // must include Host; repeats allowed
  std::string body;
};

struct SigningScope {
  std::string region;
  std::string service;  // the signing name, e.g. "secretsmanager"
  std::chrono::system_clock::time_point time;
  // Remove "." and ".." segments and repeated slashes before encoding (every service
  // but S3).
  bool normalize_path = true;
  // Sign the path as sent encoded once more, as every service but S3 wants; S3 signs
  // the path with each character encoded once.
  bool encode_path_again = true;
  // Add and sign x-amz-content-sha256 (S3 wants it; the others accept it).
  bool sign_body = false;
  // Some services (IoT) want X-Amz-Security-Token added after signing, unsigned.
  bool sign_session_token = true;
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // What to add to the request: X-Amz-Date, X-Amz-Content-Sha256 and
  // X-Amz-Security-Token when asked for, and Authorization.
  std::vector<Header> headers;
  // presign() only: the query to send, the request's own followed by the X-Amz-*
  // parameters, X-Amz-Signature last.
  std::string query;
};

Signature sign(const SignableRequest& request, const Credentials& credentials,
               const SigningScope& scope);

// What a query-string-authenticated request ("presigned URL") carries as its body hash:
// the body is not signed, so whoever holds the URL may send any.
inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Query-string authentication (a presigned URL): the request's headers (the caller
// gives Host, and whatever else the sender must send unchanged) and its query are
// signed with X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders and, for temporary credentials, X-Amz-Security-Token; the body
// is not (UNSIGNED-PAYLOAD). `scope.sign_body` and `scope.sign_session_token` do not
// apply. Whoever verifies one calls it again with the query stripped of those
// parameters and compares signatures. AWS takes `expires` up to 7 days.
Signature presign(const SignableRequest& request, const Credentials& credentials,
                  const SigningScope& scope, std::chrono::seconds expires);

// Percent-encodes everything but AWS's unreserved characters (A-Z a-z 0-9 - _ . ~),
// and '/' too unless keep_slash: the encoding of SigV4, of query strings and of the
// query protocol's form bodies.
std::string uri_encode(std::string_view text, bool keep_slash = false);
// Decodes every valid %XX; anything else is kept as it is.
std::string uri_decode(std::string_view text);

}  // namespace wpfleet::aws
