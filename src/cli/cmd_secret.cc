// secret get: the one way to read a secret, by name.
#include <algorithm>
#include <iostream>
#include <memory>

#include "backends/aws/edge.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"
#include "backends/aws/tenant_secret.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "engine/engine.h"

namespace wpfleet::cli {

namespace {
struct SecretOptions {
  std::vector<std::string> args;  // [TENANT] NAME
  std::string env;
  bool approve = false;
};

// What rotate tells the user (on stderr, or as the JSON document): which secret changed
// and the command that prints it, the only way it is shown.
int report_rotated(Context& ctx, const std::string& env, const std::string& tenant,
                   const std::string& name) {
  const std::string owner = tenant.empty() ? env : env + "/" + tenant;
  const std::string read_with = ready_to_paste(
      "`wpfleet secret get " + (tenant.empty() ? "" : tenant + " ") + "-e " + env + " " + name + "`");
  if (ctx.options().json()) {
    ctx.print_json({{"rotated", name}, {"env", env}, {"tenant", tenant}, {"read_with", read_with}});
  } else {
    std::cerr << "rotated " << name << " of " << owner << "; read it with " << read_with << "\n";
  }
  return kExitOk;
}

int rotate_environment_command(Context& ctx, const SecretOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::Exclusive, "secret rotate");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  if (Status rotated = engine.rotate_environment_secret(o.env, o.args[0]); !rotated) {
    // The engine refuses a name or environment it cannot rotate before changing anything
    // (invalid input); anything else failed on the way (AWS, a reload).
    const Environment* env = fleet->find_environment(o.env);
    const std::string& name = o.args[0];
    const bool valid = env && (name == kBasicAuthPassword ? env->edge.basic_auth_user.has_value()
                                                          : env->aws && name == aws_backend::kOriginSecret);
    return fail(rotated.error(), valid ? kExitFailure : kExitInvalidInput);
  }
  return report_rotated(ctx, o.env, "", o.args[0]);
}

// A tenant's admin password, once the client changed it in WordPress (verify warns when
// the stored one no longer logs in). A rotation stopped on the way leaves its new value
// pending, which verify fails naming this command; running it again finishes the work.
int rotate_admin_password_command(Context& ctx, const SecretOptions& o) {
  const std::string& tenant = o.args[0];
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  const Environment* env = fleet->find_environment(o.env);
  if (!env) return fail("unknown environment '" + o.env + "' (see `wpfleet tenant list`)", kExitInvalidInput);
  // The client's own password stops working: in production that is theirs to agree to.
  if (env->production && !o.approve) {
    return fail(o.env + " is a production environment: replacing the admin password of " +
                    tenant + " there locks out whoever uses the one set in WordPress, and needs "
                    "--approve",
                kExitInvalidInput);
  }
  int exit_code = kExitOk;
  auto bench = open_workbench(ctx, std::move(*fleet), "secret rotate", LockMode::Exclusive,
                              exit_code, {o.env});
  if (!bench) return exit_code;
  auto placed = bench->engine->context(o.env, tenant);
  if (!placed) return fail(placed.error(), kExitInvalidInput);
  auto applied = bench->session.store->has_resource(o.env, tenant, "site");
  if (!applied) return fail(applied.error(), kExitFailure);
  if (!*applied) {
    return fail(o.env + "/" + tenant + " is not applied yet, so it has no admin password: run "
                "`wpfleet apply -e " + o.env + "`",
                kExitInvalidInput);
  }
  auto data = bench->engine->tenant_data(o.env);
  if (!data) return fail(data.error(), kExitFailure);
  if (Status rotated = (*data)->rotate_admin_password(*placed); !rotated) {
    return fail("the admin password of " + o.env + "/" + tenant + " is not rotated yet (" +
                    rotated.error().message + "): run `wpfleet secret rotate " + tenant + " -e " +
                    o.env + " " + kAdminPassword + (o.approve ? " --approve" : "") +
                    "` again to finish",
                kExitFailure);
  }
  return report_rotated(ctx, o.env, tenant, kAdminPassword);
}

constexpr const char* kRotateUsage =
    "usage: wpfleet secret rotate -e ENV NAME (basic-auth-password; on aws also origin-secret), "
    "or wpfleet secret rotate TENANT -e ENV admin-password";

int rotate_command(Context& ctx, const SecretOptions& o) {
  if (o.args.size() == 1) return rotate_environment_command(ctx, o);
  if (o.args.size() == 2 && o.args[1] == kAdminPassword) {
    return rotate_admin_password_command(ctx, o);
  }
  if (o.args.size() == 2) {
    return fail("'" + o.args[1] + "' of a tenant cannot be rotated; the one that can is " +
                    kAdminPassword + " (" + kRotateUsage + ")",
                kExitInvalidInput);
  }
  return fail(kRotateUsage, kExitInvalidInput);
}

// The one place a secret is printed: the value alone on its line, or in the JSON document.
int print_secret(Context& ctx, const std::string& env, const std::string& tenant,
                 const std::string& name, const std::string& value) {
  if (ctx.options().json()) {
    ctx.print_json({{"env", env}, {"tenant", tenant}, {"name", name}, {"value", value}});
  } else {
    std::cout << value << "\n";
  }
  return kExitOk;
}

// Why `name` could not be read from `scope`, naming the secrets that are there: a
// mistyped name, a mistyped tenant (nothing there), or one that apply has yet to make.
std::string unknown_secret(const SecretStore& secrets, const std::string& scope,
                           const std::string& name, const Error& error) {
  auto names = secrets.names(scope);
  if (!names) return error.message;
  if (names->empty()) {
    return "no secrets are stored for " + scope + ": check the tenant and environment (`wpfleet " +
           "tenant list`), or run `wpfleet apply` to create them";
  }
  if (std::find(names->begin(), names->end(), name) != names->end()) return error.message;
  std::string known;
  for (const auto& n : *names) known += (known.empty() ? "" : ", ") + n;
  return "no secret '" + name + "' in " + scope + ": the secrets there are " + known;
}

// On aws a tenant's secrets live in its Secrets Manager secret, under the JSON keys the
// user's scripts and wpfleet's task definitions read.
int get_aws_command(Context& ctx, const Environment& env, const std::string& tenant,
                    const std::string& name) {
  const std::map<std::string, std::string> keys = {{"admin-password", aws_backend::kAdminPasswordKey},
                                                   {"db-password", "password"}};
  const auto key = keys.find(name);
  if (key == keys.end()) {
    return fail("'" + name + "' is not a secret of an aws tenant; the ones there are "
                "admin-password and db-password",
                kExitInvalidInput);
  }
  aws_backend::AwsPlatforms platforms(aws::Environment::current());
  auto client = platforms.client(env);
  if (!client) return fail(client.error(), kExitFailure);
  const std::string secret_name = aws_backend::tenant_names(env.name, tenant).secret;
  auto secret = aws_backend::read_tenant_secret(**client, secret_name);
  if (!secret) return fail(secret.error(), kExitFailure);
  std::string value;
  if (*secret && !(*secret)->scheduled_for_deletion) {
    const nlohmann::json& fields = (*secret)->value;
    if (fields.contains(key->second) && fields[key->second].is_string()) {
      value = fields[key->second].get<std::string>();
    }
  }
  if (value.empty()) {
    return fail("secret " + secret_name + " in " + aws_backend::where(env) + " holds no " +
                    key->second + ": run `wpfleet apply -e " + env.name + "`",
                kExitFailure);
  }
  return print_secret(ctx, env.name, tenant, name, value);
}

// An aws environment's basic auth password is in Secrets Manager alone.
int get_aws_environment_command(Context& ctx, const Environment& env, const std::string& name) {
  if (name != kBasicAuthPassword) {
    return fail("'" + name + "' is not a secret of an aws environment wpfleet prints; the one "
                "there is " + kBasicAuthPassword,
                kExitInvalidInput);
  }
  aws_backend::AwsPlatforms platforms(aws::Environment::current());
  auto client = platforms.client(env);
  if (!client) return fail(client.error(), kExitFailure);
  auto password = aws_backend::read_basic_auth_password(**client, env);
  if (!password) return fail(password.error(), kExitFailure);
  if (!*password) {
    return fail("the basic auth password of " + aws_backend::where(env) +
                    " is not in Secrets Manager yet: run `wpfleet apply -e " + env.name + "`",
                kExitFailure);
  }
  return print_secret(ctx, env.name, "", name, **password);
}

int get_command(Context& ctx, const SecretOptions& o) {
  if (o.args.empty() || o.args.size() > 2) {
    return fail("usage: wpfleet secret get [TENANT] -e ENV NAME", kExitInvalidInput);
  }
  const std::string name = o.args.back();
  auto fleet = ctx.load_fleet();
  const Environment* env = fleet ? fleet->find_environment(o.env) : nullptr;
  if (env && env->aws) {
    return o.args.size() == 2 ? get_aws_command(ctx, *env, o.args[0], name)
                              : get_aws_environment_command(ctx, *env, name);
  }
  const std::string scope = o.args.size() == 2 ? tenant_secret_scope(o.env, o.args[0]) : o.env;
  auto session = ctx.open(LockMode::None, "secret get");
  if (!session) return fail(session.error(), kExitFailure);
  auto value = session->secrets->get(scope, name);
  if (!value) {
    return fail(unknown_secret(*session->secrets, scope, name, value.error()), kExitInvalidInput);
  }
  return print_secret(ctx, o.env, o.args.size() == 2 ? o.args[0] : "", name, *value);
}
}  // namespace

