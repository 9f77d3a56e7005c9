// The supervisor: a small foreground process (`wpfleet supervise`) that runs MariaDB,
// php-fpm and nginx as its children, restarts one that dies, and runs WordPress cron,
// the watcher and due backups every minute.
// Everything it does is in one single-threaded loop; signal handlers only write to a
// pipe that the loop polls.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <vector>

#include "platform/binaries.h"
#include "platform/platform.h"
#include "platform/platform_users.h"
#include "platform/probes.h"
#include "platform/services.h"
#include "platform/supervisor_files.h"

namespace wpfleet {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr Clock::duration kFirstBackoff = 500ms;
constexpr Clock::duration kMaxBackoff = 10s;
constexpr Clock::duration kHealthyAfter = 60s;  // running this long resets the backoff
constexpr Clock::duration kJobInterval = 60s;
constexpr Clock::duration kJobTimeout = 5min;
constexpr Clock::duration kBackupTimeout = 6h;
constexpr std::chrono::seconds kStopTimeout{30};

// stdout and stderr are log/supervisor.log (see platform_up).
void log_line(const std::string& text) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  std::fprintf(stderr, "%s %s\n", stamp, text.c_str());
}

template <class T>
bool logged_failure(const Result<T>& result) {
  if (!result.ok()) log_line(result.error().message);
  return !result.ok();
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "stopped (wait status " + std::to_string(status) + ")";
}

// The last line of a child's log: what a server that keeps failing says about why.
// Read from the end, so that a large log costs no more than a small one.
std::string last_log_line(const fs::path& log) {
  constexpr off_t kTail = 4096;
  const int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st {};
  std::string tail;
  if (::fstat(fd, &st) == 0) {
    const off_t from = std::max<off_t>(0, st.st_size - kTail);
    tail.resize(static_cast<std::size_t>(st.st_size - from));
    const ssize_t n = ::pread(fd, tail.data(), tail.size(), from);
    tail.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(fd);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail.substr(tail.rfind('\n') == std::string::npos ? 0 : tail.rfind('\n') + 1);
}

// nginx leaves its Unix sockets behind when it is killed and then cannot bind them
// again ("Address already in use"), so every restart would fail. The directory is
// ours (0700) and only our nginx, which is not running now, listens in it.
void remove_stale_sockets(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code ignored;
    if (entry.is_socket(ignored) && fs::remove(entry.path(), ignored)) {
      log_line("removed the stale socket " + entry.path().string());
    }
  }
}

std::string seconds_text(Clock::duration duration) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(duration).count());
  return text;
}

// The write end of the self-pipe, for the signal handler.
int g_signal_pipe_write = -1;

extern "C" void on_signal(int signal_number) {
  int saved_errno = errno;
  unsigned char byte = static_cast<unsigned char>(signal_number);
  ssize_t ignored = ::write(g_signal_pipe_write, &byte, 1);
  (void)ignored;  // a full pipe already holds a wake-up
  errno = saved_errno;
}

class SignalPipe {
 public:
  static Result<SignalPipe> install() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      return make_error(std::string("cannot create the signal pipe: ") + std::strerror(errno));
    }
    g_signal_pipe_write = fds[1];
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    ::sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGTERM, SIGINT, SIGCHLD}) {
      ::sigaction(signal_number, &action, nullptr);
    }
    return SignalPipe(fds[0]);
  }

  // Sleeps until a signal arrives or `timeout` passes; true when asked to stop.
  bool wait(Clock::duration timeout) {
    pollfd polled{read_fd_, POLLIN, 0};
    auto milliseconds = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
    if (::poll(&polled, 1, static_cast<int>(milliseconds)) <= 0) return false;
    bool stop = false;
    unsigned char bytes[64];
    ssize_t n;
    while ((n = ::read(read_fd_, bytes, sizeof bytes)) > 0) {
      for (ssize_t i = 0; i < n; ++i) stop = stop || bytes[i] == SIGTERM || bytes[i] == SIGINT;
    }
    return stop;
  }

 private:
  explicit SignalPipe(int read_fd) : read_fd_(read_fd) {}
  int read_fd_;
};

struct Child {
  Service service;
  pid_t pid = 0;            // 0 while waiting to be (re)started
  bool ready = false;       // answered since it was last started
  bool ever_ready = false;  // answered once: the next service in start order may start
  bool started_before = false;
  int restarts = 0;
  Clock::duration backoff = kFirstBackoff;
  Clock::time_point start_at{};  // while pid == 0: when to start it
  Clock::time_point started_at{};
  std::string last_failure = "";
};

