#include "transfer/snapshot_space.h"

#include <algorithm>
#include <filesystem>

#include "transfer/archive_io.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

std::vector<SnapshotContent> read_snapshot_contents(const std::vector<SnapshotRecord>& records) {
  std::vector<SnapshotContent> contents;
  for (const SnapshotRecord& record : records) {
    SnapshotContent content{record, 0, {}, ""};
    std::error_code missing;
    content.archive_bytes = fs::file_size(record.path, missing);
    if (missing) {
      // Which files it lists is unknown then, not "none": garbage collection must not
      // take its blobs for garbage (a state directory moved elsewhere, say).
      content.archive_bytes = 0;
      content.unreadable = "its archive " + record.path + " is missing";
    } else if (auto files = read_file_list(record.path); !files) {
      content.unreadable = files.error().message;
    } else {
      for (const ListedFile& file : *files) {
        if (!file.directory) content.blobs.emplace(file.sha256, file.size);
      }
    }
    contents.push_back(std::move(content));
  }
  return contents;
}

namespace {
std::map<std::string, int> listings(const std::vector<SnapshotContent>& contents) {
  std::map<std::string, int> count;
  for (const auto& content : contents) {
    for (const auto& [hash, size] : content.blobs) ++count[hash];
  }
  return count;
}
}  // namespace

std::vector<SnapshotSpace> space_of(const std::vector<SnapshotContent>& contents) {
  const auto count = listings(contents);
  std::vector<SnapshotSpace> spaces;
  for (const auto& content : contents) {
    SnapshotSpace space{content.record, content.archive_bytes, 0};
    for (const auto& [hash, size] : content.blobs) {
      (count.at(hash) > 1 ? space.shared_bytes : space.own_bytes) += size;
    }
    spaces.push_back(std::move(space));
  }
  return spaces;
}

std::uint64_t disk_used(const std::vector<SnapshotContent>& contents) {
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> blobs;
  for (const auto& content : contents) {
    total += content.archive_bytes;
    blobs.insert(content.blobs.begin(), content.blobs.end());
  }
  for (const auto& [hash, size] : blobs) total += size;
  return total;
}

std::vector<SnapshotRecord> over_budget(const std::vector<SnapshotContent>& contents,
                                        std::uint64_t budget, const std::set<std::string>& spared) {
  // The total is counted once and lowered as snapshots go: each one's archive, and each
  // blob it was the last to list.
  auto count = listings(contents);
  std::uint64_t used = disk_used(contents);
  std::vector<SnapshotRecord> deleted;
  for (auto oldest = contents.rbegin(); oldest != contents.rend() && used > budget; ++oldest) {
    if (spared.count(oldest->record.id)) continue;
    deleted.push_back(oldest->record);
    used -= oldest->archive_bytes;
    for (const auto& [hash, size] : oldest->blobs) {
      if (--count.at(hash) == 0) used -= size;
    }
  }
  return deleted;
}

std::set<std::string> spared_by_budget(const std::vector<SnapshotRecord>& records, bool production,
                                       const std::set<std::string>& needed, const std::string& taken) {
  std::set<std::string> spared = needed;
  spared.insert(taken);
  if (!production) return spared;
  std::set<std::string> tenants;
  for (const auto& record : records) {
    if (tenants.insert(record.tenant).second) spared.insert(record.id);
  }
  return spared;
}

Result<std::set<std::string>> referenced_blobs(const std::vector<SnapshotContent>& contents) {
  std::set<std::string> hashes;
  for (const auto& content : contents) {
    if (!content.unreadable.empty()) {
      return make_error("the file list of snapshot " + content.record.id + " cannot be read (" +
                        content.unreadable + "), so which stored files it needs is unknown: "
                        "delete it with `wpfleet snapshot delete " + content.record.tenant + " -e " +
                        content.record.env + " --id " + content.record.id + "`");
    }
    for (const auto& [hash, size] : content.blobs) hashes.insert(hash);
  }
  return hashes;
}

}  // namespace wpfleet::transfer
