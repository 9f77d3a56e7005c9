#include "aws/sts.h"

namespace wpfleet::aws {

ApiResult<CallerIdentity> get_caller_identity(Client& client) {
  TRY_ASSIGN(const pugi::xml_document answer, client.query(kSts, "GetCallerIdentity", {}));
  const pugi::xml_node result = answer.select_node("//GetCallerIdentityResult").node();
  return CallerIdentity{result.child_value("Account"), result.child_value("Arn"),
                        result.child_value("UserId")};
}

ApiResult<Credentials> assume_role(Client& client, const std::string& role_arn,
                                   const std::string& session_name) {
  TRY_ASSIGN(const pugi::xml_document answer,
             client.query(kSts, "AssumeRole",
                          {{"RoleArn", role_arn}, {"RoleSessionName", session_name}}));
  const pugi::xml_node credentials = answer.select_node("//AssumeRoleResult/Credentials").node();
  return Credentials{credentials.child_value("AccessKeyId"),
                     credentials.child_value("SecretAccessKey"),
                     credentials.child_value("SessionToken")};
}

Result<Client> connect(const ConnectOptions& options, const Environment& env, RetryPolicy retry) {
  TRY_ASSIGN(ResolvedConfig resolved, resolve_config(options, env));
  if (!resolved.role_arn) return Client(std::move(resolved.config), retry);
  Client base(resolved.config, retry);
  TRY_ASSIGN(Credentials role_credentials,
             assume_role(base, *resolved.role_arn, options.role_session_name));
  ClientConfig config = std::move(resolved.config);
  config.credentials = std::move(role_credentials);
  config.credentials_source = "role " + *resolved.role_arn + " (assumed with " +
                              config.credentials_source + ")";
  return Client(std::move(config), retry);
}

}  // namespace wpfleet::aws