// A `wpfleet` command the supervisor runs every minute, never two of one at once.
struct PeriodicJob {
  std::vector<std::string> args;  // after the program, e.g. {"cron", "run"}
  std::string log_name;           // its output, in the log directory
  Clock::duration timeout;        // killed when it runs longer
  pid_t pid = 0;
  Clock::time_point deadline{};
  Clock::time_point next{};
  std::string command() const {
    std::string text = "wpfleet";
    for (const auto& arg : args) text += " " + arg;
    return text;
  }
};

class Supervisor {
 public:
  Supervisor(StateLayout layout, std::string self_exe, PlatformBinaries binaries,
             PlatformUsers users)
      : layout_(std::move(layout)),
        self_exe_(std::move(self_exe)),
        binaries_(std::move(binaries)),
        users_(users) {
    for (Service service : kStartOrder) children_.push_back(Child{service});
    // WordPress cron, run by wpfleet rather than by page views: PHP cannot reach sites
    // named *.localhost over HTTP, and an idle site would never run its events.
    jobs_.push_back(PeriodicJob{{"cron", "run"}, "cron.log", kJobTimeout});
    // The watcher: every applied site and the platform, with alerts on each change.
    jobs_.push_back(PeriodicJob{{"watch", "run", "--applied-fleet"}, "watch.log", kJobTimeout});
    // Backups that are due (it takes the state lock only when one is).
    jobs_.push_back(PeriodicJob{{"backup", "run", "--due", "--applied-fleet"}, "backup.log", kBackupTimeout});
    for (PeriodicJob& job : jobs_) job.next = Clock::now() + kJobInterval;
  }

  void run(SignalPipe& signals) {
    do {
      reap_children();
      start_due_children();
      check_readiness();
      for (PeriodicJob& job : jobs_) run_when_due(job);
      publish();
    } while (!signals.wait(all_ready() ? 1s : 100ms));
    log_line("asked to stop");
    stop_all();
  }

 private:
  bool all_ready() const {
    return std::all_of(children_.begin(), children_.end(), [](const Child& c) { return c.ready; });
  }

  void start_due_children() {
    const Clock::time_point now = Clock::now();
    for (std::size_t i = 0; i < children_.size(); ++i) {
      Child& child = children_[i];
      if (i > 0 && !children_[i - 1].ever_ready) return;  // first start follows start order
      if (child.pid == 0 && now >= child.start_at) start(child);
    }
  }

  void start(Child& child) {
    const std::string name = display_name(child.service);
    if (child.service == Service::MariaDB) {
      if (Status prepared = prepare_mariadb_log(layout_, users_); !prepared) {
        log_line(prepared.error().message);
      }
    }
    if (child.service == Service::Nginx) remove_stale_sockets(layout_.nginx_direct_dir());
    Result<pid_t> pid = spawn_child(service_command(child.service, binaries_, layout_, users_),
                                    service_log_file(layout_, child.service).string());
    if (child.started_before) ++child.restarts;
    child.started_before = true;
    if (!pid) {
      log_line("cannot start " + name + ": " + pid.error().message);
      child.last_failure = "could not start: " + pid.error().message;
      schedule_restart(child);
      return;
    }
    child.pid = *pid;
    child.ready = false;
    child.started_at = Clock::now();
    log_line("started " + name + " (pid " + std::to_string(*pid) + ")");
  }

  void schedule_restart(Child& child) {
    child.start_at = Clock::now() + child.backoff;
    child.backoff = std::min(child.backoff * 2, kMaxBackoff);
  }

  bool answers(const Child& child) const {
    if (child.service == Service::MariaDB) return mariadb_answers(layout_.mariadb_socket());
    // php-fpm and nginx write their pid file once their sockets are set up.
    return read_pid_file(service_pid_file(layout_, child.service)) == child.pid;
  }

  void check_readiness() {
    for (Child& child : children_) {
      if (child.pid == 0 || child.ready || !answers(child)) continue;
      child.ready = true;
      child.ever_ready = true;
      log_line(display_name(child.service) + " is ready");
    }
  }

