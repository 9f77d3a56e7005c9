#include "backends/local/reloads.h"

#include <iostream>

#include "platform/platform.h"

namespace wpfleet::local {

Reloads::~Reloads() {
  if (Status finished = finish(); !finished) std::cerr << finished.error().message << "\n";
}

Status Reloads::finish_locked(Service service) {
  auto it = pending_.find(service);
  if (it != pending_.end()) {
    outcome_[service] = it->second.get();
    pending_.erase(it);
  }
  auto outcome = outcome_.find(service);
  return outcome == outcome_.end() ? Status{} : outcome->second;
}

Status Reloads::reload(Service service, bool defer) {
  std::lock_guard lock(mutex_);
  // A failure of the reload in flight is told by the new one, which tries again.
  (void)finish_locked(service);
  outcome_.erase(service);
  if (!defer) return reload_service(layout_, service);
  // The configuration check (php-fpm -t is ~60 ms of PHP start-up) runs on too: a kill
  // before the signal leaves the apply's journal unfinished, and the next apply's
  // recovery reloads every server of the environment (Engine::recover).
  pending_[service] =
      std::async(std::launch::async, [layout = layout_, service] { return reload_service(layout, service); });
  return {};
}

Status Reloads::finish(Service service) {
  std::lock_guard lock(mutex_);
  return finish_locked(service);
}

Status Reloads::finish() {
  std::lock_guard lock(mutex_);
  Status first;
  for (Service service : {Service::PhpFpm, Service::Nginx}) {
    Status status = finish_locked(service);
    if (first && !status) first = status;
  }
  return first;
}

void ReloadBatch::note(bool written_first_time) {
  std::lock_guard lock(mutex_);
  ++tenants_;
  all_new_ = all_new_ && written_first_time;
}

bool ReloadBatch::take_deferrable() {
  std::lock_guard lock(mutex_);
  const bool deferrable = tenants_ > 0 && all_new_;
  tenants_ = 0;
  all_new_ = true;
  return deferrable;
}

}  // namespace wpfleet::local
