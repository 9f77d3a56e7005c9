#include "backends/aws/priority.h"

#include <string>

namespace wpfleet::aws_backend {

Result<int> allocate_priority(const std::set<int>& used) {
  const int highest = used.empty() ? 0 : *used.rbegin();
  const int next = (highest / kPriorityStep + 1) * kPriorityStep;
  if (next <= kPriorityConventionMax) return next;
  for (int priority = kPriorityStep; priority <= kPriorityConventionMax;
       priority += kPriorityStep) {
    if (!used.count(priority)) return priority;
  }
  for (int priority = kPriorityMin; priority <= kPriorityMax; ++priority) {
    if (!used.count(priority)) return priority;
  }
  return make_error("every listener rule priority from " + std::to_string(kPriorityMin) + " to " +
                    std::to_string(kPriorityMax) + " is taken");
}

}  // namespace wpfleet::aws_backend
