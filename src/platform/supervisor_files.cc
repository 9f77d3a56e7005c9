#include "platform/supervisor_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "platform/services.h"
#include "util/fs.h"

namespace wpfleet {

namespace {

flock whole_file_lock(short type) {
  flock lock{};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  return lock;
}

std::vector<ServiceState> nothing_running() {
  std::vector<ServiceState> services;
  for (Service service : kStartOrder) services.push_back(ServiceState{service});
  return services;
}

}  // namespace

// POSIX record locks rather than flock(): F_GETLK tells a reader who holds the lock
// without taking it, so a reader can never make a starting supervisor think another
// one runs. They are not inherited by children, so a server left running after the
// supervisor died does not keep the lock either.
Result<SupervisorLock> SupervisorLock::acquire(const StateLayout& layout) {
  const std::filesystem::path path = layout.supervisor_pid();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open " + path.string() + ": " + std::strerror(errno));
  flock lock = whole_file_lock(F_WRLCK);
  if (::fcntl(fd, F_SETLK, &lock) != 0) {
    ::close(fd);
    return make_error("another wpfleet supervisor already runs for this state directory");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    ::close(fd);
    return make_error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return SupervisorLock(fd, path);
}

SupervisorLock::SupervisorLock(SupervisorLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

SupervisorLock::~SupervisorLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
}

std::optional<pid_t> running_supervisor(const StateLayout& layout) {
  int fd = ::open(layout.supervisor_pid().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  flock lock = whole_file_lock(F_WRLCK);
  bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  if (!held) return std::nullopt;
  return lock.l_pid;
}

Status write_supervisor_json(const StateLayout& layout, const std::vector<ServiceState>& services) {
  nlohmann::json list = nlohmann::json::array();
  for (const ServiceState& state : services) {
    list.push_back({{"name", service_name(state.service)},
                    {"pid", state.pid},
                    {"running", state.running},
                    {"restarts", state.restarts},
                    {"last_failure", state.last_failure}});
  }
  nlohmann::json document = {{"services", list}};
  return write_file_atomic(layout.supervisor_status(), document.dump(2) + "\n", 0644);
}

Result<std::vector<ServiceState>> read_supervisor_json(const StateLayout& layout) {
  std::vector<ServiceState> services = nothing_running();
  Result<std::string> text = read_file(layout.supervisor_status());
  if (!text) return services;
  nlohmann::json document = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.contains("services") ||
      !document["services"].is_array()) {
    return make_error(layout.supervisor_status().string() +
                      " is not what the wpfleet supervisor writes: run `wpfleet down` and "
                      "`wpfleet up`");
  }
  for (const nlohmann::json& entry : document["services"]) {
    if (!entry.is_object()) continue;
    std::optional<Service> service = service_from_name(entry.value("name", ""));
    if (!service) continue;
    for (ServiceState& state : services) {
      if (state.service != *service) continue;
      state.pid = entry.value("pid", 0);
      state.running = entry.value("running", false);
      state.restarts = entry.value("restarts", 0);
      state.last_failure = entry.value("last_failure", "");
    }
  }
  return services;
}

void remove_supervisor_json(const StateLayout& layout) {
  ::unlink(layout.supervisor_status().c_str());
}

}  // namespace wpfleet
