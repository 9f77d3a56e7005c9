// A domain change: a tenant's home URL moved (its own `domains` entry or its
// environment's `domain` pattern changed), and its content still names the old URL in
// posts, menus, options and serialized settings.
//
// apply converges the routes, the configuration and home/siteurl first, then rewrites
// the live content from the old URL to the new with Operations::search_replace: a
// snapshot first, the serialization-safe rewriter, the result verified and swapped in,
// the previous content put back on failure (and `wpfleet rollback` undoes it later).
// The change is noted in a marker file before apply touches anything and the marker is
// removed once the content is rewritten: after a crash the site's record already names
// the new URL, and the marker is what still says the content is owed its rewrite
// (plan shows it, the next apply does it).
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"
#include "transfer/operations.h"

namespace wpfleet::transfer {

struct DomainChange {
  std::string env;
  std::string tenant;
  std::string from_url;  // e.g. http://goldencrust.wpdev.localhost:8080
  std::string to_url;
  // Noted by an apply that has not rewritten the content yet (a failure or a crash
  // stopped it): unfinished work, which verify names.
  bool noted = false;
};

// "domain change: rewrite content of dev/goldencrust (http://a -> http://b)"
std::string describe(const DomainChange& change);

class DomainChanges {
 public:
  DomainChanges(const Fleet& fleet, Session& session) : fleet_(fleet), session_(session) {}

  // The changes owed in `scope`: those noted before (an apply that did not finish them)
  // and those the fleet file makes now (the site was applied with another URL).
  Result<std::vector<DomainChange>> find(const Scope& scope) const;
  // Notes a change before apply moves the tenant to its new URL.
  Status note(const DomainChange& change) const;
  // Rewrites the content and forgets the note: the operation, for history and rollback.
  Result<OperationRecord> rewrite(Operations& operations, const DomainChange& change) const;

 private:
  std::filesystem::path notes_dir() const;
  std::filesystem::path marker(const std::string& env, const std::string& tenant) const;

  const Fleet& fleet_;
  Session& session_;
};

}  // namespace wpfleet::transfer
