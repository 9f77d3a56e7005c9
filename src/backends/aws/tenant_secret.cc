#include "backends/aws/tenant_secret.h"

#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

std::string uuid_form(const std::string& hex) {
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace

std::string request_token(const std::string& seed) { return uuid_form(sha256_hex(seed)); }

Result<std::string> random_request_token() {
  TRY_ASSIGN(Bytes bytes, random_bytes(16));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (auto byte : bytes) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return uuid_form(hex);
}

Result<std::optional<TenantSecret>> describe_tenant_secret(aws::Client& client,
                                                           const std::string& name) {
  auto described = client.json(aws::kSecretsManager, "DescribeSecret", {{"SecretId", name}});
  if (!described && described.error().code == "ResourceNotFoundException") {
    return std::optional<TenantSecret>();
  }
  TRY(described);
  TenantSecret secret;
  secret.arn = described->value("ARN", "");
  // moto answers "DeletedDate": null for a live secret; AWS leaves the key out.
  secret.scheduled_for_deletion = !described->value("DeletedDate", nlohmann::json()).is_null();
  secret.tags = tags_from_json(described->value("Tags", nlohmann::json::array()));
  return std::optional<TenantSecret>(std::move(secret));
}

Result<std::optional<TenantSecret>> read_tenant_secret(aws::Client& client,
                                                       const std::string& name) {
  TRY_ASSIGN(std::optional<TenantSecret> secret, describe_tenant_secret(client, name));
  if (!secret || secret->scheduled_for_deletion) return secret;
  TRY_ASSIGN(nlohmann::json value,
             client.json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", secret->arn}}));
  secret->value = nlohmann::json::parse(value.value("SecretString", ""), nullptr, false);
  if (!secret->value.is_object()) {
    return make_error("secret '" + name +
                      "' does not hold a JSON object (username, password, ...); correct it in "
                      "Secrets Manager or delete it so that wpfleet makes it anew");
  }
  return secret;
}

Status set_mark(aws::Client& client, const std::string& secret_arn, const char* mark) {
  TRY(client.json(aws::kSecretsManager, "TagResource",
                  {{"SecretId", secret_arn}, {"Tags", tags_json({{mark, "yes"}})}}));
  return {};
}

}  // namespace wpfleet::aws_backend
