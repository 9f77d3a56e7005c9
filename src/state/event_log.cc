#include "state/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/crypto.h"
#include "util/fs.h"
#include "util/unique_fd.h"

namespace wpfleet {

std::map<std::string, std::string> EventHistory::last_states() const {
  std::map<std::string, std::string> states;
  for (const Event& event : events) states[event.subject] = event.state;
  return states;
}

Status EventLog::append(const Event& event) {
  return append_line(nlohmann::json{{"event", event.id},
                                    {"time", event.time},
                                    {"subject", event.subject},
                                    {"state", event.state},
                                    {"reason", event.reason}}
                         .dump());
}

Status EventLog::record_delivery(const std::string& event_id, std::size_t destination) {
  return append_line(nlohmann::json{{"delivered", event_id}, {"to", destination}}.dump());
}

// One write(2) of the whole line on an O_APPEND descriptor: lines of two writers never
// interleave. A torn line a killed writer left is ended first, so it spoils only itself.
Status EventLog::append_line(const std::string& line) {
  UniqueFd fd(::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return make_error("cannot open the event log " + path_.string() + ": " + std::strerror(errno) +
                      " (check the state directory's permissions)");
  }
  std::string text = line + "\n";
  struct stat st {};
  char last = '\n';
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0 &&
      ::pread(fd.get(), &last, 1, st.st_size - 1) == 1 && last != '\n') {
    text.insert(text.begin(), '\n');
  }
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return make_error("cannot append to the event log " + path_.string() + ": " +
                      std::strerror(errno) + " (is the disk full?)");
  }
  return {};
}

Result<EventHistory> EventLog::read() const {
  EventHistory history;
  if (!std::filesystem::exists(path_)) return history;
  TRY_ASSIGN(const std::string text, read_file(path_));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object()) continue;  // the torn last line of a killed watcher
    if (entry.contains("delivered")) {
      history.delivered.emplace(entry.value("delivered", ""), entry.value("to", std::size_t{0}));
      continue;
    }
    history.events.push_back(Event{entry.value("event", ""), entry.value("time", std::int64_t{0}),
                                   entry.value("subject", ""), entry.value("state", ""),
                                   entry.value("reason", "")});
  }
  return history;
}

Result<std::string> new_event_id(std::int64_t time) {
  TRY_ASSIGN(const std::string suffix, random_password(6));
  return "ev-" + std::to_string(time) + "-" + suffix;
}

}  // namespace wpfleet
