#include "util/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>
#include <utility>

#include "util/unique_fd.h"

extern char** environ;

namespace wpfleet {
namespace {

constexpr char kSanePath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// Debian installs daemons (mariadbd, php-fpm8.2, nginx) in sbin, which a non-root PATH
// often lacks.
constexpr char kSbinDirs[] = "/usr/sbin:/sbin:/usr/local/sbin";

std::string errno_text(int error) { return std::strerror(error); }

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error("cannot create a pipe: " + errno_text(errno));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<UniqueFd> open_fd(const std::string& path, int flags, mode_t mode, const std::string& what) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return make_error("cannot open " + what + " " + path + ": " + errno_text(errno));
  return UniqueFd(fd);
}

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> split_path_list(std::string_view list) {
  std::vector<std::string> dirs;
  while (!list.empty()) {
    size_t colon = list.find(':');
    std::string_view dir = list.substr(0, colon);
    // An empty entry would mean the current directory; never search that implicitly.
    if (!dir.empty()) dirs.emplace_back(dir);
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return dirs;
}

std::vector<std::string> child_environment(const CommandSpec& spec) {
  std::map<std::string, std::string> vars;
  if (spec.clear_env) {
    vars["PATH"] = kSanePath;
  } else {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string_view text(*entry);
      size_t eq = text.find('=');
      if (eq != std::string_view::npos) vars.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
  }
  for (const auto& [name, value] : spec.env) vars[name] = value;

  std::vector<std::string> env;
  env.reserve(vars.size());
  for (const auto& [name, value] : vars) env.push_back(name + "=" + value);
  return env;
}

// Everything the child needs, prepared before fork: in a threaded process the forked
// child may only make async-signal-safe calls, so it must not allocate.
struct ExecPlan {
  std::string name;     // as the user wrote it, for messages
  std::string program;  // resolved path
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<RunAs> run_as;
  std::optional<std::string> cwd;
  std::optional<pid_t> parent;  // set when the child must die with this process
  std::vector<int> inherit_fds;
};

Result<ExecPlan> make_exec_plan(const CommandSpec& spec) {
  if (spec.argv.empty()) return make_error("cannot run a command with no program name");
  const std::string& name = spec.argv[0];
  std::optional<std::string> program = find_executable(name);
  if (!program) {
    return make_error("cannot run " + name + ": not found on PATH or in " + kSbinDirs +
                      "; is its package installed?");
  }
  std::optional<pid_t> parent;
  if (spec.die_with_parent) parent = ::getpid();
  return ExecPlan{name,        *program, spec.argv, child_environment(spec),
                  spec.run_as, spec.cwd, parent,    spec.inherit_fds};
}

std::vector<char*> c_string_array(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// What a child that failed before exec reports to its parent through a close-on-exec
// pipe, so that the caller gets a clear Error instead of an exit code of 127.
enum class ChildStage : int {
  redirect,
  drop_privileges,
  parent_death_signal,
  change_directory,
  exec
};
struct ChildFailure {
  ChildStage stage;
  int error;
};

struct ChildStdio {
  int in;
  int out;
  int err;
};

enum class Grouping { own_process_group, own_session };

[[noreturn]] void report_and_exit(int report_fd, ChildStage stage) {
  ChildFailure failure{stage, errno};
  ssize_t ignored = ::write(report_fd, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

// Ignored signals and the signal mask survive exec; a daemon must start with defaults.
void reset_signals() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t empty;
  ::sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

bool install_stdio(ChildStdio stdio) {
  // Move the three descriptors above 2 first so that installing one cannot clobber
  // another that happens to sit on 0, 1 or 2.
  int in = ::fcntl(stdio.in, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(stdio.out, F_DUPFD_CLOEXEC, 3);
  int err = ::fcntl(stdio.err, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || err < 0) return false;
  return ::dup2(in, STDIN_FILENO) >= 0 && ::dup2(out, STDOUT_FILENO) >= 0 &&
         ::dup2(err, STDERR_FILENO) >= 0;
}

// Descriptors opened elsewhere in wpfleet (the state database, other children's pipes)
// must not leak into the child.
void close_inherited_fds_on_exec() {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  long max_fd = std::min(::sysconf(_SC_OPEN_MAX), 65536L);  // kernels before 5.11
  for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

bool drop_privileges(const RunAs& user) {
  return ::setgroups(0, nullptr) == 0 && ::setgid(user.gid) == 0 && ::setuid(user.uid) == 0;
}

// After drop_privileges: changing credentials clears the parent-death signal. A parent
// that died before the prctl would never send it, so the child checks it still has one.
bool die_with(pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return false;
  if (::getppid() != parent) ::_exit(127);
  return true;
}

[[noreturn]] void exec_child(const ExecPlan& plan, char* const argv[], char* const envp[],
                             ChildStdio stdio, Grouping grouping, int report_fd) {
  reset_signals();
  if (grouping == Grouping::own_session) {
    ::setsid();
  } else {
    ::setpgid(0, 0);
  }
  if (!install_stdio(stdio)) report_and_exit(report_fd, ChildStage::redirect);
  close_inherited_fds_on_exec();
  for (int fd : plan.inherit_fds) {
    if (::fcntl(fd, F_SETFD, 0) != 0) report_and_exit(report_fd, ChildStage::redirect);
  }
  if (plan.run_as && !drop_privileges(*plan.run_as)) {
    report_and_exit(report_fd, ChildStage::drop_privileges);
  }
  if (plan.parent && !die_with(*plan.parent)) {
    report_and_exit(report_fd, ChildStage::parent_death_signal);
  }
  if (plan.cwd && ::chdir(plan.cwd->c_str()) != 0) {
    report_and_exit(report_fd, ChildStage::change_directory);
  }
  ::execve(plan.program.c_str(), argv, envp);
  report_and_exit(report_fd, ChildStage::exec);
}

std::string describe_failure(const ExecPlan& plan, ChildFailure failure) {
  std::string reason = errno_text(failure.error);
  switch (failure.stage) {
    case ChildStage::redirect:
      return "cannot run " + plan.name + ": cannot set up its standard streams: " + reason;
    case ChildStage::drop_privileges:
      return "cannot run " + plan.name + " as uid " + std::to_string(plan.run_as->uid) + " gid " +
             std::to_string(plan.run_as->gid) + ": " + reason + " (switching users needs root)";
    case ChildStage::parent_death_signal:
      return "cannot run " + plan.name + ": cannot tie its life to wpfleet's: " + reason;
    case ChildStage::change_directory:
      return "cannot run " + plan.name + " in " + *plan.cwd + ": " + reason;
    case ChildStage::exec:
      break;
  }
  return "cannot run " + plan.name + " (" + plan.program + "): " + reason;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Reads the child's failure report; end-of-file means exec succeeded.
std::optional<ChildFailure> read_child_failure(int report_fd) {
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_fd, &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) return failure;
  return std::nullopt;
}

// Forks and execs; returns once the child has exec'd (or reports why it could not).
Result<pid_t> launch(ExecPlan& plan, ChildStdio stdio, Grouping grouping) {
  TRY_ASSIGN(Pipe report, make_pipe());
  std::vector<char*> argv = c_string_array(plan.args);
  std::vector<char*> envp = c_string_array(plan.env);

  pid_t pid = ::fork();
  if (pid < 0) return make_error("cannot run " + plan.name + ": fork failed: " + errno_text(errno));
  if (pid == 0) exec_child(plan, argv.data(), envp.data(), stdio, grouping, report.write.get());

  report.write.reset();
  if (std::optional<ChildFailure> failure = read_child_failure(report.read.get())) {
    wait_for_exit(pid);
    return make_error(describe_failure(plan, *failure));
  }
  return pid;
}

// A child that exits without reading all its input must make our write fail with EPIPE
// rather than kill wpfleet with SIGPIPE: block SIGPIPE on this thread and discard one
// raised while blocked (unless one was already pending before).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pending;
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
    sigset_t pipe_set = sigpipe_set();
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pipe_set = sigpipe_set();
      struct timespec no_wait {};
      ::sigtimedwait(&pipe_set, nullptr, &no_wait);
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  static sigset_t sigpipe_set() {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGPIPE);
    return set;
  }
  sigset_t old_mask_;
  bool was_pending_ = false;
};

using Clock = std::chrono::steady_clock;

struct ChildPipes {
  UniqueFd in;
  UniqueFd out;
  UniqueFd err;
};

// Sends what the pipe will take; closes it once everything is sent or the child has
// stopped reading (EPIPE).
void write_available(UniqueFd& fd, std::string_view& input) {
  ssize_t n = ::write(fd.get(), input.data(), input.size());
  if (n > 0) input.remove_prefix(static_cast<size_t>(n));
  if (input.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) fd.reset();
}

// Appends what is available; closes the pipe at end-of-file.
void read_available(UniqueFd& fd, std::string& sink) {
  char buffer[65536];
  ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  if (n > 0) {
    sink.append(buffer, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    fd.reset();
  }
}

// Feeds stdin and drains stdout and stderr together: a child blocked on a full output
// pipe while we block on another stream would deadlock. Returns false on timeout.
bool exchange_with_child(ChildPipes pipes, std::string_view input, Clock::time_point deadline,
                         CommandOutput& output) {
  SigpipeBlock sigpipe_block;
  if (input.empty()) pipes.in.reset();
  if (pipes.in.get() >= 0) ::fcntl(pipes.in.get(), F_SETFL, O_NONBLOCK);

  while (pipes.in.get() >= 0 || pipes.out.get() >= 0 || pipes.err.get() >= 0) {
    auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) return false;

    // poll() ignores negative descriptors, so closed pipes simply drop out.
    std::array<pollfd, 3> polled{
        {{pipes.in.get(), POLLOUT, 0}, {pipes.out.get(), POLLIN, 0}, {pipes.err.get(), POLLIN, 0}}};
    int ready = ::poll(polled.data(), polled.size(), static_cast<int>(remaining.count()));
    if (ready <= 0) continue;  // interrupted, or the deadline passed (checked above)

    if (polled[0].revents != 0) write_available(pipes.in, input);
    if (polled[1].revents != 0) read_available(pipes.out, output.out);
    if (polled[2].revents != 0) read_available(pipes.err, output.err);
  }
  return true;
}

std::string describe_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// A zombie still answers kill(pid, 0) but is no longer running; its state letter is the
// field after the parenthesised command name in /proc/PID/stat.
bool is_zombie(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat_file, line)) return false;
  size_t name_end = line.rfind(')');
  return name_end != std::string::npos && name_end + 2 < line.size() && line[name_end + 2] == 'Z';
}

}  // namespace

Result<CommandOutput> run_command(const CommandSpec& spec) {
  TRY_ASSIGN(ExecPlan plan, make_exec_plan(spec));
  TRY_ASSIGN(Pipe in, make_pipe());
  TRY_ASSIGN(Pipe out, make_pipe());
  TRY_ASSIGN(Pipe err, make_pipe());
  Clock::time_point deadline = Clock::now() + spec.timeout;

  ChildStdio stdio{in.read.get(), out.write.get(), err.write.get()};
  TRY_ASSIGN(pid_t pid, launch(plan, stdio, Grouping::own_process_group));
  // Our copies of the child's ends must close, or its output never reaches end-of-file.
  in.read.reset();
  out.write.reset();
  err.write.reset();

  CommandOutput output;
  ChildPipes pipes{std::move(in.write), std::move(out.read), std::move(err.read)};
  bool finished =
      exchange_with_child(std::move(pipes), spec.stdin_data.value_or(""), deadline, output);
  if (!finished) {
    ::kill(-pid, SIGKILL);
    wait_for_exit(pid);
    return make_error(plan.name + " did not finish within " + describe_timeout(spec.timeout) +
                      " and was killed");
  }
  output.exit_code = exit_code_of(wait_for_exit(pid));
  return output;
}

Result<pid_t> spawn_child(const CommandSpec& spec, const std::string& log_path) {
  TRY_ASSIGN(ExecPlan plan, make_exec_plan(spec));
  TRY_ASSIGN(UniqueFd log, open_fd(log_path, O_WRONLY | O_APPEND | O_CREAT, 0640, "log file"));
  TRY_ASSIGN(UniqueFd no_input, open_fd("/dev/null", O_RDONLY, 0, "input"));
  return launch(plan, {no_input.get(), log.get(), log.get()}, Grouping::own_session);
}

std::optional<std::string> find_executable(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (is_executable_file(name)) return name;
    return std::nullopt;
  }
  const char* path_variable = std::getenv("PATH");
  std::string search_path = (path_variable != nullptr && *path_variable != '\0')
                                ? std::string(path_variable)
                                : std::string(kSanePath);
  for (const std::string& dir : split_path_list(search_path + ":" + kSbinDirs)) {
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

bool process_alive(pid_t pid) {
  // kill(0) or kill(-1) would address a group, not a process.
  if (pid <= 0) return false;
  bool exists = ::kill(pid, 0) == 0 || errno == EPERM;
  return exists && !is_zombie(pid);
}

namespace {
// Processes whose real or effective uid is `uid`, from /proc/<pid>/status.
std::vector<pid_t> processes_of(uid_t uid) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (!line.starts_with("Uid:")) continue;
      unsigned long real = 0, effective = 0;
      if (std::sscanf(line.c_str(), "Uid: %lu %lu", &real, &effective) == 2 &&
          (real == uid || effective == uid)) {
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (!is_zombie(pid)) found.push_back(pid);
      }
      break;
    }
  }
  return found;
}
}  // namespace