void register_secret(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto* secret = app.add_subcommand("secret", "Read and rotate secrets in the encrypted store");
  secret->require_subcommand(1);
  auto o = std::make_shared<SecretOptions>();
  auto* get = secret->add_subcommand(
      "get", "Print one secret, e.g. `wpfleet secret get goldencrust -e dev admin-password`");
  get->add_option("args", o->args, "[TENANT] NAME (db-password, admin-password, wp-salts)")
      ->required();
  get->add_option("-e,--env", o->env, "Environment")->required();
  get->callback([&ctx, &selected, o] { selected = [&ctx, o] { return get_command(ctx, *o); }; });

  auto* rotate = secret->add_subcommand(
      "rotate",
      "Replace a secret with a new random one, e.g. `wpfleet secret rotate -e sit "
      "basic-auth-password`, or a tenant's WordPress admin password after the client changed "
      "it: `wpfleet secret rotate goldencrust -e dev admin-password`");
  rotate->add_option("args", o->args,
                     "[TENANT] NAME: an environment's basic-auth-password (on aws also "
                     "origin-secret, the header CloudFront sends the load balancer), or a "
                     "tenant's admin-password")
      ->required();
  rotate->add_option("-e,--env", o->env, "Environment")->required();
  rotate->add_flag("--approve", o->approve,
                   "Required to replace a tenant's admin password in a production environment");
  rotate->callback(
      [&ctx, &selected, o] { selected = [&ctx, o] { return rotate_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