  void reap_children() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (PeriodicJob& job : jobs_) {
        if (pid == job.pid) finish(job, status);
      }
      for (Child& child : children_) {
        if (child.pid == pid) on_child_exit(child, status);
      }
    }
  }

  void on_child_exit(Child& child, int status) {
    // A master that died leaves its workers, which hold its sockets and ports.
    ::kill(-child.pid, SIGKILL);
    const Clock::time_point now = Clock::now();
    if (now - child.started_at >= kHealthyAfter) child.backoff = kFirstBackoff;
    log_line(display_name(child.service) + " (pid " + std::to_string(child.pid) + ") " +
             describe_exit(status) + "; restarting it in " + seconds_text(child.backoff));
    const std::string said = last_log_line(service_log_file(layout_, child.service));
    child.last_failure = describe_exit(status) + (said.empty() ? "" : ": " + said);
    child.pid = 0;
    child.ready = false;
    schedule_restart(child);
  }

  void run_when_due(PeriodicJob& job) {
    const Clock::time_point now = Clock::now();
    if (job.pid != 0 && now >= job.deadline) {
      log_line("`" + job.command() + "` took longer than " +
               std::to_string(std::chrono::duration_cast<std::chrono::minutes>(job.timeout).count()) +
               " minutes and was killed");
      ::kill(-job.pid, SIGKILL);
      job.deadline = Clock::time_point::max();
    }
    if (job.pid != 0 || now < job.next || !all_ready()) return;
    job.next = now + kJobInterval;
    CommandSpec spec;
    spec.argv = {self_exe_};
    spec.argv.insert(spec.argv.end(), job.args.begin(), job.args.end());
    spec.argv.insert(spec.argv.end(), {"--state-dir", layout_.root.string()});
    spec.cwd = layout_.root.string();
    Result<pid_t> pid = spawn_child(spec, (layout_.log_dir() / job.log_name).string());
    if (!pid) {
      log_line("cannot run `" + job.command() + "`: " + pid.error().message);
      return;
    }
    job.pid = *pid;
    job.deadline = now + job.timeout;
  }

  void finish(PeriodicJob& job, int status) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      log_line("`" + job.command() + "` " + describe_exit(status) + "; see " +
               (layout_.log_dir() / job.log_name).string());
    }
    job.pid = 0;
  }

  void stop_all() {
    for (PeriodicJob& job : jobs_) {
      if (job.pid == 0) continue;
      ::kill(-job.pid, SIGKILL);
      ::waitpid(job.pid, nullptr, 0);
      job.pid = 0;
    }
    // Reverse start order: stop taking requests before stopping what serves them.
    for (auto child = children_.rbegin(); child != children_.rend(); ++child) {
      if (child->pid == 0) continue;
      log_line("stopping " + display_name(child->service));
      stop_service_process(child->service, child->pid, kStopTimeout);
      ::waitpid(child->pid, nullptr, 0);
      child->pid = 0;
      child->ready = false;
      publish();
    }
  }

  void publish() {
    std::vector<ServiceState> states;
    for (const Child& child : children_) {
      states.push_back(
          ServiceState{child.service, child.pid, child.restarts, child.ready, child.last_failure});
    }
    if (states_equal(states, published_)) return;
    if (Status written = write_supervisor_json(layout_, states); !written) {
      log_line(written.error().message);
      return;
    }
    published_ = std::move(states);
  }

  static bool states_equal(const std::vector<ServiceState>& a, const std::vector<ServiceState>& b) {
    return std::equal(
        a.begin(), a.end(), b.begin(), b.end(), [](const ServiceState& x, const ServiceState& y) {
          return x.service == y.service && x.pid == y.pid && x.restarts == y.restarts &&
                 x.running == y.running && x.last_failure == y.last_failure;
        });
  }

  const StateLayout layout_;
  const std::string self_exe_;
  const PlatformBinaries binaries_;
  const PlatformUsers users_;
  std::vector<Child> children_;  // in start order
  std::vector<ServiceState> published_;
  std::vector<PeriodicJob> jobs_;
};

}  // namespace

int run_supervisor(const StateLayout& given_layout, const std::string& self_exe) {
  const StateLayout layout = absolute_layout(given_layout);
  Result<SupervisorLock> lock = SupervisorLock::acquire(layout);
  if (!lock) {
    log_line(lock.error().message);
    return 1;
  }
  Result<PlatformBinaries> binaries = find_platform_binaries();
  Result<PlatformUsers> users = platform_users();
  Result<SignalPipe> signals = SignalPipe::install();
  if (logged_failure(binaries) || logged_failure(users) || logged_failure(signals)) return 1;
  log_line("supervisor started (pid " + std::to_string(::getpid()) + ")");
  Supervisor supervisor(layout, self_exe, *binaries, *users);
  supervisor.run(*signals);
  remove_supervisor_json(layout);
  log_line("supervisor stopped");
  return 0;
}

}  // namespace wpfleet
