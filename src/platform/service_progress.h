// Progress lines while the supervisor starts or stops the servers ("starting MariaDB…"),
// following what it reports in supervisor.json.
#pragma once

#include <cstddef>
#include <vector>

#include "platform/platform.h"

namespace wpfleet {

enum class Direction { Starting, Stopping };

// Polling can miss a server that took less than a poll interval; it is then announced
// late rather than not at all, so the lines always tell the whole story.
class ServiceProgress {
 public:
  ServiceProgress(ProgressFn progress, Direction direction);
  void update(const std::vector<ServiceState>& services);

 private:
  bool done(const std::vector<ServiceState>& services, Service service) const;
  void announce(Service service);

  ProgressFn progress_;
  Direction direction_;
  std::vector<Service> order_;  // in the order the supervisor works through them
  std::size_t next_ = 0;        // the first not yet announced
};

}  // namespace wpfleet
