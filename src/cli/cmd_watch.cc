// watch run: one look at every applied site, its backups and the platform, recording what changed
// and telling the fleet's alert destinations (the supervisor runs it every minute).
// events: what the watcher recorded.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "engine/verify.h"
#include "engine/watch.h"
#include "state/event_log.h"
#include "transfer/backups.h"
#include "fleet/parse.h"
#include "util/unix_time.h"

namespace wpfleet::cli {

namespace {

constexpr char kEventLogName[] = "events.jsonl";

struct WatchOptions {
  bool applied_fleet = false;
};

struct EventsOptions {
  std::string since = "24h";
};

// "90s", "30m", "1h", "7d" in seconds.
Result<std::int64_t> parse_since(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  const std::int64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (digits == 0 || digits > 9 || scale == 0) {
    return make_error("--since '" + text + "' is not a duration: write a number and s, m, h or d, "
                      "e.g. --since 1h");
  }
  return std::stoll(text.substr(0, digits)) * scale;
}

// The fleet: -f's, or with --applied-fleet the one `wpfleet apply` last applied with this
// state directory (the supervisor knows only the state directory).
Result<Fleet> fleet_to_watch(Context& ctx, const WatchOptions& o) {
  if (!o.applied_fleet) return ctx.load_fleet();
  TRY_ASSIGN(std::optional<std::string> path, applied_fleet_file(ctx.state_dir()));
  if (!path) return make_error("nothing to watch yet: no `wpfleet apply` has run with this state directory");
  return load_fleet_file(*path);
}

nlohmann::json event_json(const Event& event, const EventHistory& history, std::size_t destinations) {
  std::size_t told = 0;
  for (std::size_t d = 0; d < destinations; ++d) told += history.delivered.count({event.id, d});
  return {{"id", event.id},       {"time", utc_time(event.time)}, {"unix_time", event.time},
          {"subject", event.subject}, {"state", event.state},   {"reason", event.reason},
          {"alerts_sent", told}};
}

// Each watched site (observed: applied) of an environment with backup settings.
Status observe_backups_of(const Fleet& fleet, const std::filesystem::path& state_dir,
                          std::vector<Observation>& observed) {
  const std::int64_t now = unix_now();
  std::vector<Observation> found;
  transfer::BackupStores stores(state_dir);
  for (const Placement& p : placements(fleet)) {
    const Environment& env = *p.environment;
    const std::string site = env.name + "/" + p.tenant->id;
    const bool watched = std::any_of(observed.begin(), observed.end(),
                                     [&](const Observation& o) { return o.subject == site; });
    if (!env.backup || !watched) continue;
    TRY_ASSIGN(const auto backups, stores.list(env, p.tenant->id));
    std::vector<BackupSeen> seen;
    for (const auto& b : backups) seen.push_back({b.created_at, b.verified});
    found.push_back(observe_backups(env.name, p.tenant->id, seen, env.backup->every_s, now));
  }
  observed.insert(observed.end(), found.begin(), found.end());
  return {};
}

int watch_command(Context& ctx, const WatchOptions& o) {
  auto fleet = fleet_to_watch(ctx, o);
  if (!fleet) {
    if (o.applied_fleet) return kExitOk;  // nothing applied: the supervisor tries next minute
    return fail(fleet.error(), kExitInvalidInput);
  }
  auto session = ctx.open(LockMode::None, "watch run");
  if (!session) return fail(session.error(), kExitFailure);
  Engine engine(*fleet, *session);
  auto verified = verify_tenants(*fleet, *session, engine, VerifyOptions{Scope{}, 8, 0, false});
  if (!verified) return fail(verified.error(), kExitFailure);

  std::vector<Observation> observed = observe_sites(*verified);
  auto disk = observe_disk(session->layout.root);
  if (!disk) return fail(disk.error(), kExitFailure);
  observed.push_back(*disk);
  for (auto& certificate : observe_certificates(session->layout.tls_dir(), std::chrono::system_clock::now())) {
    observed.push_back(std::move(certificate));
  }
  if (Status backups = observe_backups_of(*fleet, ctx.state_dir(), observed); !backups) {
    return fail(backups.error(), kExitFailure);
  }

  EventLog log(session->layout.root / kEventLogName);
  auto history = log.read();
  if (!history) return fail(history.error(), kExitFailure);
  const std::int64_t now = unix_now();
  auto changes = state_changes(observed, history->last_states(), now);
  if (!changes) return fail(changes.error(), kExitFailure);
  for (const Event& event : *changes) {
    if (Status kept = log.append(event); !kept) return fail(kept.error(), kExitFailure);
    history->events.push_back(event);
  }

  int failures = 0;
  nlohmann::json failed = nlohmann::json::array();
  for (const PendingAlert& alert : pending_alerts(*history, fleet->alerts.size(), now)) {
    const Status told = deliver_alert(fleet->alerts[alert.destination], *alert.event,
                                      alert_text(*alert.event, *history));
    const Status noted = told ? log.record_delivery(alert.event->id, alert.destination) : told;
    if (noted) continue;
    ++failures;
    failed.push_back({{"event", alert.event->id}, {"destination", alert.destination},
                      {"error", noted.error().message}});
    std::cerr << "alert " << alert.event->id << " to destination " << alert.destination + 1
              << " of the fleet file's alerts: " << noted.error().message << "\n";
  }
  if (ctx.options().json()) {
    nlohmann::json listed = nlohmann::json::array();
    for (const Event& event : *changes) listed.push_back(event_json(event, *history, 0));
    ctx.print_json({{"watched", observed.size()}, {"changes", listed}, {"failed_alerts", failed}});
  } else {
    for (const Event& event : *changes) std::cout << alert_text(event, *history) << "\n";
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

int events_command(Context& ctx, const EventsOptions& o) {
  auto since = parse_since(o.since);
  if (!since) return fail(since.error(), kExitInvalidInput);
  const auto history = EventLog(ctx.state_dir() / kEventLogName).read();
  if (!history) return fail(history.error(), kExitFailure);
  auto fleet = ctx.load_fleet();
  const std::size_t destinations = fleet ? fleet->alerts.size() : 0;
  const std::int64_t from = unix_now() - *since;
  std::vector<const Event*> shown;
  for (const Event& event : history->events) {
    if (event.time >= from) shown.push_back(&event);
  }
  if (ctx.options().json()) {
    nlohmann::json listed = nlohmann::json::array();
    for (const Event* event : shown) listed.push_back(event_json(*event, *history, destinations));
    ctx.print_json({{"since", utc_time(from)}, {"events", listed}});
    return kExitOk;
  }
  if (shown.empty()) {
    std::cout << "no changes since " << utc_time(from)
              << (history->events.empty() ? " (the supervisor's watcher has recorded none yet)" : "")
              << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Event* event : shown) {
    rows.push_back({utc_time(event->time), event->subject, event->state, event->reason});
  }
  print_table({"TIME", "SUBJECT", "STATE", "REASON"}, rows);
  return kExitOk;
}

}  // namespace

void register_watch(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto w = std::make_shared<WatchOptions>();
  auto* watch = app.add_subcommand("watch", "Watch the sites and the platform and send alerts");
  watch->require_subcommand(1);
  auto* run = watch->add_subcommand(
      "run",
      "Check every applied site (as `wpfleet verify` does), free disk and TLS certificates "
      "once; record each change of state and tell the fleet file's alerts (the supervisor "
      "runs this every minute)");
  run->add_flag("--applied-fleet", w->applied_fleet,
                "Watch the fleet file `wpfleet apply` last applied with this state directory");
  run->callback([&ctx, &selected, w] { selected = [&ctx, w] { return watch_command(ctx, *w); }; });

  auto e = std::make_shared<EventsOptions>();
  auto* events = app.add_subcommand(
      "events", "What the watcher recorded: sites and the platform going down, degraded, up again");
  events->add_option("--since", e->since, "How far back, e.g. 30m, 1h, 7d (default 24h)");
  events->callback([&ctx, &selected, e] { selected = [&ctx, e] { return events_command(ctx, *e); }; });
}

}  // namespace wpfleet::cli
