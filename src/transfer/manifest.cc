#include "transfer/manifest.h"

#include <nlohmann/json.hpp>

namespace wpfleet::transfer {

std::string manifest_json(const Manifest& m) {
  return nlohmann::json({{"format", m.format},
                         {"tenant", m.tenant},
                         {"env", m.env},
                         {"source_url", m.source_url},
                         {"wordpress_version", m.wordpress_version},
                         {"table_prefix", m.table_prefix},
                         {"only_tables", m.only_tables},
                         {"table_rows", m.table_rows},
                         {"database_sha256", m.database_sha256},
                         {"database_bytes", m.database_bytes},
                         {"has_files", m.has_files},
                         {"file_count", m.file_count},
                         {"file_bytes", m.file_bytes},
                         {"content_fingerprint", m.content_fingerprint},
                         {"created_at", m.created_at}})
      .dump(2);
}

Result<Manifest> parse_manifest(const std::string& json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return make_error("the archive's manifest.json is not valid JSON");
  Manifest m;
  m.format = doc.value("format", 0);
  if (m.format != kArchiveFormat && m.format != kSnapshotFormat) {
    return make_error("the archive has format " + std::to_string(m.format) + ", this wpfleet reads " +
                      std::to_string(kArchiveFormat) + " and " + std::to_string(kSnapshotFormat) +
                      ": export it again with this version");
  }
  try {
    m.tenant = doc.at("tenant").get<std::string>();
    m.env = doc.at("env").get<std::string>();
    m.source_url = doc.at("source_url").get<std::string>();
    m.wordpress_version = doc.value("wordpress_version", "");
    m.table_prefix = doc.value("table_prefix", "wp_");
    m.only_tables = doc.value("only_tables", std::vector<std::string>{});
    m.table_rows = doc.at("table_rows").get<std::map<std::string, std::uint64_t>>();
    m.database_sha256 = doc.at("database_sha256").get<std::string>();
    m.database_bytes = doc.value("database_bytes", std::uint64_t{0});
    m.has_files = doc.value("has_files", false);
    m.file_count = doc.value("file_count", std::uint64_t{0});
    m.file_bytes = doc.value("file_bytes", std::uint64_t{0});
    m.content_fingerprint = doc.value("content_fingerprint", "");
    m.created_at = doc.value("created_at", std::int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return make_error(std::string("the archive's manifest.json is incomplete: ") + e.what());
  }
  return m;
}

std::string file_list_line(const ListedFile& file) {
  nlohmann::json line = {{"path", file.path}, {"mode", file.mode}};
  if (file.directory) {
    line["dir"] = true;
  } else {
    line["size"] = file.size;
    line["sha256"] = file.sha256;
  }
  return line.dump() + "\n";
}

Result<std::vector<ListedFile>> parse_file_list(std::string_view text) {
  std::vector<ListedFile> files;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    ListedFile file;
    try {
      file.path = doc.at("path").get<std::string>();
      file.mode = doc.at("mode").get<unsigned>();
      file.directory = doc.value("dir", false);
      if (!file.directory) {
        file.size = doc.at("size").get<std::uint64_t>();
        file.sha256 = doc.at("sha256").get<std::string>();
      }
    } catch (const nlohmann::json::exception&) {
      return make_error("line " + std::to_string(number) + " of the snapshot's " + kFileListEntry +
                        " is not a file's entry: the snapshot is damaged");
    }
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace wpfleet::transfer
