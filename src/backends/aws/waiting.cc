#include "backends/aws/waiting.h"

#include <iostream>
#include <thread>

namespace wpfleet::aws_backend {

Status wait_until_done(const Wait& wait, const std::function<Result<std::optional<std::string>>()>& state,
                       const std::string& advice) {
  const auto start = std::chrono::steady_clock::now();
  auto said = start;
  for (bool first = true;; first = false) {
    TRY_ASSIGN(const std::optional<std::string> pending, state());
    if (!pending) return {};
    const auto now = std::chrono::steady_clock::now();
    if (now - start > wait.timeout) {
      return make_error("still waiting for " + wait.what + " (" + *pending + ") after " +
                        std::to_string(wait.timeout.count()) + " minutes: " + advice);
    }
    if (first || now - said >= std::chrono::minutes(1)) {
      said = now;
      std::cerr << wait.prefix << "waiting for " << wait.what << " (" << *pending << ", "
                << std::chrono::duration_cast<std::chrono::minutes>(now - start).count()
                << " min so far; " << wait.typical << ")\n";
    }
    std::this_thread::sleep_for(wait.poll);
  }
}

}  // namespace wpfleet::aws_backend
