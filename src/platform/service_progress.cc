#include "platform/service_progress.h"

#include <algorithm>

#include "platform/services.h"

namespace wpfleet {

ServiceProgress::ServiceProgress(ProgressFn progress, Direction direction)
    : progress_(std::move(progress)),
      direction_(direction),
      order_(kStartOrder.begin(), kStartOrder.end()) {
  if (direction_ == Direction::Stopping) std::reverse(order_.begin(), order_.end());
}

void ServiceProgress::update(const std::vector<ServiceState>& services) {
  std::size_t current = 0;
  while (current < order_.size() && done(services, order_[current])) ++current;
  // Once something was announced, whatever finished in between is announced too. Before
  // that, servers already done (a no-op `up`) are not news.
  if (next_ > 0) {
    for (; next_ < current; ++next_) announce(order_[next_]);
  }
  if (current < order_.size() && current >= next_) {
    announce(order_[current]);
    next_ = current + 1;
  }
}

bool ServiceProgress::done(const std::vector<ServiceState>& services, Service service) const {
  for (const ServiceState& state : services) {
    if (state.service == service) return state.running == (direction_ == Direction::Starting);
  }
  return false;
}

void ServiceProgress::announce(Service service) {
  progress_((direction_ == Direction::Starting ? "starting " : "stopping ") +
            display_name(service) + "…");
}

}  // namespace wpfleet
