// Opening a state directory for one command: its layout, the SQLite store, the secret
// store and, for commands that change anything, the lock that serialises wpfleet
// commands on the same state (a second one waits, saying for whom).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "platform/layout.h"
#include "state/secret_store.h"
#include "state/store.h"
#include "util/result.h"

namespace wpfleet {

enum class LockMode { None, Exclusive };

class StateLock {
 public:
  // Takes an exclusive flock on the state's lock file, waiting for the holder (and
  // telling `waiting` who it is) if another command has it, then writes who we are
  // into the file for the next one.
  static Result<StateLock> acquire(const StateLayout& layout, const std::string& command,
                                   const std::function<void(const std::string&)>& waiting);
  // Who holds the lock now (command line, pid, since when), or nothing when no command
  // does: what is "running" in the state is then only what a crash left behind.
  static std::optional<std::string> holder(const StateLayout& layout);
  StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  ~StateLock();

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_;
};

struct Session {
  StateLayout layout;
  std::unique_ptr<StateStore> store;
  std::optional<SecretStore> secrets;
  std::optional<StateLock> lock;
};

Result<Session> open_session(const std::filesystem::path& state_dir, LockMode mode,
                             const std::string& command,
                             const std::function<void(const std::string&)>& progress);

}  // namespace wpfleet
