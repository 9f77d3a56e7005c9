#include "backends/aws/secret_policy.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "aws/sigv4.h"

namespace wpfleet::aws_backend {

namespace {

constexpr const char* kGetSecretValue = "secretsmanager:GetSecretValue";

// A statement's Action or Resource: one string or a list of them.
std::vector<std::string> strings_of(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Whether the statement covers GetSecretValue on the ARN. Action names are case
// insensitive in IAM, resources are not. NotAction and NotResource statements are not
// read (they never count as an allow here; the worst outcome is a policy put again).
bool covers(const nlohmann::json& statement, const std::string& secret_arn) {
  if (!statement.contains("Action") || !statement.contains("Resource")) return false;
  const auto actions = strings_of(statement["Action"]);
  const bool action = std::any_of(actions.begin(), actions.end(), [](const std::string& a) {
    return iam_wildcard_match(lower(a), lower(kGetSecretValue));
  });
  if (!action) return false;
  const auto resources = strings_of(statement["Resource"]);
  return std::any_of(resources.begin(), resources.end(), [&](const std::string& resource) {
    return iam_wildcard_match(resource, secret_arn);
  });
}

}  // namespace

std::string arn_partition(const std::string& region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

std::string secret_arn_pattern(const std::string& region, const std::string& account,
                               const std::string& name) {
  return "arn:" + arn_partition(region) + ":secretsmanager:" + region + ":" + account +
         ":secret:" + name + "-??????";
}

std::string secret_read_policy(const std::vector<std::string>& resources) {
  const nlohmann::json document = {
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"}, {"Action", {kGetSecretValue}}, {"Resource", resources}}}}};
  return document.dump();
}

bool iam_wildcard_match(const std::string& pattern, const std::string& value) {
  // Iterative glob with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0, v = 0, star = std::string::npos, resume = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = v;
    } else if (star != std::string::npos) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string decode_policy_document(const std::string& text) {
  // JSON as is first: a decoded document may hold a '%' of its own.
  if (nlohmann::json::accept(text)) return text;
  // RFC 3986 as AWS encodes it: a '+' is a plus, and a '%' not followed by two hex digits
  // stays as it is.
  return aws::uri_decode(text);
}

bool policy_allows_secret_read(const std::string& document, const std::string& secret_arn) {
  const nlohmann::json parsed =
      nlohmann::json::parse(decode_policy_document(document), nullptr, false);
  if (!parsed.is_object() || !parsed.contains("Statement")) return false;
  nlohmann::json statements = parsed["Statement"];
  if (statements.is_object()) statements = nlohmann::json::array({statements});
  if (!statements.is_array()) return false;
  bool allowed = false;
  for (const auto& statement : statements) {
    if (!statement.is_object() || !covers(statement, secret_arn)) continue;
    const std::string effect = statement.value("Effect", "");
    if (effect == "Deny") return false;
    if (effect == "Allow") allowed = true;
  }
  return allowed;
}

}  // namespace wpfleet::aws_backend
