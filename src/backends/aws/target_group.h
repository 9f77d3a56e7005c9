// The tenant's target group `{env}-{tenant}-tg` and the listener rule that forwards its
// host names to it. ECS creates a service with a load balancer only when its target
// group exists *and* is associated with the load balancer ("The target group ... does
// not have an associated load balancer"), so the runtime provider makes both before it
// creates the service; the route provider owns the rule (its detail, check, removal) and
// converges it. The health check is the user's (path /, matcher 200,301,302, interval
// 30, healthy 2, unhealthy 3, timeout 5).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

struct TargetGroup {
  std::string arn;
  std::string name;
  std::string protocol;
  int port = 0;
  std::string vpc_id;
  std::string target_type;
  std::string health_check_path;
  std::string matcher;
  int interval = 0;
  int timeout = 0;
  int healthy = 0;
  int unhealthy = 0;
};

// The target group of that name; nullopt when there is none.
Result<std::optional<TargetGroup>> find_target_group(aws::Client& client, const std::string& name);

// Describes, then creates it or adopts it (tags added, health check converged); its ARN.
// A target group of that name that AWS cannot change into the right one (another
// protocol, port, VPC or target type) is an error naming what differs.
Result<std::string> ensure_target_group(aws::Client& client, const Environment& env,
                                        const PlatformResources& platform, const std::string& name,
                                        const Tags& tags);

// Deletes it; one already gone is not an error.
Status delete_target_group(aws::Client& client, const Environment& env, const std::string& name);

// Elastic Load Balancing tags of one resource (a target group, a rule).
Result<Tags> elb_tags(aws::Client& client, const std::string& arn);
// Adds those of `wanted` the resource lacks.
Status add_missing_elb_tags(aws::Client& client, const std::string& arn, const Tags& wanted);
// Tags as query parameters: <prefix>.member.N.Key / .Value.
void add_tag_params(aws::QueryParams& params, const std::string& prefix, const Tags& tags);

// A rule of the listener (the default rule left out).
struct ListenerRule {
  std::string arn;
  int priority = 0;
  std::vector<std::string> hosts;       // of its host-header condition
  // Of its http-header condition on the origin header (edge.h), which only CloudFront's
  // requests carry.
  std::vector<std::string> origin_values;
  bool other_conditions = false;        // any condition but one host-header and that one
  std::vector<std::string> forward_to;  // target group ARNs of its forward action
  bool other_actions = false;           // any action but one forward
};

// Every non-default rule of the listener (DescribeRules, 400 a page).
Result<std::vector<ListenerRule>> list_listener_rules(aws::Client& client,
                                                      const std::string& listener_arn);

// The tenant's rule among `rules`: the one whose host-header holds its primary host, else
// one forwarding to its target group (`target_group_arn`, may be empty); null if none.
const ListenerRule* tenant_rule(const std::vector<ListenerRule>& rules,
                                const std::string& primary_host,
                                const std::string& target_group_arn);

// Finds the tenant's rule and adopts it (keeps its priority, adds tags, converges hosts,
// the origin header condition and forward action only when they differ; the environment's
// edge is ensured first, see edge.h), or creates it at the priority
// allocate_priority() gives, again on PriorityInUse. Allocation is serialized per
// listener within the process, as apply runs tenants in parallel.
Result<ListenerRule> ensure_listener_rule(aws::Client& client, const Environment& env,
                                          const PlatformResources& platform,
                                          const std::vector<std::string>& hosts,
                                          const std::string& target_group_arn, const Tags& tags);

// Makes every rule of the listener that requires the origin header require `values`
// instead (hosts and actions unchanged): the steps of a rotation of its value.
Status require_origin_values(aws::Client& client, const std::string& listener_arn,
                             const std::vector<std::string>& values);

}  // namespace wpfleet::aws_backend
