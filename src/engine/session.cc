#include "engine/session.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fs.h"
#include "util/unix_time.h"

namespace wpfleet {

namespace {

// "wpfleet apply --yes (pid 4242, since 2026-11-30 00:12:03 UTC)": what a waiting
// command shows about the one holding the lock.
std::string describe_self(const std::string& command) {
  std::string line;
  if (auto cmdline = read_file("/proc/self/cmdline"); cmdline && !cmdline->empty()) {
    for (char c : *cmdline) line += c == '\0' ? ' ' : c;
    while (!line.empty() && line.back() == ' ') line.pop_back();
  } else {
    line = "wpfleet " + command;
  }
  const std::string since = utc_text(unix_now(), "%Y-%m-%d %H:%M:%S UTC");
  return line + " (pid " + std::to_string(getpid()) + ", since " + since + ")";
}

// Written in place and then cut to length, so that a reader never sees it empty.
void write_holder(int fd, const std::string& holder) {
  if (pwrite(fd, holder.data(), holder.size(), 0) < 0 ||
      ftruncate(fd, static_cast<off_t>(holder.size())) != 0) {
    // The holder text is only informational; the lock itself is held.
  }
}

std::string read_holder(const StateLayout& layout) {
  auto holder = read_file(layout.lock_file());
  return holder && !holder->empty() ? *holder : "a wpfleet command that did not say who it is";
}

}  // namespace

Result<StateLock> StateLock::acquire(const StateLayout& layout, const std::string& command,
                                     const std::function<void(const std::string&)>& waiting) {
  const int fd = open(layout.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error("cannot open the lock file " + layout.lock_file().string() + ": " +
                      std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    waiting("waiting for another wpfleet command to finish: " + read_holder(layout));
    if (flock(fd, LOCK_EX) != 0) {
      close(fd);
      return make_error("cannot lock " + layout.lock_file().string() + ": " +
                        std::strerror(errno));
    }
  }
  write_holder(fd, describe_self(command));
  return StateLock(fd);
}

std::optional<std::string> StateLock::holder(const StateLayout& layout) {
  const int fd = open(layout.lock_file().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);  // also releases the shared lock when we got it
  if (!held) return std::nullopt;
  return read_holder(layout);
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