Status kill_user_processes(uid_t uid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const std::vector<pid_t> left = processes_of(uid);
    if (left.empty()) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string pids;
      for (pid_t pid : left) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
      return make_error("processes of uid " + std::to_string(uid) + " are still running (" + pids +
                        ") after SIGKILL: see `ps -o pid,stat,cmd -p " + pids + "`");
    }
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct StreamingChild::State {
  std::string name;
  pid_t pid = -1;
  UniqueFd in;
  UniqueFd out;
  std::string errors;
  std::thread error_reader;
  bool finished = false;
};

Result<StreamingChild> StreamingChild::start(const CommandSpec& spec, bool pipe_stdin,
                                             bool pipe_stdout) {
  TRY_ASSIGN(ExecPlan plan, make_exec_plan(spec));
  TRY_ASSIGN(Pipe in, make_pipe());
  TRY_ASSIGN(Pipe out, make_pipe());
  TRY_ASSIGN(Pipe err, make_pipe());
  TRY_ASSIGN(UniqueFd null_in, open_fd("/dev/null", O_RDONLY, 0, "input"));
  TRY_ASSIGN(UniqueFd null_out, open_fd("/dev/null", O_WRONLY, 0, "output"));
  ChildStdio stdio{pipe_stdin ? in.read.get() : null_in.get(),
                   pipe_stdout ? out.write.get() : null_out.get(), err.write.get()};
  TRY_ASSIGN(pid_t pid, launch(plan, stdio, Grouping::own_process_group));
  in.read.reset();
  out.write.reset();
  err.write.reset();
  StreamingChild child;
  child.state_ = new State();
  child.state_->name = plan.name;
  child.state_->pid = pid;
  if (pipe_stdin) child.state_->in = std::move(in.write);
  if (pipe_stdout) child.state_->out = std::move(out.read);
  child.state_->error_reader = std::thread([state = child.state_, fd = std::move(err.read)]() mutable {
    while (fd.get() >= 0) read_available(fd, state->errors);
  });
  return child;
}

