// The seam between the engine and a backend: one provider per resource kind.
//
// The engine decides *what* to do (plan: desired vs observed); a provider knows *how*
// on its platform. Every method is idempotent: ensure() creates what is missing, adopts
// what already exists and converges what differs, so re-running after a failure or a
// crash is always safe.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backends/resource.h"
#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet {

// One tenant in one environment, with what every provider needs to know about it.
struct TenantContext {
  const Tenant& tenant;
  const Environment& env;
  std::vector<std::string> hosts;  // primary host first, then aliases
  std::string home_url;            // e.g. http://goldencrust.wpdev.localhost:8080
};

TenantContext make_tenant_context(const Tenant& tenant, const Environment& env);

// Reads a log that is not a file (on `aws`, CloudWatch Logs).
class LogReader {
 public:
  virtual ~LogReader() = default;
  // The last `count` lines, oldest first.
  virtual Result<std::vector<std::string>> last_lines(std::size_t count) = 0;
  // Lines written since the previous call (the first call: since now), for --follow.
  virtual Result<std::vector<std::string>> new_lines() = 0;
};

// A log a provider keeps for a tenant: on `local`, a file; elsewhere, a reader.
struct LogSource {
  std::string name;  // e.g. "php-error", "nginx-access"
  std::string path;  // the file, or where the reader reads (e.g. "/ecs/sit goldencrust/...")
  std::shared_ptr<LogReader> reader;  // null: the file at `path`
};

class ResourceProvider {
 public:
  virtual ~ResourceProvider() = default;
  virtual ResourceKind kind() const = 0;

  // A hash of every input this resource is built from; a change means "update".
  virtual std::string fingerprint(const TenantContext& ctx) const = 0;

  // Tenant ids whose resource of this kind exists in `env` right now (observed reality,
  // not wpfleet's records), among `candidates`.
  virtual Result<std::set<std::string>> existing(const Environment& env,
                                                 const std::set<std::string>& candidates) = 0;

  // Create, adopt or converge. Returns details worth showing later (JSON object text:
  // names, never secret values).
  virtual Result<std::string> ensure(const TenantContext& ctx) = 0;

  // Remove; a resource that is already gone is not an error.
  virtual Status remove(const Environment& env, const std::string& tenant_id) = 0;

  // Called once per apply, before the first ensure() of any kind, when the plan creates
  // this kind for a tenant of `env`: work all those creates share and that needs no
  // earlier kind (compiling core, a template) may begin here, on a thread of the
  // provider's, and go on while the earlier kinds are made. Its errors are the
  // ensure()s' to report: they do the same work again, or wait for it.
  virtual void prepare(const Environment& /*env*/) {}

  // Called once after a batch of ensure/remove calls of this kind, e.g. to reload a
  // server once for many config files.
  virtual Status commit() { return {}; }

  // Undo what an ensure() interrupted half-way (a crash during a first create) left
  // behind that a new ensure() could not build on. Most ensure()s need nothing here.
  virtual Status discard_interrupted(const Environment& /*env*/,
                                     const std::string& /*tenant_id*/) {
    return {};
  }

  // Whether the resource works for this tenant now. The error reads "problem: advice",
  // the advice naming the wpfleet command to run (verify shows the two apart).
  virtual Status check(const TenantContext& /*ctx*/) { return {}; }
  // What verify reports beside a passing check (the runtime: the WordPress version the
  // tenant runs); empty for nothing more.
  virtual std::string describe(const TenantContext& /*ctx*/) { return ""; }

  // An environment-wide secret (e.g. the basic auth password) has a new value: bring
  // whatever holds a copy or a hash of it up to date, without interrupting service.
  virtual Status secret_changed(const Environment& /*env*/, const std::string& /*name*/) {
    return {};
  }

  // The environment's edge as the backend's own records show it, for this tenant (on
  // aws: the CloudFront distribution, its function and the load balancer's rules, through
  // the API); verify requests the public URL besides. "problem: advice" when it is wrong.
  virtual Status check_edge(const TenantContext& /*ctx*/) { return {}; }

  // An environment-wide secret that this backend keeps itself (on aws, in Secrets
  // Manager); nullopt when it keeps none and the local secret store has it.
  virtual Result<std::optional<std::string>> environment_secret(const Environment& /*env*/,
                                                                const std::string& /*name*/) {
    return std::optional<std::string>();
  }

  // The logs this resource writes for the tenant; a source named "*-error" holds errors
  // (verify shows their last lines).
  virtual std::vector<LogSource> logs(const TenantContext& /*ctx*/) const { return {}; }
};

}  // namespace wpfleet
