#include "engine/engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "util/crypto.h"

namespace wpfleet {

namespace {

using PlacementKey = std::pair<std::string, std::string>;

bool listed(const std::vector<std::string>& filter, const std::string& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

std::string past_tense(ActionType type) {
  switch (type) {
    case ActionType::Create: return "created";
    case ActionType::Adopt: return "adopted";
    case ActionType::Update: return "updated";
    case ActionType::Delete: return "deleted";
  }
  return "";
}

std::string seconds_since(std::chrono::steady_clock::time_point start) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2fs", s);
  return buffer;
}

// What one tenant in one environment has to do in this apply.
struct TenantWork {
  std::string env;
  std::string tenant;
  std::vector<const Action*> actions;
  std::int64_t journal_id = 0;
  bool deleting = false;
  int changes = 0;
  std::string error;

  const Action* action_for(ResourceKind kind, bool deletes) const {
    for (const Action* action : actions) {
      if (action->key.kind == kind && (action->type == ActionType::Delete) == deletes) return action;
    }
    return nullptr;
  }
};
}  // namespace

bool ApplyReport::ok() const {
  return std::all_of(tenants.begin(), tenants.end(),
                     [](const TenantOutcome& t) { return t.error.empty(); });
}

Result<std::set<PlacementKey>> applied_tenants(StateStore& store) {
  TRY_ASSIGN(auto records, store.resources());
  std::set<PlacementKey> applied;
  for (const auto& record : records) {
    if (record.kind == kind_name(ResourceKind::Site)) applied.insert({record.env, record.tenant});
  }
  return applied;
}

void run_parallel(std::size_t count, int parallelism, const std::function<void(std::size_t)>& job) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) job(i);
  };
  const std::size_t threads = std::min<std::size_t>(count, std::max(1, parallelism));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (threads > 0) worker();
  for (auto& thread : pool) thread.join();
}

Engine::Engine(const Fleet& fleet, Session& session)
    : fleet_(fleet),
      session_(session),
      backend_context_{session.layout, *session.store, *session.secrets} {}

Status Engine::validate_scope(const Scope& scope) const {
  for (const auto& env : scope.envs) {
    if (!fleet_.find_environment(env)) {
      std::string known;
      for (const auto& [name, e] : fleet_.environments) known += (known.empty() ? "" : ", ") + name;
      return make_error("unknown environment '" + env + "'; the fleet file defines: " + known);
    }
  }
  TRY_ASSIGN(auto records, session_.store->resources());
  for (const auto& tenant : scope.tenants) {
    const bool recorded = std::any_of(records.begin(), records.end(),
                                      [&](const ResourceRecord& r) { return r.tenant == tenant; });
    if (!fleet_.find_tenant(tenant) && !recorded) {
      return make_error("unknown tenant '" + tenant +
                        "': it is neither in the fleet file nor managed by wpfleet; "
                        "see `wpfleet tenant list`");
    }
  }
  return {};
}

Result<Providers*> Engine::providers_for(const std::string& env_name) {
  const Environment* env = fleet_.find_environment(env_name);
  if (!env) {
    return make_error("environment '" + env_name +
                      "' is no longer in the fleet file, so wpfleet cannot reach its "
                      "backend: put it back to manage its tenants");
  }
  std::lock_guard lock(providers_mutex_);
  auto it = providers_.find(env->backend);
  if (it == providers_.end()) {
    TRY_ASSIGN(Providers made, make_providers(env->backend, backend_context_));
    it = providers_.emplace(env->backend, std::move(made)).first;
  }
  return &it->second;
}

Result<ResourceProvider*> Engine::provider_for(const std::string& env, ResourceKind kind) {
  TRY_ASSIGN(Providers * providers, providers_for(env));
  for (auto& provider : *providers) {
    if (provider->kind() == kind) return provider.get();
  }
  return make_error("the backend of environment '" + env + "' has no " +
                    std::string(kind_name(kind)) + " resources");
}

