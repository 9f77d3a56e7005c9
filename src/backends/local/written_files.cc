#include "backends/local/written_files.h"

#include <nlohmann/json.hpp>

#include "util/crypto.h"
#include "util/fs.h"

namespace wpfleet::local {

std::string files_hash(const std::vector<std::filesystem::path>& files) {
  Sha256 hash;
  for (const auto& file : files) {
    auto content = read_file(file);
    if (!content) return "";
    hash.update(file.filename().string());
    hash.update(*content);
  }
  return hash.hex_digest();
}

Result<std::map<std::string, std::string>> recorded_files_hashes(StateStore& store,
                                                                 const std::string& env,
                                                                 ResourceKind kind) {
  TRY_ASSIGN(auto records, store.resources(env));
  std::map<std::string, std::string> hashes;
  for (const auto& record : records) {
    if (record.kind != kind_name(kind)) continue;
    const auto detail = nlohmann::json::parse(record.detail, nullptr, false);
    if (detail.is_object()) hashes[record.tenant] = detail.value(kFilesHashKey, "");
  }
  return hashes;
}

bool files_intact(const std::vector<std::filesystem::path>& files,
                  const std::map<std::string, std::string>& recorded, const std::string& tenant) {
  const std::string now = files_hash(files);
  if (now.empty()) return false;
  const auto it = recorded.find(tenant);
  return it == recorded.end() || it->second.empty() || it->second == now;
}

}  // namespace wpfleet::local
