#include "engine/watch.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/http_client.h"
#include "util/human.h"
#include "util/process.h"
#include "util/tls.h"

namespace wpfleet {

namespace {

constexpr char kAppliedFleetName[] = "applied-fleet";
constexpr std::int64_t kAlertsGoStaleAfter = 24 * 3600;
constexpr std::uint64_t kGiB = 1ull << 30;

nlohmann::json event_json(const Event& event) {
  return {{"id", event.id},         {"time", event.time},     {"subject", event.subject},
          {"state", event.state},   {"reason", event.reason}};
}

}  // namespace

std::vector<Observation> observe_sites(const std::vector<TenantVerification>& verified) {
  std::vector<Observation> out;
  for (const TenantVerification& v : verified) {
    Observation seen{v.env + "/" + v.tenant, "up", ""};
    bool applied = true;
    for (const CheckOutcome& check : v.checks) {
      if (check.ok) continue;
      applied = applied && check.name != "applied";
      seen.state = "down";
      seen.reason += (seen.reason.empty() ? "" : "; ") + check.name + ": " + check.detail;
    }
    if (applied) out.push_back(std::move(seen));
  }
  return out;
}

Observation observe_free_disk(const std::filesystem::path& dir, std::uint64_t free_bytes,
                              std::uint64_t total_bytes) {
  const std::uint64_t floor = std::max<std::uint64_t>(total_bytes / 10, kGiB);
  if (free_bytes >= floor) return {"platform/disk", "up", ""};
  return {"platform/disk", "degraded",
          human_bytes(free_bytes) + " free of " + human_bytes(total_bytes) + " on the disk of " +
              dir.string() + ": free space (old snapshots: `wpfleet snapshot list`)"};
}

Result<Observation> observe_disk(const std::filesystem::path& dir) {
  struct statvfs disk {};
  if (::statvfs(dir.c_str(), &disk) != 0) {
    return make_error("cannot read the free space under " + dir.string() + ": " +
                      std::strerror(errno));
  }
  return observe_free_disk(dir, static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize,
                           static_cast<std::uint64_t>(disk.f_blocks) * disk.f_frsize);
}

std::vector<Observation> observe_certificates(const std::filesystem::path& tls_dir,
                                              std::chrono::system_clock::time_point now) {
  std::vector<Observation> out;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(tls_dir, ignored)) {
    const auto& path = entry.path();
    if (path.extension() != ".pem" || path.filename() == "ca.pem") continue;
    Observation seen{"certificate/" + path.stem().string(), "up", ""};
    auto pem = read_file(path);
    auto expiry = pem ? certificate_expiry(*pem) : Result<std::chrono::system_clock::time_point>(pem.error());
    if (!expiry) {
      seen.state = "down";
      seen.reason = path.string() + ": " + expiry.error().message;
    } else if (*expiry <= now) {
      seen.state = "down";
      seen.reason = "expired: run `wpfleet apply` to issue a new one";
    } else if (*expiry - now < kCertificateWarning) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(*expiry - now).count();
      seen.state = "degraded";
      seen.reason = "expires in " + human_duration(left) + ": run `wpfleet apply` to renew it";
    }
    out.push_back(std::move(seen));
  }
  std::sort(out.begin(), out.end(),
            [](const Observation& a, const Observation& b) { return a.subject < b.subject; });
  return out;
}

Observation observe_backups(const std::string& env, const std::string& tenant,
                            const std::vector<BackupSeen>& backups, int every_s, std::int64_t now) {
  Observation seen{"backup/" + env + "/" + tenant, "up", ""};
  const auto checked = std::find_if(backups.begin(), backups.end(),
                                    [](const BackupSeen& b) { return b.verified; });
  const std::string advice = ": see .wpfleet/log/backup.log, then `wpfleet backup run " + tenant + " -e " + env + "`";
  if (checked != backups.end() && now - checked->created_at > 2 * static_cast<std::int64_t>(every_s)) {
    seen.state = "degraded";
    seen.reason = "no checked backup for " + human_duration(now - checked->created_at) + advice;
  } else if (checked == backups.end() && !backups.empty() && now - backups.front().created_at > 3600) {
    seen.state = "degraded";
    seen.reason = "no backup has passed its check" + advice;
  }
  return seen;
}

