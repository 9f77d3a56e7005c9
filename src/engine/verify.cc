#include "engine/verify.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <set>

#include "util/http_client.h"
#include "util/unix_time.h"

namespace wpfleet {

namespace fs = std::filesystem;

namespace {
// Log sources whose name ends so hold errors (php-error, nginx-error, ...).
constexpr std::string_view kErrorLogSuffix = "-error";

// A check a provider does on its own, with what verify tells the user to do when it
// fails. "{logs}" stands for the tenant's `wpfleet logs` command.
struct ProviderCheck {
  ResourceKind kind;
  const char* name;
  const char* passed;
  const char* fix;
};

constexpr ProviderCheck kRuntimeCheck{ResourceKind::Runtime, "runtime", "the runtime is up",
                                      "check `wpfleet status`; `wpfleet apply` restores the pool"};
constexpr ProviderCheck kTargetCheck{
    ResourceKind::Route, "target", "the target answers its health check (GET /, edge bypassed)",
    "see {logs}; if it does not answer at all, `wpfleet apply` restores its route"};
constexpr ProviderCheck kDatabaseCheck{
    ResourceKind::Database, "database", "the tenant's own credentials reach its database",
    "run `wpfleet apply` to restore the tenant's database user and grants"};
constexpr ProviderCheck kStorageCheck{
    ResourceKind::Storage, "storage", "wp-content is writable by the tenant",
    "run `wpfleet apply` to restore the owner and mode of the tenant's files"};
constexpr ProviderCheck kSecretsCheck{ResourceKind::Secrets, "secrets",
                                      "every secret of the tenant is present",
                                      "run `wpfleet apply` to create the missing secrets"};
constexpr ProviderCheck kSiteCheck{
    ResourceKind::Site, "site",
    "WordPress is completely installed (core tables, admin user, completion marker)",
    "run `wpfleet apply` to finish the install"};

CheckOutcome passed(std::string name, std::string detail) {
  return CheckOutcome{std::move(name), true, std::move(detail), ""};
}

CheckOutcome failed(std::string name, std::string detail, std::string fix) {
  return CheckOutcome{std::move(name), false, std::move(detail), std::move(fix)};
}

std::string logs_command(const TenantContext& ctx) {
  return "`wpfleet logs " + ctx.tenant.id + " -e " + ctx.env.name + "`";
}

std::string with_logs_command(std::string text, const TenantContext& ctx) {
  if (const auto at = text.find("{logs}"); at != std::string::npos) {
    text.replace(at, 6, logs_command(ctx));
  }
  return text;
}

ResourceProvider* find_provider(Providers& providers, ResourceKind kind) {
  for (auto& provider : providers) {
    if (provider->kind() == kind) return provider.get();
  }
  return nullptr;
}

CheckOutcome run_provider_check(Providers& providers, const ProviderCheck& check,
                                const TenantContext& ctx) {
  ResourceProvider* provider = find_provider(providers, check.kind);
  if (!provider) {
    return failed(check.name, "the backend '" + ctx.env.backend + "' cannot check this",
                  "use a backend that implements every resource kind");
  }
  if (Status status = provider->check(ctx); !status) {
    Diagnosis diagnosis = split_advice(status.error().message);
    return failed(
        check.name, std::move(diagnosis.problem),
        diagnosis.advice.empty() ? with_logs_command(check.fix, ctx) : std::move(diagnosis.advice));
  }
  const std::string seen = provider->describe(ctx);
  return passed(check.name, seen.empty() ? check.passed : std::string(check.passed) + ": " + seen);
}

// --- the edge: the public URL, as a visitor reaches it ---------------------------------

// The address the edge sees verify's requests come from. Linux gives a connection to a
// local address that address as its source, except in the loopback range, whose
// connections come from 127.0.0.1.
std::string client_address(const std::string& edge) {
  return edge.rfind("127.", 0) == 0 ? "127.0.0.1" : edge;
}

// The ALB health check's matcher in the user's platform: 200, 301 or 302.
bool answers_like_a_site(long status) { return status == 200 || status == 301 || status == 302; }

// http_request reports libcurl's message only; a TLS verification failure is told apart
// by what libcurl calls it ("SSL peer certificate ... was not OK", "SSL connect error").
bool certificate_problem(const Error& error) {
  return error.message.find("SSL") != std::string::npos ||
         error.message.find("certificate") != std::string::npos;
}

class EdgeCheck {
 public:
  EdgeCheck(const TenantContext& ctx, Session& session, Providers& providers)
      : ctx_(ctx),
        session_(session),
        route_(find_provider(providers, ResourceKind::Route)),
        address_(ctx.env.listen.connect_host()) {
    request_.url = ctx.home_url + "/";
    request_.timeout = std::chrono::seconds(10);
    if (ctx.env.aws) return;  // the public name, resolved by DNS, with the system's CAs
    request_.connect_to = address_;
    // The environment's certificate is signed by wpfleet's own CA.
    if (ctx.env.edge.tls) request_.ca_file = ca_file().string();
  }

