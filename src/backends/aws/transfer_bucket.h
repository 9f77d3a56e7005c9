// The transfer bucket of an aws environment (transfer_bucket, "{env}-wpfleet-transfer"
// unless the fleet file says otherwise): where content on its way in or out of the
// environment through one-off tasks waits (dumps, file archives: transfer_tasks.h).
// It is versioned, so an object overwritten by mistake can be had back, and its lifecycle
// expires objects below "wpfleet/" (the prefix wpfleet writes under) and their old
// versions after 30 days and uploads abandoned half-way after a day, so that transfers
// never pile up. The user's bucket of that name is adopted: tagged, versioned, its own lifecycle rules and tags kept beside ours.
//
// The bucket belongs to the environment, not to a tenant: storage (each tenant's EFS
// access point) ensures it once per process, with the first tenant, and counts a tenant's
// storage as present only while the bucket is as wanted, so that `plan` shows a bucket
// deleted or changed outside wpfleet and `apply` puts it back.
#pragma once

#include <string>

#include "aws/client.h"
#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet::aws_backend {

std::string transfer_bucket_name(const Environment& env);

// Creates or adopts the bucket and converges versioning, the lifecycle rule and tags.
Status ensure_transfer_bucket(aws::Client& client, const Environment& env);

// What about the bucket differs from what ensure_transfer_bucket leaves, in words ("it
// does not exist", "versioning is off; ..."); empty when nothing.
Result<std::string> transfer_bucket_drift(aws::Client& client, const Environment& env);

}  // namespace wpfleet::aws_backend
