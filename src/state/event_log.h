// What the watcher saw change, kept as one JSON object a line in a file of the state
// directory: site and platform states going down, degraded and up again, and which
// alert destination has been told of each. Appends only, so a watcher killed mid-write
// loses at most its own last line, which readers skip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace wpfleet {

struct Event {
  std::string id;        // "ev-<unix time>-<random>"
  std::int64_t time = 0;  // Unix seconds
  std::string subject;   // "sit/goldencrust", "platform/disk", "certificate/sit/goldencrust"
  std::string state;     // "down", "degraded", "up", or "removed" (no longer watched)
  std::string reason;    // what was seen; empty for "up"
};

struct EventHistory {
  std::vector<Event> events;  // oldest first
  // (event id, alert destination index) pairs already told.
  std::set<std::pair<std::string, std::size_t>> delivered;

  // Each subject's state as last recorded.
  std::map<std::string, std::string> last_states() const;
};

class EventLog {
 public:
  explicit EventLog(std::filesystem::path path) : path_(std::move(path)) {}

  Status append(const Event& event);
  Status record_delivery(const std::string& event_id, std::size_t destination);
  // An absent file is an empty history.
  Result<EventHistory> read() const;

 private:
  Status append_line(const std::string& line);
  std::filesystem::path path_;
};

// A new event's id.
Result<std::string> new_event_id(std::int64_t time);

}  // namespace wpfleet
