// Drift detection for the configuration files the local backend writes: ensure() records
// a hash of what it wrote in the resource's detail; existing() treats a file changed by
// hand as not intact, so plan shows it and apply writes it again.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "backends/resource.h"
#include "state/store.h"
#include "util/result.h"

namespace wpfleet::local {

inline constexpr const char* kFilesHashKey = "files_sha256";

// The hash of the files' current contents, or "" if any of them is missing.
std::string files_hash(const std::vector<std::filesystem::path>& files);

// Tenant -> the hash recorded when its files of `kind` in `env` were last written.
Result<std::map<std::string, std::string>> recorded_files_hashes(StateStore& store,
                                                                 const std::string& env,
                                                                 ResourceKind kind);

// Whether the files are there and as wpfleet last wrote them (or wpfleet recorded no
// hash for them, e.g. before it kept one).
bool files_intact(const std::vector<std::filesystem::path>& files,
                  const std::map<std::string, std::string>& recorded, const std::string& tenant);

}  // namespace wpfleet::local
