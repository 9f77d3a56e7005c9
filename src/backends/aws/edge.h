// The edge of an aws environment, what stands between visitors and its tenants:
//
//   visitor -> CloudFront (distribution *.{suffix}; viewer-request: basic auth function)
//           -> ALB listener (each tenant's rule: host AND X-Origin-Verify = secret;
//                            anything else: fixed 403) -> the tenant's target group
//
// The origin header's value is generated (CSPRNG) into Secrets Manager
// ({env}-wpfleet-origin-secret); CloudFront adds it to every request it sends the load
// balancer, so a request sent to the load balancer's own name, without it, gets the 403.
// The basic auth password lives in Secrets Manager only ({env}-basic-auth-password); the
// function holds the SHA-256 of "user:password" (edge_function.h).
//
// The edge belongs to the environment, not to a tenant: it is ensured once per listener
// and process, by the first tenant whose listener rule needs the origin header's value
// (runtime or route, whichever comes first in an apply), and the others wait for it.
// Order keeps every site up: the distribution sends a new value, and CloudFront has
// deployed it, before any rule requires it; a rotation makes the rules accept the old and
// the new value until then (the secret keeps "previous" meanwhile, so a rotation that was
// interrupted is finished by the next one, and verify names it until then).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/client.h"
#include "backends/aws/platform.h"
#include "backends/aws/target_group.h"
#include "backends/provider.h"

namespace wpfleet::aws_backend {

inline constexpr const char* kOriginHeader = "X-Origin-Verify";
// What `wpfleet secret rotate` calls the origin header's value.
inline constexpr const char* kOriginSecret = "origin-secret";

// The values of the origin header the environment's listener rules must require (one;
// two while a rotation is under way), the edge ensured first (see above).
Result<std::vector<std::string>> origin_header_values(aws::Client& client,
                                                      const Environment& env,
                                                      const PlatformResources& platform);

// Replaces the basic auth password (kBasicAuthPassword) or the origin header's value
// (kOriginSecret) with a new random one and brings the edge up to date with it.
Status rotate_edge_secret(aws::Client& client, const Environment& env,
                          const PlatformResources& platform, const std::string& name);

// Whether the edge is as apply leaves it, for the tenant (its rule) and the environment
// (secret, function, distribution, listener), through the API alone: "problem: advice".
Status check_edge(aws::Client& client, const Environment& env, const PlatformResources& platform,
                  const TenantContext& ctx);

// Of the tenants whose listener rules are `rules`, those whose edge is as apply leaves it,
// for route's existing(): none while a part of the environment's edge was changed outside
// wpfleet (the secrets, the function, the distribution's origin header, function
// associations, noindex policy, static cache behaviours and certificate, the alias
// records, the listener's 403), else those whose rule requires the origin header's value.
// So plan shows the drift as the tenants' routes and apply, ensuring them, puts the edge
// back; what drifted is said on stderr. The environment's half is read once per listener
// and process (as verify's), and not at all while no rule requires the origin header
// (the user's platform before wpfleet's first apply: there is no edge of wpfleet's yet).
Result<std::set<std::string>> tenants_with_edge_as_applied(
    aws::Client& client, const Environment& env, const PlatformResources& platform,
    const std::map<std::string, const ListenerRule*>& rules);

// The basic auth password from Secrets Manager; nullopt when the secret does not exist.
Result<std::optional<std::string>> read_basic_auth_password(aws::Client& client,
                                                            const Environment& env);

}  // namespace wpfleet::aws_backend
