// The supervisor's files in run/. Its pid file is also its lock, held for as long as it
// runs: a pid file left behind by a supervisor that was killed is never mistaken for a
// live one, even when the pid has been reused. supervisor.json is what it reports about
// its children, rewritten atomically on every change.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "platform/layout.h"
#include "platform/platform.h"
#include "util/result.h"

namespace wpfleet {

class SupervisorLock {
 public:
  // Takes the lock and writes our pid; an Error if another supervisor holds it.
  static Result<SupervisorLock> acquire(const StateLayout& layout);
  SupervisorLock(SupervisorLock&& other) noexcept;
  SupervisorLock& operator=(SupervisorLock&&) = delete;
  SupervisorLock(const SupervisorLock&) = delete;
  ~SupervisorLock();  // removes the pid file, then releases the lock

 private:
  SupervisorLock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

inline std::filesystem::path supervisor_log(const StateLayout& layout) {
  return layout.log_dir() / "supervisor.log";
}

// The pid of the supervisor holding the lock, or nothing when none runs.
std::optional<pid_t> running_supervisor(const StateLayout& layout);

Status write_supervisor_json(const StateLayout& layout, const std::vector<ServiceState>& services);
// Every service, in start order; those the file does not mention are not running.
Result<std::vector<ServiceState>> read_supervisor_json(const StateLayout& layout);
void remove_supervisor_json(const StateLayout& layout);

}  // namespace wpfleet
