// The watcher behind `wpfleet watch run`, which the supervisor runs every minute: what
// it observes (every applied site through `verify`, free disk under the state
// directory, the expiry of the local TLS certificates), which observations are changes
// worth recording, and how a change is told to the fleet's alert destinations.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/verify.h"
#include "fleet/model.h"
#include "state/event_log.h"
#include "util/result.h"

namespace wpfleet {

struct Observation {
  std::string subject;  // as Event::subject
  std::string state;    // "down", "degraded" or "up"
  std::string reason;   // what was seen when not up
};

// A site is down when a check of `verify` fails (the reason lists every failing one);
// sites not applied yet are not watched.
std::vector<Observation> observe_sites(const std::vector<TenantVerification>& verified);

// Degraded under 10% or 1 GiB free, whichever is more.
Observation observe_free_disk(const std::filesystem::path& dir, std::uint64_t free_bytes,
                              std::uint64_t total_bytes);
// The disk holding `dir`, by statvfs.
Result<Observation> observe_disk(const std::filesystem::path& dir);

inline constexpr auto kCertificateWarning = std::chrono::hours(24 * 14);
// Every certificate (*.pem but the CA) in `tls_dir`: degraded within two weeks of its
// expiry, down once expired. The subject names the file ("certificate/sit_goldencrust").
std::vector<Observation> observe_certificates(const std::filesystem::path& tls_dir,
                                              std::chrono::system_clock::time_point now);

// A tenant's backups (newest first: each one's time and whether it passed its check):
// degraded when the newest checked one is over twice `every_s` old, or when only
// unchecked ones (failed or cut short) exist and the newest of them is an hour old.
struct BackupSeen {
  std::int64_t created_at;
  bool verified;
};
Observation observe_backups(const std::string& env, const std::string& tenant,
                            const std::vector<BackupSeen>& backups, int every_s, std::int64_t now);

// The events to record: each subject whose state differs from its last recorded one. A
// subject seen for the first time is recorded only when it is not up (nothing to tell);
// one no longer observed while not up is closed as "removed".
Result<std::vector<Event>> state_changes(const std::vector<Observation>& observed,
                                         const std::map<std::string, std::string>& last_states,
                                         std::int64_t now);

// One line for a person: "DOWN sit/goldencrust: site: HTTP 500 ..." or, for a recovery,
// "RECOVERED sit/goldencrust (down for 12 min)".
std::string alert_text(const Event& event, const EventHistory& history);

// Tells `destination` of `event`: a webhook gets a JSON POST {"text": ..., "event": ...};
// a command runs with /bin/sh -c and the event's JSON on its stdin.
Status deliver_alert(const AlertDestination& destination, const Event& event,
                     const std::string& text);

// Events not yet told to a destination, within the last day (older ones are stale news).
struct PendingAlert {
  const Event* event;
  std::size_t destination;
};
std::vector<PendingAlert> pending_alerts(const EventHistory& history, std::size_t destinations,
                                         std::int64_t now);

// The fleet file `wpfleet apply` last applied with a state directory, noted there so
// that the supervisor's watcher, which knows only the state directory, watches it.
Status remember_applied_fleet(const std::filesystem::path& state_dir, const std::string& fleet_file);
Result<std::optional<std::string>> applied_fleet_file(const std::filesystem::path& state_dir);

}  // namespace wpfleet