  CheckOutcome run() {
    const EdgePolicy& edge = ctx_.env.edge;
    // What the backend keeps of the edge first (on aws: CloudFront and the load
    // balancer's rules, which no request from here can show), then a visitor's view.
    if (route_) {
      if (Status kept = route_->check_edge(ctx_); !kept) {
        Diagnosis diagnosis = split_advice(kept.error().message);
        return failed(kName, std::move(diagnosis.problem),
                      diagnosis.advice.empty() ? "run `wpfleet apply`" : std::move(diagnosis.advice));
      }
    }
    if (!edge.basic_auth_user) return judge(http_request(request_), "");
    // This machine's address as CloudFront sees it is unknown here, so on aws the password
    // is always asked for.
    if (!ctx_.env.aws && skips_password(edge, client_address(address_))) {
      return judge(http_request(request_),
                   " (" + client_address(address_) + " is in `allow`, so no password is asked)");
    }
    auto anonymous = http_request(request_);
    if (!anonymous) return no_answer(anonymous.error());
    if (anonymous->status != 401) {
      return failed(kName,
                    request_.url + " answers HTTP " + std::to_string(anonymous->status) +
                        " without credentials: basic auth is not enforced",
                    "run `wpfleet apply` to restore the edge config");
    }
    if (!anonymous->headers.count("www-authenticate")) {
      return failed(kName,
                    request_.url +
                        " answers 401 without a WWW-Authenticate header, so "
                        "browsers never ask for the password",
                    "run `wpfleet apply` to restore the edge config");
    }
    auto password = edge_password();
    if (!password) {
      return failed(kName, password.error().message,
                    "run `wpfleet apply` to create the environment's basic auth password");
    }
    request_.basic_auth = *edge.basic_auth_user + ":" + *password;
    return judge(http_request(request_), " with the password, 401 without");
  }


 private:
  static constexpr const char* kName = "edge";

  // The password where the backend keeps it (on aws, Secrets Manager), else in the local
  // secret store.
  Result<std::string> edge_password() {
    if (route_) {
      TRY_ASSIGN(std::optional<std::string> kept,
                 route_->environment_secret(ctx_.env, kBasicAuthPassword));
      if (kept) return *kept;
    }
    return session_.secrets->get(ctx_.env.name, kBasicAuthPassword);
  }

  fs::path ca_file() const { return session_.layout.ca_certificate(); }

