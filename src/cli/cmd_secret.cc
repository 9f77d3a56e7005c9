// secret get: the one way to read a secret, by name.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "engine/engine.h"

namespace wpfleet::cli {

namespace {
struct SecretOptions {
  std::vector<std::string> args;  // [TENANT] NAME
  std::string env;
};

int rotate_command(Context& ctx, const SecretOptions& o) {
  if (o.args.size() != 1) {
    return fail("usage: wpfleet secret rotate -e ENV NAME (e.g. basic-auth-password)",
                kExitInvalidInput);
  }
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  auto session = ctx.open(LockMode::Exclusive, "secret rotate");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  if (Status rotated = engine.rotate_environment_secret(o.env, o.args[0]); !rotated) {
    return fail(rotated.error(), kExitInvalidInput);
  }
  std::cerr << "rotated " << o.args[0] << " of " << o.env << "; read it with "
            << ready_to_paste("`wpfleet secret get -e " + o.env + " " + o.args[0] + "`") << "\n";
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

int get_command(Context& ctx, const SecretOptions& o) {
  if (o.args.empty() || o.args.size() > 2) {
    return fail("usage: wpfleet secret get [TENANT] -e ENV NAME", kExitInvalidInput);
  }
  const std::string name = o.args.back();
  const std::string scope = o.args.size() == 2 ? tenant_secret_scope(o.env, o.args[0]) : o.env;
  auto session = ctx.open(LockMode::None, "secret get");
  if (!session) return fail(session.error(), kExitFailure);
  auto value = session->secrets->get(scope, name);
  if (!value) {
    return fail(unknown_secret(*session->secrets, scope, name, value.error()), kExitInvalidInput);
  }
  std::cout << *value << "\n";
  return kExitOk;
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
      "rotate", "Replace an environment secret, e.g. `wpfleet secret rotate -e sit basic-auth-password`");
  rotate->add_option("args", o->args, "NAME (basic-auth-password)")->required();
  rotate->add_option("-e,--env", o->env, "Environment")->required();
  rotate->callback(
      [&ctx, &selected, o] { selected = [&ctx, o] { return rotate_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
