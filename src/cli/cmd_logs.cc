// logs: the last lines of each of a tenant's logs, and --follow for what comes after.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "engine/verify.h"
#include "util/safe_tree.h"

namespace wpfleet::cli {

namespace {
struct LogsOptions {
  std::string tenant;
  std::string env;
  std::size_t lines = 50;
  bool follow = false;
};

constexpr auto kFollowInterval = std::chrono::milliseconds(250);
// A log behind an API (CloudWatch) is asked less often: its calls are rate-limited.
constexpr int kReaderPollEvery = 8;  // intervals, i.e. every 2 s

// Set by SIGINT/SIGTERM while following: a signal handler can only reach a global.
volatile std::sig_atomic_t stop_following = 0;

void request_stop(int) { stop_following = 1; }

// A tenant's logs are in a directory root owns, but an older layout let the tenant
// replace them with links (to /etc/shadow, say): wpfleet, as root, reads regular files
// only and never follows a link there.
Result<UniqueFd> open_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ELOOP) return make_error(path + " is a symlink: refusing to read it (`wpfleet apply` removes it)");
    return make_error("cannot read " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error(path + " is not a regular file: refusing to read it (`wpfleet apply` removes it)");
  }
  return fd;
}


void print_line(const LogSource& source, const std::string& line) {
  std::cout << "[" << source.name << "] " << line << "\n";
}

// Where following one log has got to. A new file at the path (rotation) or a shorter
// one (truncation) is read again from its start.
class LogFollower {
 public:
  explicit LogFollower(LogSource source) : source_(std::move(source)) {
    struct stat st {};
    if (::lstat(source_.path.c_str(), &st) == 0) {
      inode_ = st.st_ino;
      offset_ = st.st_size;
    }
  }

  void print_new_lines() {
    struct stat st {};
    if (::lstat(source_.path.c_str(), &st) != 0) return;  // not there yet, or mid-rotation
    if (st.st_ino != inode_ || st.st_size < offset_) {
      inode_ = st.st_ino;
      offset_ = 0;
      partial_.clear();
    }
    if (st.st_size > offset_ && read_appended(st.st_size)) print_complete_lines();
  }

 private:
  bool read_appended(off_t size) {
    auto fd = open_log(source_.path);
    if (!fd) return false;
    std::string chunk(static_cast<std::size_t>(size - offset_), '\0');
    const ssize_t got = ::pread(fd->get(), chunk.data(), chunk.size(), offset_);
    if (got <= 0) return false;
    partial_.append(chunk, 0, static_cast<std::size_t>(got));
    offset_ += got;
    return true;
  }

  void print_complete_lines() {
    std::size_t start = 0;
    for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos;
         start = end + 1) {
      print_line(source_, partial_.substr(start, end - start));
    }
    partial_.erase(0, start);
  }

  LogSource source_;
  ino_t inode_ = 0;
  off_t offset_ = 0;
  std::string partial_;  // read, but its line is not finished yet
};

int follow(const std::vector<LogSource>& sources) {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::vector<LogFollower> followers;
  std::vector<LogSource> readers;
  for (const auto& source : sources) {
    if (source.reader) {
      readers.push_back(source);
      (void)source.reader->new_lines();  // from now on
    } else {
      followers.emplace_back(source);
    }
  }
  for (int tick = 0; !stop_following; ++tick) {
    for (auto& follower : followers) follower.print_new_lines();
    if (tick % kReaderPollEvery == 0) {
      for (const auto& source : readers) {
        auto lines = source.reader->new_lines();
        if (!lines) print_line(source, "(" + lines.error().message + ")");
        for (const auto& line : lines ? *lines : std::vector<std::string>{}) print_line(source, line);
      }
    }
    std::cout.flush();
    std::this_thread::sleep_for(kFollowInterval);
  }
  return kExitOk;
}

void print_tails(const std::vector<LogSource>& sources, std::size_t count) {
  for (const auto& source : sources) {
    auto lines = last_log_lines(source, count);
    if (!lines) {
      print_line(source, "(" + lines.error().message + ")");
    } else if (lines->empty()) {
      print_line(source, "(no log yet)");
    } else {
      for (const auto& line : *lines) print_line(source, line);
    }
  }
  std::cout.flush();
}

nlohmann::json tails_json(const std::vector<LogSource>& sources, std::size_t count) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& source : sources) {
    nlohmann::json entry = {{"name", source.name}, {"path", source.path}};
    auto lines = last_log_lines(source, count);
    entry["lines"] = lines ? *lines : std::vector<std::string>{};
    if (!lines) entry["error"] = lines.error().message;
    out.push_back(entry);
  }
  return {{"sources", out}};
}

int logs_command(Context& ctx, const LogsOptions& o) {
  if (o.follow && ctx.options().json()) {
    return fail(
        "--follow prints lines as they are written and has no JSON form; "
        "drop --output json or --follow",
        kExitInvalidInput);
  }
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::None, "logs");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  if (Status valid = engine.validate_scope(Scope{{o.env}, {o.tenant}, false}); !valid) {
    return fail(valid.error(), kExitInvalidInput);
  }
  const auto placed = placements(*fleet, {o.env}, {o.tenant});
  if (placed.empty()) {
    return fail("tenant '" + o.tenant + "' does not run in environment '" + o.env +
                    "' (see `wpfleet tenant list`)",
                kExitInvalidInput);
  }
  const TenantContext tenant = make_tenant_context(*placed[0].tenant, *placed[0].environment);
  auto sources = tenant_log_sources(engine, tenant);
  if (!sources) return fail(sources.error(), kExitFailure);
  if (ctx.options().json()) {
    ctx.print_json(tails_json(*sources, o.lines));
    return kExitOk;
  }
  print_tails(*sources, o.lines);
  return o.follow ? follow(*sources) : kExitOk;
}
}  // namespace

void register_logs(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<LogsOptions>();
  auto* logs = app.add_subcommand(
      "logs", "Show a tenant's logs (local: PHP errors and requests, nginx access and errors; aws: the containers' CloudWatch logs)");
  logs->add_option("tenant", o->tenant, "Tenant id")->required();
  logs->add_option("-e,--env", o->env, "Environment")->required();
  logs->add_option("-n,--lines", o->lines, "Last lines of each log (default 50)")
      ->check(CLI::Range(1, 100000));
  logs->add_flag("--follow", o->follow, "Keep printing lines as they are written (until Ctrl-C)");
  logs->callback([&ctx, &selected, o] { selected = [&ctx, o] { return logs_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