  CheckOutcome judge(const Result<HttpReply>& reply, const std::string& how) const {
    if (!reply) return no_answer(reply.error());
    const long status = reply->status;
    const std::string answered = request_.url + " answers HTTP " + std::to_string(status);
    if (answers_like_a_site(status)) return passed(kName, answered + how);
    if (status == 401 && request_.basic_auth) {
      return failed(kName, answered + ": the edge refuses the environment's password",
                    "run `wpfleet apply` to restore the edge's password file");
    }
    if (status == 401) {
      const std::string why = ctx_.env.edge.basic_auth_user
                                  ? client_address(address_) + " is in `allow`"
                                  : "environment '" + ctx_.env.name + "' has no basic_auth";
      return failed(kName, answered + ": the edge asks for a password although " + why,
                    "run `wpfleet apply` to restore the edge config");
    }
    if (status >= 500) return failed(kName, answered, "see " + logs_command(ctx_));
    return failed(kName, answered + ": the edge does not pass the request to the tenant",
                  "run `wpfleet apply` to restore the tenant's route");
  }

  CheckOutcome no_answer(const Error& error) const {
    if (ctx_.env.edge.tls && certificate_problem(error)) {
      return failed(kName,
                    "the certificate of " + ctx_.hosts.front() + " does not verify against " +
                        "wpfleet's CA " + ca_file().string() + " (" + error.message + ")",
                    "run `wpfleet apply` to restore the environment's certificate");
    }
    if (ctx_.env.aws) {
      return failed(kName, "no answer from " + request_.url + " (" + error.message + ")",
                    "check the DNS record and CloudFront distribution of " + ctx_.hosts.front() +
                        " and the load balancer " + ctx_.env.aws->alb);
    }
    return failed(kName, "no answer through the edge at " + address_ + " (" + error.message + ")",
                  "check `wpfleet status`; `wpfleet up` starts the platform");
  }