Result<std::set<PlacementKey>> Engine::recover(const ProgressFn& progress) {
  std::set<PlacementKey> deleting;
  // A kill may have come between a kind's ensure() and its commit() (the reload that
  // makes a written config live), or while a commit begun earlier in the same apply was
  // still checking the configuration before it signalled the server (a new tenant's
  // reloads run on during its later steps): every commit of that environment is made
  // again.
  std::set<std::pair<std::string, ResourceKind>> uncommitted;
  TRY_ASSIGN(auto entries, session_.store->unfinished_operations());
  for (const auto& entry : entries) {
    const auto kind_end = entry.step.find(':');
    const auto step_kind = kind_end == std::string::npos
                               ? std::nullopt
                               : kind_from_name(entry.step.substr(0, kind_end));
    if (step_kind && fleet_.find_environment(entry.env)) {
      for (ResourceKind kind : kApplyOrder) uncommitted.insert({entry.env, kind});
    }
    progress("resuming: the " + entry.operation + " of " + entry.env + "/" + entry.tenant +
             " did not finish (it stopped at step '" + entry.step + "')");
    if (entry.operation == "delete") {
      deleting.insert({entry.env, entry.tenant});
    } else if (const auto colon = entry.step.find(":create"); colon != std::string::npos) {
      const Environment* env = fleet_.find_environment(entry.env);
      const auto kind = kind_from_name(entry.step.substr(0, colon));
      // A resource recorded before was complete once: what is left is content that
      // ensure() repairs, never a first create to throw away.
      TRY_ASSIGN(bool recorded, session_.store->has_resource(entry.env, entry.tenant,
                                                             entry.step.substr(0, colon)));
      if (env && kind && !recorded) {
        TRY_ASSIGN(ResourceProvider * provider, provider_for(entry.env, *kind));
        TRY(provider->discard_interrupted(*env, entry.tenant));
      }
    }
    TRY(session_.store->journal_finish(entry.id));
  }
  for (const auto& [env, kind] : uncommitted) {
    TRY_ASSIGN(ResourceProvider * provider, provider_for(env, kind));
    TRY(provider->commit());
  }
  return deleting;
}

Result<ObservedState> Engine::observe(const std::vector<Placement>& placements,
                                      const Scope& scope) {
  ObservedState observed;
  std::map<std::string, std::set<std::string>> candidates;  // env -> tenants
  TRY_ASSIGN(auto records, session_.store->resources());
  for (const auto& record : records) {
    if (!listed(scope.envs, record.env) || !listed(scope.tenants, record.tenant)) continue;
    const auto kind = kind_from_name(record.kind);
    if (!kind) continue;
    observed.recorded[{record.env, record.tenant, *kind}] = record.fingerprint;
    candidates[record.env].insert(record.tenant);
  }
  for (const auto& p : placements) candidates[p.environment->name].insert(p.tenant->id);
  for (const auto& [env_name, tenants] : candidates) {
    const Environment* env = fleet_.find_environment(env_name);
    if (!env) continue;
    TRY_ASSIGN(Providers * providers, providers_for(env_name));
    for (auto& provider : *providers) {
      TRY_ASSIGN(auto found, provider->existing(*env, tenants));
      for (const auto& tenant : found) observed.existing.insert({env_name, tenant, provider->kind()});
    }
  }
  return observed;
}

Result<Plan> Engine::plan(const Scope& scope, const std::set<PlacementKey>& deleting,
                          ObservedState* observed_out) {
  const auto wanted = placements(fleet_, scope.envs, scope.tenants);
  std::vector<DesiredResource> desired;
  for (const auto& p : wanted) {
    const TenantContext ctx = make_tenant_context(*p.tenant, *p.environment);
    TRY_ASSIGN(Providers * providers, providers_for(p.environment->name));
    for (auto& provider : *providers) {
      desired.push_back({{p.environment->name, p.tenant->id, provider->kind()},
                         provider->fingerprint(ctx)});
    }
  }
  TRY_ASSIGN(ObservedState observed, observe(wanted, scope));
  Plan plan = make_plan(desired, observed, PlanOptions{scope.prune, deleting});
  if (observed_out) *observed_out = std::move(observed);
  return plan;
}