StreamingChild::StreamingChild(StreamingChild&& other) noexcept : state_(other.state_) {
  other.state_ = nullptr;
}

StreamingChild::~StreamingChild() {
  if (!state_) return;
  if (!state_->finished) {
    ::kill(-state_->pid, SIGKILL);
    state_->in.reset();
    state_->out.reset();
    wait_for_exit(state_->pid);
  }
  if (state_->error_reader.joinable()) state_->error_reader.join();
  delete state_;
}

bool StreamingChild::write(std::string_view data) {
  SigpipeBlock no_sigpipe;
  while (!data.empty() && state_->in.get() >= 0) {
    const ssize_t n = ::write(state_->in.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return data.empty();
}

long StreamingChild::read(char* buffer, std::size_t size) {
  while (true) {
    const ssize_t n = ::read(state_->out.get(), buffer, size);
    if (n < 0 && errno == EINTR) continue;
    return static_cast<long>(n);
  }
}

void StreamingChild::close_stdin() { state_->in.reset(); }

Status StreamingChild::finish() {
  state_->in.reset();
  state_->out.reset();
  const int status = wait_for_exit(state_->pid);
  state_->finished = true;
  if (state_->error_reader.joinable()) state_->error_reader.join();
  if (exit_code_of(status) == 0) return {};
  std::string errors = state_->errors;
  if (errors.size() > 2000) errors = "..." + errors.substr(errors.size() - 2000);
  return make_error(state_->name + " failed (exit " + std::to_string(exit_code_of(status)) +
                    "): " + errors);
}

}  // namespace wpfleet
