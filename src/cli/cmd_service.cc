// service install, service remove: a systemd unit that brings the fleet's local platform
// back after a reboot.
//
// The unit runs `wpfleet up` (Type=forking), not `wpfleet supervise`: up does what a
// start needs before the supervisor runs (configs written from the fleet file, ports
// checked, leftovers of a crash stopped, a first start's MariaDB datadir made) and
// returns only once every service answers, so "started" means serving. The supervisor
// it leaves behind is the unit's main process (its pid file); systemd restarts the
// unit if the supervisor dies, and the supervisor restarts MariaDB, php-fpm or nginx.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "platform/layout.h"
#include "util/fs.h"

namespace wpfleet::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultUnitDir = "/etc/systemd/system";
constexpr const char* kTarget = "multi-user.target";
constexpr const char* kMarker = "# Written by `wpfleet service install`";

struct ServiceOptions {
  std::string name;  // default: from the fleet file's directory
  std::string unit_dir = kDefaultUnitDir;
};

struct UnitFiles {
  std::string unit;  // wpfleet-<name>.service
  fs::path path;     // <unit dir>/<unit>
  fs::path link;     // <unit dir>/multi-user.target.wants/<unit>: enabled at boot
};

fs::path fleet_path(const Context& ctx) {
  return fs::absolute(ctx.options().fleet_file).lexically_normal();
}

// "/srv/bbws/fleet.toml" -> "bbws": the fleet file's directory, as a unit name part.
std::string default_name(const fs::path& fleet) {
  std::string name;
  for (char c : fleet.parent_path().filename().string()) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      name += c;
    } else if (!name.empty() && name.back() != '-') {
      name += '-';  // any run of other characters becomes one '-'
    }
  }
  name = name.substr(0, 40);
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name.empty() ? "fleet" : name;
}

Result<UnitFiles> unit_files(const Context& ctx, const ServiceOptions& o) {
  const std::string name = o.name.empty() ? default_name(fleet_path(ctx)) : o.name;
  const bool valid = !name.empty() && name.size() <= 40 && name.front() != '-' &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
  if (!valid) {
    return make_error("invalid --name '" + name +
                      "': use 1-40 of a-z, 0-9 and '-' (not first); the unit is wpfleet-NAME.service");
  }
  const std::string unit = "wpfleet-" + name + ".service";
  const fs::path dir = fs::absolute(o.unit_dir).lexically_normal();
  return UnitFiles{unit, dir / unit, dir / (std::string(kTarget) + ".wants") / unit};
}

bool has_control_character(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A path as one word of an Exec line: quoted, with systemd's escapes, its specifiers
// (%) and variable expansion ($) turned off.
std::string exec_word(const std::string& word) {
  std::string out = "\"";
  for (char c : word) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '%' || c == '$') out += c;  // %% and $$ stand for themselves
    out += c;
  }
  return out + "\"";
}

std::string no_specifiers(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

std::string render_unit(const std::string& binary, const fs::path& fleet, const fs::path& state) {
  const std::string command = exec_word(binary) + " -f " + exec_word(fleet.string()) +
                              " --state-dir " + exec_word(state.string());
  return std::string(kMarker) + "; `wpfleet service remove` deletes it.\n" +
         "# Fleet: " + fleet.string() + "\n" +
         "#\n"
         "# `wpfleet up` starts the platform's supervisor (MariaDB, php-fpm, nginx) and returns\n"
         "# once every service answers; the supervisor is the main process, restarted by\n"
         "# systemd if it dies. `wpfleet down` (ExecStop) stops the services; data stays.\n"
         "[Unit]\n"
         "Description=wpfleet platform of " + no_specifiers(fleet.string()) + "\n"
         "After=network.target\n"
         "\n"
         "[Service]\n"
         "Type=forking\n"
         "ExecStart=" + command + " up\n"
         "ExecStop=" + command + " down\n"
         "PIDFile=" + no_specifiers(StateLayout{state}.supervisor_pid().string()) + "\n"
         "Restart=on-failure\n"
         "RestartSec=5s\n"
         "# A first start copies WordPress core and makes MariaDB's datadir; down waits up\n"
         "# to 2 minutes for the services to stop.\n"
         "TimeoutStartSec=15min\n"
         "TimeoutStopSec=3min\n"
         "\n"
         "[Install]\n"
         "WantedBy=" + kTarget + "\n";
}

// The unit at `path` as `service install` wrote it for the fleet file `fleet`: the
// marker and the fleet line (a unit of another fleet, or not ours, is never replaced).
enum class Existing { None, Ours, Other };
Existing existing_unit(const fs::path& path, const fs::path& fleet) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return Existing::None;
  auto text = read_file(path);
  const bool ours = text && text->rfind(kMarker, 0) == 0 &&
                    text->find("\n# Fleet: " + fleet.string() + "\n") != std::string::npos;
  return ours ? Existing::Ours : Existing::Other;
}

bool links_to(const fs::path& link, const fs::path& target) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(link, ec)) && fs::read_symlink(link, ec) == target && !ec;
}

Status enable_at_boot(const UnitFiles& files) {
  TRY(make_dirs(files.link.parent_path(), 0755));
  if (links_to(files.link, files.path)) return {};
  std::error_code ec;
  // What `systemctl enable` makes for WantedBy=, so no running systemd is needed: the
  // next boot starts the unit.
  const fs::path temporary = files.link.string() + ".wpfleet-new";
  fs::remove(temporary, ec);
  fs::create_symlink(files.path, temporary, ec);
  if (!ec) fs::rename(temporary, files.link, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return make_error("cannot enable " + files.unit + " at boot (" + files.link.string() +
                      "): " + ec.message() + "; run as root");
  }
  return {};
}

