// Running other programs: one-shot commands whose output we read, and long-lived
// children that a supervisor watches. The only place that forks and execs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace wpfleet {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

struct CommandSpec {
  std::vector<std::string> argv;              // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;     // added to (and overriding) the inherited env
  bool clear_env = false;                     // start from an empty environment (plus `env`)
  std::optional<std::string> cwd;
  std::optional<RunAs> run_as;                // drop to this user (needs root)
  std::optional<std::string> stdin_data;      // written to the child's stdin, then closed
  // Descriptors the child keeps under the same numbers (every other one above 2 is
  // closed), e.g. a memfd it reads as /dev/fd/N.
  std::vector<int> inherit_fds = {};
  // The child is killed (SIGKILL) when the thread that started it ends, wpfleet's
  // kill -9 included: for work that must not go on without us (a WordPress installer
  // left running would finish a site that the next apply has already discarded). The
  // caller must wait for the child on the thread that started it, as run_command does.
  bool die_with_parent = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

struct CommandOutput {
  int exit_code = -1;       // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs to completion and captures stdout/stderr. An Error only when the program could
// not be started or timed out; a non-zero exit is reported in exit_code.
Result<CommandOutput> run_command(const CommandSpec& spec);

// Starts a long-lived child with stdout/stderr appended to log_path. The child gets its
// own process group so that a signal to the group reaches its workers too.
Result<pid_t> spawn_child(const CommandSpec& spec, const std::string& log_path);

// A child whose stdin and/or stdout the caller streams (e.g. mariadb-dump's output
// through a rewriter into mariadb's input), with stderr kept for the error message.
class StreamingChild {
 public:
  static Result<StreamingChild> start(const CommandSpec& spec, bool pipe_stdin, bool pipe_stdout);
  StreamingChild(StreamingChild&& other) noexcept;
  StreamingChild& operator=(StreamingChild&&) = delete;
  ~StreamingChild();  // kills the child if finish() was not called

  // Writes all of `data` to the child's stdin; false once the child stopped reading.
  bool write(std::string_view data);
  // Reads up to `size` bytes of the child's stdout; 0 at end of output, -1 on error.
  long read(char* buffer, std::size_t size);
  void close_stdin();
  // Waits for the child; an Error naming the program and its stderr unless it exits 0.
  Status finish();

 private:
  StreamingChild() = default;
  struct State;
  State* state_ = nullptr;
};

// Full path of an executable found on PATH (or in the sbin directories Debian uses),
// or nothing.
std::optional<std::string> find_executable(const std::string& name);

bool process_alive(pid_t pid);

// SIGKILLs every process running as `uid` (real or effective) and waits until none is
// left, or says which are still there after `timeout`. For removing a user whose
// processes (a PHP worker finishing a request, a cron run) would make userdel refuse.
Status kill_user_processes(uid_t uid, std::chrono::milliseconds timeout);

}  // namespace wpfleet
