// Listener rule priorities are allocated, never typed: the user's own convention (a
// rule every 10, 10..260, "next available: 190+") carried on, without the collisions
// of a spreadsheet (the seed's pitfall 6).
#pragma once

#include <set>

#include "util/result.h"

namespace wpfleet::aws_backend {

// The range the user's rules live in, in steps of kPriorityStep.
inline constexpr int kPriorityStep = 10;
inline constexpr int kPriorityConventionMax = 260;
// What AWS accepts for a listener rule.
inline constexpr int kPriorityMin = 1;
inline constexpr int kPriorityMax = 50000;

// The priority a new rule takes among the `used` ones of its listener: the next
// multiple of 10 above the highest in use while that stays within 260; else the lowest
// free multiple of 10 in [10, 260]; else the lowest free priority in [1, 50000]. An
// error only when every priority AWS accepts is taken.
Result<int> allocate_priority(const std::set<int>& used);

}  // namespace wpfleet::aws_backend