ApplyReport Engine::apply(const Plan& plan, int parallelism, const ProgressFn& progress) {
  std::map<PlacementKey, TenantWork> works;
  for (const auto& action : plan.actions) {
    TenantWork& work = works[{action.key.env, action.key.tenant}];
    work.env = action.key.env;
    work.tenant = action.key.tenant;
    work.deleting = work.deleting || action.type == ActionType::Delete;
    work.actions.push_back(&action);
  }
  for (auto& [key, work] : works) {
    auto id = session_.store->journal_begin(work.deleting ? "delete" : "apply", work.env, work.tenant);
    if (id) {
      work.journal_id = *id;
    } else {
      work.error = id.error().message;
    }
  }

  std::set<std::pair<std::string, ResourceKind>> creating;
  for (const auto& action : plan.actions) {
    if (action.type == ActionType::Create) creating.insert({action.key.env, action.key.kind});
  }
  for (const auto& [env, kind] : creating) {
    const Environment* environment = fleet_.find_environment(env);
    auto provider = provider_for(env, kind);
    if (environment && provider) (*provider)->prepare(*environment);
  }

  std::mutex progress_mutex;
  auto say = [&](const std::string& line) {
    std::lock_guard lock(progress_mutex);
    progress(line);
  };

  auto run_step = [&](TenantWork& work, const Action& action) -> Status {
    const auto started = std::chrono::steady_clock::now();
    const std::string kind(kind_name(action.key.kind));
    TRY(session_.store->journal_step(work.journal_id,
                                     kind + (action.type == ActionType::Create ? ":create" : "")));
    TRY_ASSIGN(ResourceProvider * provider, provider_for(work.env, action.key.kind));
    const Environment* env = fleet_.find_environment(work.env);
    if (action.type == ActionType::Delete) {
      TRY(provider->remove(*env, work.tenant));
      TRY(session_.store->forget_resource(work.env, work.tenant, kind));
    } else {
      const TenantContext ctx = make_tenant_context(*fleet_.find_tenant(work.tenant), *env);
      TRY_ASSIGN(std::string detail, provider->ensure(ctx));
      ResourceRecord record{work.env, work.tenant, kind, provider->fingerprint(ctx), detail, 0};
      TRY(session_.store->record_resource(record));
    }
    ++work.changes;
    say(work.env + "/" + work.tenant + ": " + kind + " " + past_tense(action.type) + " (" +
        seconds_since(started) + ")");
    return {};
  };

  auto run_phase = [&](ResourceKind kind, bool deletes) {
    std::vector<std::pair<TenantWork*, const Action*>> todo;
    for (auto& [key, work] : works) {
      if (!work.error.empty()) continue;
      if (const Action* action = work.action_for(kind, deletes)) todo.push_back({&work, action});
    }
    run_parallel(todo.size(), parallelism, [&](std::size_t i) {
      auto [work, action] = todo[i];
      if (Status status = run_step(*work, *action); !status) {
        work->error = std::string(kind_name(kind)) + ": " + status.error().message;
        say(work->env + "/" + work->tenant + ": FAILED at " + work->error);
      }
    });
    std::map<ResourceProvider*, std::vector<TenantWork*>> touched;
    for (auto& [work, action] : todo) {
      if (auto provider = provider_for(work->env, kind)) touched[*provider].push_back(work);
    }
    for (auto& [provider, tenants] : touched) {
      if (Status status = provider->commit(); !status) {
        for (TenantWork* work : tenants) {
          if (work->error.empty()) work->error = std::string(kind_name(kind)) + ": " + status.error().message;
        }
        say("FAILED to activate " + std::string(kind_name(kind)) + " changes: " +
            status.error().message);
      }
    }
  };

  for (ResourceKind kind : kApplyOrder) run_phase(kind, false);
  for (auto it = kApplyOrder.rbegin(); it != kApplyOrder.rend(); ++it) run_phase(*it, true);

  ApplyReport report;
  for (auto& [key, work] : works) {
    if (work.error.empty()) {
      Status finished = work.deleting ? session_.store->forget_tenant(work.env, work.tenant) : Status{};
      if (finished) finished = session_.store->journal_finish(work.journal_id);
      if (!finished) work.error = finished.error().message;
    }
    report.tenants.push_back({work.env, work.tenant, work.changes, work.error});
  }
  return report;
}

ApplyReport Engine::delete_tenant(const std::string& env, const std::string& tenant,
                                  const ProgressFn& progress) {
  Scope scope{{env}, {tenant}, false};
  auto planned = plan(scope, {{env, tenant}});
  if (!planned) return ApplyReport{{{env, tenant, 0, planned.error().message}}};
  return apply(*planned, 1, progress);
}

Status Engine::converge_tenant(const std::string& env, const std::string& tenant,
                               const ProgressFn& progress) {
  TRY_ASSIGN(Plan planned, plan(Scope{{env}, {tenant}, false}));
  if (planned.empty()) return {};
  ApplyReport report = apply(planned, 1, progress);
  for (const auto& outcome : report.tenants) {
    if (!outcome.error.empty()) return make_error(outcome.error);
  }
  return {};
}

Status Engine::refresh(const std::string& env, const std::string& tenant, ResourceKind kind) {
  TRY_ASSIGN(TenantContext ctx, context(env, tenant));
  TRY_ASSIGN(ResourceProvider * provider, provider_for(env, kind));
  TRY_ASSIGN(std::string detail, provider->ensure(ctx));
  return session_.store->record_resource(
      {env, tenant, std::string(kind_name(kind)), provider->fingerprint(ctx), detail, 0});
}

