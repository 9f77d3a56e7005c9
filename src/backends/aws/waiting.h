// Waiting for AWS to finish something it does in its own time (CloudFront deploying a
// distribution, ACM issuing a certificate), saying so on stderr once a minute.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "util/result.h"

namespace wpfleet::aws_backend {

struct Wait {
  std::string what;     // "CloudFront to deploy distribution E123", for the progress line
  std::string prefix;   // "sit: ", before each line
  std::chrono::seconds poll;
  std::chrono::minutes timeout;
  std::string typical;  // "it usually takes a few"
};

// Calls `state` until it says done (nullopt); otherwise it names the state ("InProgress").
// After `timeout` an error saying what is still pending, followed by `advice`.
Status wait_until_done(const Wait& wait, const std::function<Result<std::optional<std::string>>()>& state,
                       const std::string& advice);

}  // namespace wpfleet::aws_backend
