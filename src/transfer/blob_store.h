// Files by content, as restic and borg keep them: one file per distinct content, named
// by its SHA-256, so that snapshots of a site that changed little share almost all of
// their files. A snapshot then holds its dump and a file list (path, mode, size, hash).
//
// One store per environment (`<state>/blobs/<env>/`, root's, 0700, each blob 0600): a
// tenant never reaches it, and blobs are copied out, never linked into a tenant's tree
// (a link would hand the tenant the blob itself once its files are given to it).
// A blob is written under a temporary name and renamed into place, so a blob of a given
// name is always whole; a crash leaves at worst a temporary file or a blob that nothing
// references, which collect_garbage removes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "util/result.h"

namespace wpfleet::transfer {

struct StoredBlob {
  std::string sha256;
  std::uint64_t size = 0;
  bool added = false;  // false when the store had it already
};

struct GarbageReport {
  std::uint64_t blobs = 0;  // unreferenced blobs removed
  std::uint64_t bytes = 0;
  std::uint64_t leftovers = 0;  // temporary files of interrupted writes removed
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }

  // Stores the first `size` bytes of the regular file open as `fd` (fewer if it is
  // shorter by then). The content is hashed first and written only when the store lacks
  // it; what was written is hashed again as it is copied, and that is the name it gets,
  // so a file changed in between is stored as it was read, never under a wrong name.
  Result<StoredBlob> put(int fd, std::uint64_t size);

  // The bytes of the blobs this object added (not had already): what they cost.
  std::uint64_t added_bytes() const { return added_bytes_; }

  // Makes the names of the blobs this object added durable (fsync of their directories):
  // before anything that lists them is recorded, so that after a power loss no record
  // names a blob that is not there.
  Status sync();

  bool contains(const std::string& sha256) const;
  // The blob's size on disk; 0 when it is missing.
  std::uint64_t size_of(const std::string& sha256) const;

  // Hands the blob's content to `sink` in pieces, checking it still has its hash: a
  // damaged blob is an error after the last piece, so the caller must not trust what it
  // wrote until this returns.
  Status read(const std::string& sha256, const std::function<Status(std::string_view)>& sink) const;

  // Removes every blob not in `referenced` and the temporary files of interrupted
  // writes, then clears a sweep owed. Only while nothing else writes to the store (the
  // state lock).
  Result<GarbageReport> collect_garbage(const std::set<std::string>& referenced);

  // Whether blobs nothing lists may be here: owe_sweep() is called before anything that
  // can leave some (a snapshot deleted, an interrupted one's leftovers removed), and the
  // mark stays until a collect_garbage finishes, so a crash in between still sweeps.
  // Without it, sweeping every shard after each snapshot would find nothing.
  Status owe_sweep();
  bool sweep_owed() const;

 private:
  std::filesystem::path path_of(const std::string& sha256) const;
  std::filesystem::path root_;
  std::uint64_t added_bytes_ = 0;
  std::set<std::filesystem::path> unsynced_;  // directories that gained a blob
};

// Whether `text` is a SHA-256 in lowercase hex: what a blob may be named.
bool is_blob_name(std::string_view text);

}  // namespace wpfleet::transfer
