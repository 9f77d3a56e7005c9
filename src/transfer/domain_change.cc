#include "transfer/domain_change.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "util/fs.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

namespace {

bool in_scope(const Scope& scope, const std::string& env, const std::string& tenant) {
  auto listed = [](const std::vector<std::string>& filter, const std::string& name) {
    return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
  };
  return listed(scope.envs, env) && listed(scope.tenants, tenant);
}

// The tenant's home URL in `env` as the fleet file says it now; empty when the fleet
// no longer places it there (a deleted tenant's content is not rewritten).
std::string home_url_now(const Fleet& fleet, const std::string& env, const std::string& tenant) {
  const Tenant* t = fleet.find_tenant(tenant);
  const Environment* e = fleet.find_environment(env);
  if (!t || !e || std::find(t->environments.begin(), t->environments.end(), env) == t->environments.end()) {
    return "";
  }
  return make_tenant_context(*t, *e).home_url;
}

// The URL a site record was applied with, without the trailing slash the record keeps.
std::string recorded_url(const ResourceRecord& record) {
  const auto detail = nlohmann::json::parse(record.detail, nullptr, false);
  std::string url = detail.is_object() ? detail.value("url", "") : "";
  if (url.ends_with('/')) url.pop_back();
  return url;
}

}  // namespace

std::string describe(const DomainChange& change) {
  return "domain change: rewrite content of " + change.env + "/" + change.tenant + " (" +
         change.from_url + " -> " + change.to_url + ")";
}

fs::path DomainChanges::notes_dir() const { return session_.layout.root / "domain-changes"; }

fs::path DomainChanges::marker(const std::string& env, const std::string& tenant) const {
  return notes_dir() / (env + "--" + tenant + ".json");
}

Result<std::vector<DomainChange>> DomainChanges::find(const Scope& scope) const {
  std::map<std::pair<std::string, std::string>, DomainChange> found;
  TRY_ASSIGN(auto records, session_.store->resources());
  for (const auto& record : records) {
    if (record.kind != kind_name(ResourceKind::Site) || !in_scope(scope, record.env, record.tenant)) continue;
    const std::string from = recorded_url(record), to = home_url_now(fleet_, record.env, record.tenant);
    if (!from.empty() && !to.empty() && from != to) {
      found[{record.env, record.tenant}] = {record.env, record.tenant, from, to};
    }
  }
  // A noted change names the URL the content had: the site's record may name the new
  // one already.
  std::error_code error;
  fs::directory_iterator notes(notes_dir(), error);
  if (error && error != std::errc::no_such_file_or_directory) {
    return make_error("cannot read " + notes_dir().string() + " (" + error.message() +
                      "): check the state directory's owner and permissions");
  }
  for (const auto& entry : notes) {
    TRY_ASSIGN(std::string text, read_file(entry.path()));
    const auto noted = nlohmann::json::parse(text, nullptr, false);
    if (!noted.is_object()) {
      return make_error("the domain change note " + entry.path().string() +
                        " is not JSON: restore it from a backup or, once the tenant's content "
                        "is checked, delete it");
    }
    DomainChange change{noted.value("env", ""), noted.value("tenant", ""), noted.value("from", ""), "",
                        true};
    if (!in_scope(scope, change.env, change.tenant)) continue;
    change.to_url = home_url_now(fleet_, change.env, change.tenant);
    if (change.to_url.empty() || change.to_url == change.from_url) {
      found.erase({change.env, change.tenant});  // moved back, or gone: nothing owed
      continue;
    }
    found[{change.env, change.tenant}] = change;
  }
  std::vector<DomainChange> changes;
  for (auto& [key, change] : found) changes.push_back(std::move(change));
  return changes;
}

Status DomainChanges::note(const DomainChange& change) const {
  const fs::path file = marker(change.env, change.tenant);
  if (fs::exists(file)) return {};  // the first note names the URL the content has
  TRY(make_dirs(file.parent_path(), 0700));
  const nlohmann::json noted = {{"env", change.env}, {"tenant", change.tenant}, {"from", change.from_url}};
  return write_file_atomic(file, noted.dump() + "\n", 0600);
}

Result<OperationRecord> DomainChanges::rewrite(Operations& operations, const DomainChange& change) const {
  TRY_ASSIGN(SearchReplaceOutcome outcome,
             operations.search_replace(change.env, change.tenant,
                                       url_rewrite(change.from_url, change.to_url), {}));
  std::error_code ignored;
  fs::remove(marker(change.env, change.tenant), ignored);
  return outcome.operation;
}

}  // namespace wpfleet::transfer