int install_command(Context& ctx, const ServiceOptions& o) {
  auto fleet = ctx.load_fleet();
  if (!fleet) return fail(fleet.error(), kExitInvalidInput);
  if (!uses_local_platform(*fleet, {})) {
    return fail("the fleet has no local environment, so there is no platform on this machine "
                "to start at boot (aws environments run on AWS)",
                kExitInvalidInput);
  }
  auto files = unit_files(ctx, o);
  if (!files) return fail(files.error(), kExitInvalidInput);
  const fs::path fleet_file = fleet_path(ctx);
  const fs::path state = ctx.state_dir().lexically_normal();
  const std::string binary = self_executable();
  for (const std::string& path : {fleet_file.string(), state.string(), binary}) {
    if (has_control_character(path) || !fs::path(path).is_absolute()) {
      return fail("cannot name " + path + " in a unit file: use a path without control characters",
                  kExitInvalidInput);
    }
  }
  const Existing existing = existing_unit(files->path, fleet_file);
  if (existing == Existing::Other) {
    return fail(files->path.string() + " exists and is not the unit of " + fleet_file.string() +
                    ": choose another --name, or remove that unit first",
                kExitFailure);
  }
  const std::string text = render_unit(binary, fleet_file, state);
  auto current = read_file(files->path);
  const bool changed = !current || *current != text;
  if (changed) {
    if (Status made = make_dirs(files->path.parent_path(), 0755); !made) {
      return fail(made.error().message + "; run as root", kExitFailure);
    }
    if (Status written = write_file_atomic(files->path, text, 0644); !written) {
      return fail(written.error().message + "; run as root", kExitFailure);
    }
  }
  if (Status enabled = enable_at_boot(*files); !enabled) return fail(enabled.error(), kExitFailure);

  const std::string short_name = files->unit.substr(0, files->unit.size() - 8);
  const std::string next = "systemctl daemon-reload; to hand a running platform to systemd now: "
                           "wpfleet -f " + fleet_file.string() + " down && systemctl start " +
                           short_name;
  if (ctx.options().json()) {
    ctx.print_json({{"unit", files->unit}, {"path", files->path.string()},
                    {"enabled_link", files->link.string()}, {"changed", changed},
                    {"fleet_file", fleet_file.string()}, {"state_dir", state.string()},
                    {"next", next}});
  } else {
    std::cout << (changed ? "wrote " : "unchanged: ") << files->path.string() << "\n"
              << "enabled at boot (" << files->link.string() << "): the platform of "
              << fleet_file.string() << " starts with the machine\n";
    Context::progress("next: " + next);
  }
  return kExitOk;
}

int remove_command(Context& ctx, const ServiceOptions& o) {
  auto files = unit_files(ctx, o);
  if (!files) return fail(files.error(), kExitInvalidInput);
  const fs::path fleet_file = fleet_path(ctx);
  const Existing existing = existing_unit(files->path, fleet_file);
  if (existing == Existing::Other) {
    return fail(files->path.string() + " is not the unit `wpfleet service install` wrote for " +
                    fleet_file.string() + ": left alone; give the --name it was installed with",
                kExitFailure);
  }
  std::error_code ec;
  // The boot link first: a unit file without it no longer starts at boot.
  if (links_to(files->link, files->path)) fs::remove(files->link, ec);
  if (!ec && existing == Existing::Ours) fs::remove(files->path, ec);
  if (ec) return fail("cannot remove " + files->unit + ": " + ec.message() + "; run as root", kExitFailure);

  const bool removed = existing == Existing::Ours;
  if (ctx.options().json()) {
    ctx.print_json({{"unit", files->unit}, {"path", files->path.string()}, {"removed", removed}});
  } else {
    std::cout << (removed ? "removed " : "not installed: ") << files->path.string() << "\n";
  }
  if (removed) {
    Context::progress("the platform keeps running (`wpfleet down` stops it); if systemd runs it "
                      "now: systemctl stop " + files->unit + "; then systemctl daemon-reload");
  }
  return kExitOk;
}

void add_service_options(CLI::App* cmd, ServiceOptions& o) {
  cmd->add_option("--name", o.name,
                  "The unit is wpfleet-NAME.service (default: the fleet file's directory name)");
  cmd->add_option("--unit-dir", o.unit_dir, "Where systemd units go")
      ->capture_default_str();
}
}  // namespace

void register_service(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<ServiceOptions>();
  auto* service = app.add_subcommand(
      "service", "A systemd unit that starts the local platform at boot and restarts it");
  service->require_subcommand(1);
  auto* install = service->add_subcommand(
      "install", "Write wpfleet-NAME.service (runs `wpfleet up`; Restart=on-failure) and enable it at boot");
  auto* remove = service->add_subcommand("remove", "Delete the unit and its boot link");
  add_service_options(install, *o);
  add_service_options(remove, *o);
  install->callback([&ctx, &selected, o] { selected = [&ctx, o] { return install_command(ctx, *o); }; });
  remove->callback([&ctx, &selected, o] { selected = [&ctx, o] { return remove_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