  const TenantContext& ctx_;
  Session& session_;
  ResourceProvider* route_;  // null when the backend has no route provider
  std::string address_;  // the environment's listener on this machine
  HttpRequest request_;
};

// --- the admin password ----------------------------------------------------------------

// The command that replaces a tenant's secret `name` with a new one (a tenant's admin
// password is the one that rotates), or finishes a rotation left pending.
std::string rotate_command(const TenantContext& ctx, const std::string& name) {
  return "`wpfleet secret rotate " + ctx.tenant.id + " -e " + ctx.env.name + " " + name +
         (ctx.env.production ? " --approve" : "") + "`";
}

// A warning when the admin password `wpfleet secret get` prints no longer logs in: the
// site works, but whoever relies on that password is locked out. A backend that cannot
// tell is not warned about.
std::optional<CheckOutcome> admin_password_warning(const TenantContext& ctx, Engine& engine) {
  const auto check = [&]() -> Result<std::optional<bool>> {
    TRY_ASSIGN(TenantData * data, engine.tenant_data(ctx.env.name));
    return data->admin_password_logs_in(ctx);
  };
  const auto logs_in = check();
  if (!logs_in) {
    return failed("admin", "the admin password could not be checked: " + logs_in.error().message,
                  "see " + logs_command(ctx));
  }
  if (!*logs_in || **logs_in) return std::nullopt;
  return failed("admin",
                "the stored admin password does not log in as the admin user (the password "
                "was changed in WordPress, or the user is gone), so `wpfleet secret get` prints "
                "a stale one",
                "run " + rotate_command(ctx, kAdminPassword) +
                    " to set a new one in WordPress and the store");
}

// --- one tenant -----------------------------------------------------------------------

std::vector<CheckOutcome> run_checks(Providers& providers, const TenantContext& ctx,
                                     Session& session) {
  std::vector<CheckOutcome> checks;
  checks.push_back(run_provider_check(providers, kRuntimeCheck, ctx));
  checks.push_back(run_provider_check(providers, kTargetCheck, ctx));
  checks.push_back(EdgeCheck(ctx, session, providers).run());
  checks.push_back(run_provider_check(providers, kDatabaseCheck, ctx));
  checks.push_back(run_provider_check(providers, kStorageCheck, ctx));
  checks.push_back(run_provider_check(providers, kSecretsCheck, ctx));
  checks.push_back(run_provider_check(providers, kSiteCheck, ctx));
  return checks;
}

// An asleep tenant (`wpfleet tenant sleep`) takes no requests by design, so the edge
// (and on aws the target, which has no task) is not asked; its runtime's check knows how
// asleep looks, and what it keeps (database, files, secrets, site) is checked as usual.
// A sleep or wake that did not finish fails, naming the command that finishes it.
std::vector<CheckOutcome> asleep_checks(Providers& providers, const TenantContext& ctx,
                                        const SleepRecord& sleep) {
  const std::string id = ctx.tenant.id + " -e " + ctx.env.name;
  std::vector<CheckOutcome> checks;
  if (sleep.state == SleepState::Asleep) {
    checks.push_back(passed("asleep", "asleep since " + utc_text(sleep.since, "%Y-%m-%d %H:%M UTC") +
                                          ": wake with `wpfleet tenant wake " + id + "`"));
  } else {
    const std::string command = sleep.state == SleepState::Sleeping ? "sleep" : "wake";
    checks.push_back(failed("asleep",
                            "`wpfleet tenant " + command +
                                "` did not finish (a crash, a kill or a failure stopped it)",
                            "run `wpfleet tenant " + command + " " + id + "` again"));
  }
  checks.push_back(run_provider_check(providers, kRuntimeCheck, ctx));
  if (!ctx.env.aws) checks.push_back(run_provider_check(providers, kTargetCheck, ctx));
  for (const auto* check : {&kDatabaseCheck, &kStorageCheck, &kSecretsCheck, &kSiteCheck}) {
    checks.push_back(run_provider_check(providers, *check, ctx));
  }
  return checks;
}

// --- work left unfinished ----------------------------------------------------------------

// `holder`: the command holding the state lock, which may be doing the work right now.
std::vector<CheckOutcome> unfinished_checks(const std::vector<Unfinished>& work,
                                            const Placement& placement,
                                            const std::optional<std::string>& holder) {
  std::vector<CheckOutcome> checks;
  for (const auto& u : work) {
    if (u.env != placement.environment->name || u.tenant != placement.tenant->id) continue;
    if (holder) {
      checks.push_back(failed("unfinished",
                              u.what + " is not finished; " + *holder + " holds the lock",
                              "wait for that command to finish, then run `wpfleet verify` again"));
    } else {
      checks.push_back(failed("unfinished",
                              u.what + " did not finish (a crash, a kill or a failure stopped it)",
                              "run `wpfleet apply` to finish or undo it"));
    }
  }
  return checks;
}

// A rotation stopped between storing its new value as pending and making it current
// (state/secret_store.h): WordPress may have the new value while `wpfleet secret get`
// prints the old one. The rotate command finishes it with the pending value.
std::vector<CheckOutcome> pending_rotation_checks(const TenantContext& ctx, Session& session) {
  auto names = session.secrets->names(tenant_secret_scope(ctx.env.name, ctx.tenant.id));
  if (!names) return {failed("unfinished", names.error().message, "check the state directory")};
  std::vector<CheckOutcome> checks;
  for (const auto& name : *names) {
    if (!name.ends_with(kPendingSuffix)) continue;
    const std::string rotated = name.substr(0, name.size() - kPendingSuffix.size());
    const std::string what = "the rotation of " + rotated + " of " + ctx.env.name + "/" +
                             ctx.tenant.id + " (`wpfleet secret rotate`)";
    if (const auto holder = StateLock::holder(session.layout)) {
      checks.push_back(failed("unfinished", what + " is not finished; " + *holder + " holds the lock",
                              "wait for that command to finish, then run `wpfleet verify` again"));
    } else {
      checks.push_back(failed("unfinished",
                              what + " did not finish (a crash, a kill or a failure stopped it)",
                              "run " + rotate_command(ctx, rotated) + " to finish it"));
    }
  }
  return checks;
}

std::vector<LogSource> log_sources(const Providers& providers, const TenantContext& ctx) {
  std::vector<LogSource> sources;
  for (const auto& provider : providers) {
    for (auto& source : provider->logs(ctx)) sources.push_back(std::move(source));
  }
  return sources;
}

std::vector<LogExcerpt> recent_errors(const std::vector<LogSource>& sources, std::size_t count) {
  std::vector<LogExcerpt> excerpts;
  for (const auto& source : sources) {
    if (!source.name.ends_with(kErrorLogSuffix)) continue;
    LogExcerpt excerpt{source.name, source.path, {}};
    auto lines = last_log_lines(source, count);
    excerpt.lines = lines ? std::move(*lines) : std::vector<std::string>{lines.error().message};
    excerpts.push_back(std::move(excerpt));
  }
  return excerpts;
}

TenantVerification verify_tenant(const Placement& placement, bool applied, Engine& engine,
                                 Session& session, const VerifyOptions& options) {
  const TenantContext ctx = make_tenant_context(*placement.tenant, *placement.environment);
  TenantVerification out{ctx.env.name, ctx.tenant.id, ctx.home_url + "/", {}, {}, {}};
  if (!applied) {
    out.checks.push_back(failed("applied", "not applied yet", "run `wpfleet apply`"));
    return out;
  }
  auto providers = engine.providers(ctx.env.name);
  if (!providers) {
    out.checks.push_back(failed("backend", providers.error().message,
                                "check the environment's backend in the fleet file"));
    return out;
  }
  auto sleep = session.store->sleep_record(ctx.env.name, ctx.tenant.id);
  if (!sleep) {
    out.checks.push_back(failed("asleep", sleep.error().message, "check the state directory"));
    return out;
  }
  out.checks = *sleep ? asleep_checks(**providers, ctx, **sleep) : run_checks(**providers, ctx, session);
  out.recent_errors = recent_errors(log_sources(**providers, ctx), options.error_lines);
  return out;
}

// --- addresses --------------------------------------------------------------------------

// An IPv4 (4 bytes) or IPv6 (16 bytes) address; nothing when the text is neither.
std::optional<std::vector<unsigned char>> parse_address(std::string text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  unsigned char bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return std::vector(bytes, bytes + 4);
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) return std::vector(bytes, bytes + 16);
  return std::nullopt;
}

bool in_range(const std::vector<unsigned char>& address, const std::string& cidr) {
  const auto slash = cidr.find('/');
  const auto network = parse_address(cidr.substr(0, slash));
  if (!network || network->size() != address.size()) return false;
  int bits = static_cast<int>(address.size()) * 8;
  if (slash != std::string::npos) {
    std::from_chars(cidr.data() + slash + 1, cidr.data() + cidr.size(), bits);
  }
  for (std::size_t i = 0; i < address.size() && bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((address[i] & mask) != ((*network)[i] & mask)) return false;
  }
  return true;
}

// --- reading logs -----------------------------------------------------------------------

std::vector<std::string> split_last_lines(const std::string& text, std::size_t count) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
  return lines;
}
}  // namespace