Result<std::vector<Event>> state_changes(const std::vector<Observation>& observed,
                                         const std::map<std::string, std::string>& last_states,
                                         std::int64_t now) {
  std::vector<Event> changes;
  auto add = [&](const std::string& subject, const std::string& state,
                 const std::string& reason) -> Status {
    TRY_ASSIGN(std::string id, new_event_id(now));
    changes.push_back(Event{std::move(id), now, subject, state, reason});
    return {};
  };
  std::set<std::string> seen;
  for (const Observation& o : observed) {
    seen.insert(o.subject);
    const auto last = last_states.find(o.subject);
    const std::string before = last == last_states.end() ? "up" : last->second;
    if (o.state != before || (last == last_states.end() && o.state != "up")) {
      TRY(add(o.subject, o.state, o.reason));
    }
  }
  for (const auto& [subject, state] : last_states) {
    if (seen.count(subject) || state == "up" || state == "removed") continue;
    TRY(add(subject, "removed", "no longer watched (deleted, or its environment gone)"));
  }
  return changes;
}

std::string alert_text(const Event& event, const EventHistory& history) {
  if (event.state != "up" && event.state != "removed") {
    std::string state = event.state;
    std::transform(state.begin(), state.end(), state.begin(), ::toupper);
    return state + " " + event.subject + ": " + event.reason;
  }
  // The outage began with the first of the not-up events right before this one.
  std::int64_t since = event.time;
  for (const Event& earlier : history.events) {
    if (earlier.subject != event.subject || earlier.time > event.time || earlier.id == event.id) {
      continue;
    }
    since = (earlier.state == "up" || earlier.state == "removed") ? event.time : std::min(since, earlier.time);
  }
  const std::string word = event.state == "up" ? "RECOVERED " : "NO LONGER WATCHED ";
  return word + event.subject + " (after " + human_duration(event.time - since) + ")";
}

Status deliver_alert(const AlertDestination& destination, const Event& event,
                     const std::string& text) {
  const std::string body = nlohmann::json{{"text", "wpfleet: " + text}, {"event", event_json(event)}}.dump();
  if (destination.kind == AlertDestination::Kind::Webhook) {
    HttpRequest request;
    request.method = "POST";
    request.url = destination.target;
    request.headers = {"Content-Type: application/json"};
    request.body = body;
    TRY_ASSIGN(const HttpReply reply, http_request(request));
    if (reply.status >= 200 && reply.status < 300) return {};
    return make_error("the webhook answered HTTP " + std::to_string(reply.status) +
                      ": check its URL in the fleet file's alerts (it is tried again each minute)");
  }
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", destination.target};
  spec.stdin_data = nlohmann::json{{"text", text}, {"event", event_json(event)}}.dump() + "\n";
  spec.timeout = std::chrono::seconds(30);
  TRY_ASSIGN(const CommandOutput ran, run_command(spec));
  if (ran.exit_code == 0) return {};
  return make_error("the alert command exited with " + std::to_string(ran.exit_code) + ": " +
                    ran.err.substr(0, 200) + " (it is run again each minute until it succeeds)");
}

std::vector<PendingAlert> pending_alerts(const EventHistory& history, std::size_t destinations,
                                         std::int64_t now) {
  std::vector<PendingAlert> pending;
  for (const Event& event : history.events) {
    if (now - event.time > kAlertsGoStaleAfter) continue;
    for (std::size_t d = 0; d < destinations; ++d) {
      if (!history.delivered.count({event.id, d})) pending.push_back({&event, d});
    }
  }
  return pending;
}

Status remember_applied_fleet(const std::filesystem::path& state_dir, const std::string& fleet_file) {
  std::error_code error;
  const auto absolute = std::filesystem::absolute(fleet_file, error);
  if (error) return make_error("cannot tell where " + fleet_file + " is: " + error.message());
  return write_file_atomic(state_dir / kAppliedFleetName, absolute.string() + "\n", 0600);
}

Result<std::optional<std::string>> applied_fleet_file(const std::filesystem::path& state_dir) {
  const auto noted = state_dir / kAppliedFleetName;
  if (!std::filesystem::exists(noted)) return std::optional<std::string>();
  TRY_ASSIGN(std::string path, read_file(noted));
  while (!path.empty() && path.back() == '\n') path.pop_back();
  return std::optional<std::string>(path);
}

}  // namespace wpfleet
