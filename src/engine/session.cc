#include "engine/session.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fs.h"

namespace wpfleet {

Result<StateLock> StateLock::acquire(const StateLayout& layout, const std::string& command,
                                     const std::function<void(const std::string&)>& waiting) {
  const int fd = open(layout.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error("cannot open the lock file " + layout.lock_file().string() + ": " +
                      std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto holder = read_file(layout.lock_file());
    waiting("waiting for another wpfleet command to finish (" +
            (holder ? holder.value() : std::string("unknown")) + ")");
    if (flock(fd, LOCK_EX) != 0) {
      close(fd);
      return make_error("cannot lock " + layout.lock_file().string() + ": " +
                        std::strerror(errno));
    }
  }
  const std::string holder = "pid " + std::to_string(getpid()) + ": wpfleet " + command;
  if (ftruncate(fd, 0) != 0 || pwrite(fd, holder.data(), holder.size(), 0) < 0) {
    // The holder text is only informational; the lock itself is held.
  }
  return StateLock(fd);
}

StateLock::~StateLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

Result<Session> open_session(const std::filesystem::path& state_dir, LockMode mode,
                             const std::string& command,
                             const std::function<void(const std::string&)>& progress) {
  Session session;
  session.layout.root = std::filesystem::absolute(state_dir).lexically_normal();
  TRY(make_dirs(session.layout.root, 0711));
  if (mode == LockMode::Exclusive) {
    TRY_ASSIGN(StateLock lock, StateLock::acquire(session.layout, command, progress));
    session.lock.emplace(std::move(lock));
  }
  TRY_ASSIGN(session.store, StateStore::open(session.layout.state_db()));
  TRY_ASSIGN(SecretStore secrets, SecretStore::open(*session.store, session.layout.secret_key()));
  session.secrets.emplace(std::move(secrets));
  return session;
}

}  // namespace wpfleet
