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

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
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
      pairs.emplace_back(uri_encode(percent_decode(key)), uri_encode(percent_decode(value)));
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

Signature sign(const SignableRequest& request, const Credentials& credentials,
               const SigningScope& scope) {
  const std::string amz_date = format_time(scope.time, "%Y%m%dT%H%M%SZ");
  const std::string date = format_time(scope.time, "%Y%m%d");
  const std::string payload_hash = sha256_hex(request.body);

  Signature result;
  result.headers.emplace_back("X-Amz-Date", amz_date);
  if (scope.sign_body) result.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
  const bool has_token = !credentials.session_token.empty();
  if (has_token && scope.sign_session_token) {
    result.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }

  // Repeated names are joined with commas in the order given; names sort, values keep
  // their order (stable sort).
  std::vector<std::pair<std::string, std::string>> headers;
  for (const std::vector<Header>* list : {&request.headers, &std::as_const(result.headers)}) {
    for (const auto& [name, value] : *list) {
      headers.emplace_back(lower(name), canonical_header_value(value));
    }
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the newline: append to the same line
      canonical_headers += "," + headers[i].second + "\n";
      continue;
    }
    canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += headers[i].first;
  }

  std::string path = scope.normalize_path ? normalize_path(request.path) : request.path;
  if (!scope.encode_path_again) path = percent_decode(path);
  result.canonical_request = request.method + "\n" + uri_encode(path.empty() ? "/" : path, true) +
                             "\n" + canonical_query(request.query) + "\n" + canonical_headers +
                             "\n" + signed_headers + "\n" + payload_hash;

  const std::string credential_scope =
      date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  result.string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + credential_scope + "\n" +
                          sha256_hex(result.canonical_request);

  std::string key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  result.signature = hex(hmac_sha256(key, result.string_to_sign));

  result.headers.emplace_back(
      "Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                           credential_scope + ", SignedHeaders=" + signed_headers +
                           ", Signature=" + result.signature);
  if (has_token && !scope.sign_session_token) {
    result.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  return result;
}

}  // namespace wpfleet::aws
