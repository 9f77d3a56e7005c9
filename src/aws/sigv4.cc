#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "util/crypto.h"

namespace wpfleet::aws {

namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string format_time(std::chrono::system_clock::time_point time, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 dot-segment removal plus collapsing of empty segments, keeping a trailing
// slash: "/a/./b/../c/" -> "/a/c/", "//a//" -> "/a/".
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t start = 0;
  bool ends_as_directory = false;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    ends_as_directory = segment.empty() || segment == "." || segment == "..";
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto segment : kept) out.append("/").append(segment);
  if (out.empty() || ends_as_directory) out += '/';
  return out;
}

// "b=2&a&c=%41" -> "a=&b=2&c=A": each key and value decoded, re-encoded the SigV4 way,
// sorted by key then value.
std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string_view part = query.substr(start, end - start);
    if (!part.empty()) {
      const std::size_t equals = part.find('=');
      const std::string_view key = part.substr(0, equals);
      const std::string_view value =
          equals == std::string_view::npos ? std::string_view{} : part.substr(equals + 1);
      pairs.emplace_back(uri_encode(uri_decode(key)), uri_encode(uri_decode(value)));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key + "=" + value;
  }
  return out;
}

// Trims, and folds every run of whitespace (continuation lines included) to one space.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  bool in_space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

struct CanonicalHeaders {
  std::string lines;  // "name:value\n" each
  std::string names;  // "host;x-amz-date"
};

// Repeated names are joined with commas in the order given; names sort, values keep
// their order (stable sort).
CanonicalHeaders canonical_headers(const std::vector<Header>& given,
                                   const std::vector<Header>& added) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const std::vector<Header>* list : {&given, &added}) {
    for (const auto& [name, value] : *list) {
      headers.emplace_back(lower(name), canonical_header_value(value));
    }
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      out.lines.pop_back();  // the newline: append to the same line
      out.lines += "," + headers[i].second + "\n";
      continue;
    }
    out.lines += headers[i].first + ":" + headers[i].second + "\n";
    if (!out.names.empty()) out.names += ';';
    out.names += headers[i].first;
  }
  return out;
}

std::string credential_scope(const SigningScope& scope) {
  return format_time(scope.time, "%Y%m%d") + "/" + scope.region + "/" + scope.service +
         "/aws4_request";
}

// The canonical request of `request` with `query` in place of its own, then the string
// to sign and the signature: what the header and the query-string forms share.
void sign_canonical(Signature& result, const SignableRequest& request, const std::string& query,
                    const CanonicalHeaders& headers, const std::string& payload_hash,
                    const Credentials& credentials, const SigningScope& scope) {
  std::string path = scope.normalize_path ? normalize_path(request.path) : request.path;
  if (!scope.encode_path_again) path = uri_decode(path);
  result.canonical_request = request.method + "\n" + uri_encode(path.empty() ? "/" : path, true) +
                             "\n" + canonical_query(query) + "\n" + headers.lines + "\n" +
                             headers.names + "\n" + payload_hash;
  result.string_to_sign = "AWS4-HMAC-SHA256\n" + format_time(scope.time, "%Y%m%dT%H%M%SZ") +
                          "\n" + credential_scope(scope) + "\n" +
                          sha256_hex(result.canonical_request);

  std::string key =
      hmac_sha256("AWS4" + credentials.secret_access_key, format_time(scope.time, "%Y%m%d"));
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  result.signature = hex(hmac_sha256(key, result.string_to_sign));
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string uri_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Signature sign(const SignableRequest& request, const Credentials& credentials,
               const SigningScope& scope) {
  const std::string payload_hash = sha256_hex(request.body);

  Signature result;
  result.headers.emplace_back("X-Amz-Date", format_time(scope.time, "%Y%m%dT%H%M%SZ"));
  if (scope.sign_body) result.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
  const bool has_token = !credentials.session_token.empty();
  if (has_token && scope.sign_session_token) {
    result.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  const CanonicalHeaders headers = canonical_headers(request.headers, result.headers);
  sign_canonical(result, request, request.query, headers, payload_hash, credentials, scope);

  result.headers.emplace_back(
      "Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                           credential_scope(scope) + ", SignedHeaders=" + headers.names +
                           ", Signature=" + result.signature);
  if (has_token && !scope.sign_session_token) {
    result.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  return result;
}

Signature presign(const SignableRequest& request, const Credentials& credentials,
                  const SigningScope& scope, std::chrono::seconds expires) {
  const CanonicalHeaders headers = canonical_headers(request.headers, {});
  std::string query = request.query.empty() ? "" : request.query + "&";
  query += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
           uri_encode(credentials.access_key_id + "/" + credential_scope(scope)) +
           "&X-Amz-Date=" + format_time(scope.time, "%Y%m%dT%H%M%SZ") +
           "&X-Amz-Expires=" + std::to_string(expires.count()) +
           "&X-Amz-SignedHeaders=" + uri_encode(headers.names);
  if (!credentials.session_token.empty()) {
    query += "&X-Amz-Security-Token=" + uri_encode(credentials.session_token);
  }
  Signature result;
  sign_canonical(result, request, query, headers, kUnsignedPayload, credentials, scope);
  result.query = query + "&X-Amz-Signature=" + result.signature;
  return result;
}

}  // namespace wpfleet::aws
