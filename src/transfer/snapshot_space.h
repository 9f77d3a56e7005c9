// The disk space of an environment's snapshots, which share their files through the
// environment's blob store: what each one holds (its archive and the blobs it lists),
// what each costs on its own and what it shares, the environment's total, and which
// snapshots to delete, oldest first, to bring that total under a budget.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "state/store.h"
#include "util/result.h"

namespace wpfleet::transfer {

struct SnapshotContent {
  SnapshotRecord record;
  std::uint64_t archive_bytes = 0;              // 0 when the archive is gone
  std::map<std::string, std::uint64_t> blobs;  // by hash: each listed file's size, once
  // Why its file list could not be read (its archive damaged or missing); then `blobs`
  // is unknown.
  std::string unreadable;
};

// Reads each snapshot's archive size and file list (a format 1 archive lists none: its
// files are in the archive). A damaged archive is said in `unreadable`, not an error,
// so that the others can still be listed.
std::vector<SnapshotContent> read_snapshot_contents(const std::vector<SnapshotRecord>& records);

struct SnapshotSpace {
  SnapshotRecord record;
  std::uint64_t own_bytes = 0;     // its archive and the blobs no other snapshot lists
  std::uint64_t shared_bytes = 0;  // the blobs it lists that others list too
};

// In the order given.
std::vector<SnapshotSpace> space_of(const std::vector<SnapshotContent>& contents);

// The archives and every listed blob once: what the snapshots take on disk.
std::uint64_t disk_used(const std::vector<SnapshotContent>& contents);

// The snapshots to delete, oldest first, sparing `spared`, until the rest fit in `budget`
// bytes; fewer (possibly none) when the spared ones alone do not fit. `contents` are
// newest first, as the store lists them (it knows the order of snapshots taken within
// the same second).
std::vector<SnapshotRecord> over_budget(const std::vector<SnapshotContent>& contents,
                                        std::uint64_t budget, const std::set<std::string>& spared);

// What a budget never deletes: the snapshot just `taken`, those unfinished operations
// `needed`, and in production each tenant's newest (`records` newest first), the last
// copy of content that may be nowhere else.
std::set<std::string> spared_by_budget(const std::vector<SnapshotRecord>& records, bool production,
                                       const std::set<std::string>& needed, const std::string& taken);

// The hashes of every blob the snapshots list: what garbage collection keeps. An error
// when a snapshot's list is unreadable: then nothing is known to be garbage.
Result<std::set<std::string>> referenced_blobs(const std::vector<SnapshotContent>& contents);

}  // namespace wpfleet::transfer