Result<std::vector<Unfinished>> unfinished_work(StateStore& store) {
  std::vector<Unfinished> out;
  TRY_ASSIGN(auto entries, store.unfinished_operations());
  for (const auto& entry : entries) {
    out.push_back({entry.env, entry.tenant,
                   "the " + entry.operation + " of " + entry.env + "/" + entry.tenant +
                       " at step '" + entry.step + "'"});
  }
  TRY_ASSIGN(auto operations, store.operations());
  for (const auto& op : operations) {
    if (op.status != "running") continue;
    out.push_back({op.target_env, op.tenant,
                   "operation " + op.id + " (" + op.kind +
                       (op.source_env.empty() ? "" : " from " + op.source_env) + ") at step '" +
                       op.step + "'"});
  }
  return out;
}

bool TenantVerification::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const CheckOutcome& c) { return c.ok; });
}

Result<std::vector<TenantVerification>> verify_tenants(const Fleet& fleet, Session& session,
                                                       Engine& engine,
                                                       const VerifyOptions& options) {
  const auto wanted = placements(fleet, options.scope.envs, options.scope.tenants);
  TRY_ASSIGN(const auto applied, applied_tenants(*session.store));
  TRY_ASSIGN(const auto unfinished, unfinished_work(*session.store));
  const auto holder = unfinished.empty() ? std::nullopt : StateLock::holder(session.layout);
  std::vector<TenantVerification> out(wanted.size());
  run_parallel(wanted.size(), options.parallelism, [&](std::size_t i) {
    const Placement& p = wanted[i];
    const bool is_applied = applied.count({p.environment->name, p.tenant->id}) > 0;
    out[i] = verify_tenant(p, is_applied, engine, session, options);
    for (auto& check : unfinished_checks(unfinished, p, holder))
      out[i].checks.push_back(std::move(check));
    if (is_applied) {
      const TenantContext ctx = make_tenant_context(*p.tenant, *p.environment);
      for (auto& check : pending_rotation_checks(ctx, session)) {
        out[i].checks.push_back(std::move(check));
      }
      // Only a working site's admin password is worth checking, so it is checked once
      // every failure is known: beside a rotation left pending, a stale password would
      // only repeat that failure's fix.
      if (options.admin_password && out[i].ok()) {
        if (auto warning = admin_password_warning(ctx, engine)) {
          out[i].warnings.push_back(std::move(*warning));
        }
      }
    }
  });
  return out;
}