Result<TenantData*> Engine::tenant_data(const std::string& env_name) {
  const Environment* env = fleet_.find_environment(env_name);
  if (!env) return make_error("unknown environment '" + env_name + "'");
  std::lock_guard lock(providers_mutex_);
  auto it = tenant_data_.find(env->backend);
  if (it == tenant_data_.end()) {
    TRY_ASSIGN(auto made, make_tenant_data(env->backend, backend_context_));
    it = tenant_data_.emplace(env->backend, std::move(made)).first;
  }
  return it->second.get();
}

Result<TenantContext> Engine::context(const std::string& env_name, const std::string& tenant_id) const {
  const Environment* env = fleet_.find_environment(env_name);
  const Tenant* tenant = fleet_.find_tenant(tenant_id);
  if (!env || !tenant ||
      std::find(tenant->environments.begin(), tenant->environments.end(), env_name) ==
          tenant->environments.end()) {
    return make_error("tenant '" + tenant_id + "' is not in environment '" + env_name +
                      "' in the fleet file: add \"" + env_name + "\" to its environments first");
  }
  return make_tenant_context(*tenant, *env);
}

Status Engine::rotate_environment_secret(const std::string& env_name, const std::string& name) {
  const Environment* env = fleet_.find_environment(env_name);
  if (!env) return make_error("unknown environment '" + env_name + "'");
  if (name == kBasicAuthPassword && !env->edge.basic_auth_user) {
    return make_error("environment '" + env_name +
                      "' has no basic auth: add basic_auth = { user = \"...\" } to it first");
  }
  if (env->aws) {
    // Secrets Manager holds an aws environment's secrets: its providers make the new
    // value there (and refuse a name they do not keep) and bring the edge up to date.
    TRY_ASSIGN(Providers * providers, providers_for(env_name));
    for (auto& provider : *providers) TRY(provider->secret_changed(*env, name));
    return {};
  }
  if (name != kBasicAuthPassword) {
    return make_error("'" + name + "' cannot be rotated; the environment secret that can is " +
                      std::string(kBasicAuthPassword));
  }
  TRY_ASSIGN(std::string value, random_password(32));
  TRY(session_.secrets->put(env_name, name, value));
  TRY_ASSIGN(Providers * providers, providers_for(env_name));
  for (auto& provider : *providers) TRY(provider->secret_changed(*env, name));
  return {};
}

std::vector<TenantHealth> Engine::health(const Scope& scope, int parallelism) {
  const auto wanted = placements(fleet_, scope.envs, scope.tenants);
  auto applied = applied_tenants(*session_.store);
  const std::set<PlacementKey> installed = applied ? *applied : std::set<PlacementKey>{};
  std::vector<TenantHealth> out(wanted.size());
  run_parallel(wanted.size(), parallelism, [&](std::size_t i) {
    const Placement& p = wanted[i];
    const TenantContext ctx = make_tenant_context(*p.tenant, *p.environment);
    TenantHealth& health = out[i];
    health = {p.environment->name, p.tenant->id, ctx.home_url + "/", false, "", ""};
    health.applied = installed.count({health.env, health.tenant}) > 0;
    if (!health.applied) {
      health.problem = "not applied yet: run `wpfleet apply`";
      return;
    }
    // An asleep tenant answers no request by design; a sleep or wake begun and not
    // finished is a problem, with the command that finishes it.
    auto sleep = session_.store->sleep_record(health.env, health.tenant);
    if (sleep && *sleep) {
      const std::string id = health.tenant + " -e " + health.env;
      if ((*sleep)->state == SleepState::Asleep) {
        health.asleep = "asleep: wake with `wpfleet tenant wake " + id + "`";
      } else {
        const std::string command = (*sleep)->state == SleepState::Sleeping ? "sleep" : "wake";
        health.problem = "`wpfleet tenant " + command + "` did not finish: run `wpfleet tenant " +
                         command + " " + id + "` again";
      }
      return;
    }
    auto providers = providers_for(health.env);
    if (!providers) {
      health.problem = providers.error().message;
      return;
    }
    for (auto& provider : **providers) {
      if (Status status = provider->check(ctx); !status) {
        health.problem = std::string(kind_name(provider->kind())) + ": " + status.error().message;
        return;
      }
    }
  });
  return out;
}

}  // namespace wpfleet
