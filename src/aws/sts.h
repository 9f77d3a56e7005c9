// STS: who the credentials belong to, and temporary credentials for a role.
#pragma once

#include <string>

#include "aws/client.h"

namespace wpfleet::aws {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

ApiResult<CallerIdentity> get_caller_identity(Client& client);

// Temporary credentials (key id, secret, session token) for `role_arn`, signed with the
// client's credentials.
ApiResult<Credentials> assume_role(Client& client, const std::string& role_arn,
                                   const std::string& session_name);

// A client as the standard sources and `options` describe it; with a role_arn, its
// credentials are the role's, assumed once through STS (valid for an hour; long
// operations must connect again).
Result<Client> connect(const ConnectOptions& options, const Environment& env,
                       RetryPolicy retry = {});

}  // namespace wpfleet::aws