Diagnosis split_advice(const std::string& message) {
  std::size_t advice_at = std::string::npos;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i + 1 < message.size(); ++i) {
    const char c = message[i];
    if (c == '`') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (depth == 0 && c == ':' && message[i + 1] == ' ') advice_at = i;
  }
  if (advice_at == std::string::npos || message.find("`wpfleet ", advice_at) == std::string::npos) {
    return {message, ""};
  }
  return {message.substr(0, advice_at), message.substr(advice_at + 2)};
}

bool skips_password(const EdgePolicy& edge, const std::string& address) {
  const auto parsed = parse_address(address);
  return parsed && std::any_of(edge.allow.begin(), edge.allow.end(),
                               [&](const std::string& cidr) { return in_range(*parsed, cidr); });
}

Result<std::vector<LogSource>> tenant_log_sources(Engine& engine, const TenantContext& ctx) {
  TRY_ASSIGN(Providers * providers, engine.providers(ctx.env.name));
  return log_sources(*providers, ctx);
}

Result<std::vector<std::string>> last_log_lines(const LogSource& source, std::size_t count) {
  if (source.reader) return source.reader->last_lines(count);
  return last_log_lines(fs::path(source.path), count);
}

Result<std::vector<std::string>> last_log_lines(const fs::path& path, std::size_t count) {
  // Regular files only, never through a link: a tenant's log once lived where the tenant
  // could plant one (to /etc/shadow, say), and wpfleet reads it as root.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::vector<std::string>{};
  if (fd < 0 && errno == ELOOP) {
    return make_error(path.string() + " is a symlink: refusing to read it (`wpfleet apply` removes it)");
  }
  if (fd < 0) return make_error("cannot read " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(path.string() + " is not a regular file: refusing to read it (`wpfleet apply` removes it)");
  }
  // Read backwards in chunks until the text holds the line break before the first
  // wanted line, or the whole file.
  constexpr off_t kChunk = 64 * 1024;
  std::string text;
  std::size_t line_breaks = 0;
  off_t start = st.st_size;
  while (start > 0 && line_breaks <= count) {
    const off_t size = std::min(kChunk, start);
    std::string chunk(static_cast<std::size_t>(size), '\0');
    if (::pread(fd, chunk.data(), chunk.size(), start - size) != size) {
      const int saved = errno;
      ::close(fd);
      return make_error("cannot read " + path.string() + ": " + std::strerror(saved));
    }
    start -= size;
    line_breaks += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    text.insert(0, chunk);
  }
  ::close(fd);
  return split_last_lines(text, count);
}

}  // namespace wpfleet
