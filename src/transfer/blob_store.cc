#include "transfer/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "util/crypto.h"
#include "util/fs.h"
#include "util/safe_tree.h"
#include "util/unique_fd.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPiece = 1 << 20;
constexpr char kTemporary[] = "tmp";
// Beside the shards: not a name collect_garbage sweeps.
constexpr char kSweepOwed[] = "sweep-owed";

std::string error_text() { return std::strerror(errno); }

// The first `size` bytes of `fd` (fewer if it ends first), in pieces, read by offset so
// that nobody else's use of the descriptor matters.
Status read_prefix(int fd, std::uint64_t size, const std::function<Status(std::string_view)>& sink) {
  std::vector<char> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(size, kPiece)));
  std::uint64_t offset = 0;
  while (offset < size) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size - offset, buffer.size()));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot read a file to store: " + error_text());
    if (n == 0) break;  // it shrank meanwhile: what was there is what is stored
    TRY(sink(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}
}  // namespace

bool is_blob_name(std::string_view text) { return text.size() == 64 && is_lower_hex(text); }

fs::path BlobStore::path_of(const std::string& sha256) const {
  return root_ / sha256.substr(0, 2) / sha256;
}

bool BlobStore::contains(const std::string& sha256) const {
  struct stat st {};
  return is_blob_name(sha256) && ::lstat(path_of(sha256).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::uint64_t BlobStore::size_of(const std::string& sha256) const {
  struct stat st {};
  if (!is_blob_name(sha256) || ::lstat(path_of(sha256).c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

Result<StoredBlob> BlobStore::put(int fd, std::uint64_t size) {
  Sha256 first;
  TRY(read_prefix(fd, size, [&](std::string_view piece) -> Status {
    first.update(piece);
    return {};
  }));
  StoredBlob blob{first.hex_digest(), 0, false};
  if (contains(blob.sha256)) {
    blob.size = size_of(blob.sha256);
    return blob;
  }
  const fs::path temporary_dir = root_ / kTemporary;
  TRY(make_dirs(temporary_dir, 0700));
  auto suffix = random_bytes(8);
  if (!suffix) return suffix.error();
  const fs::path temporary =
      temporary_dir / sha256_hex(std::string(suffix->begin(), suffix->end())).substr(0, 16);
  UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid()) return make_error("cannot create " + temporary.string() + ": " + error_text());
  Sha256 copied;
  Status written = read_prefix(fd, size, [&](std::string_view piece) -> Status {
    copied.update(piece);
    blob.size += piece.size();
    if (Status piece_written = write_all(out.get(), piece); !piece_written) {
      return make_error("cannot write " + temporary.string() + ": " + piece_written.error().message);
    }
    return {};
  });
  // On disk before it gets its name: a name always stands for the whole content.
  if (written && ::fsync(out.get()) != 0) {
    written = make_error("cannot write " + temporary.string() + ": " + error_text());
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return written.error();
  }
  blob.sha256 = copied.hex_digest();
  const fs::path final_path = path_of(blob.sha256);
  TRY(make_dirs(final_path.parent_path(), 0700));
  blob.added = !contains(blob.sha256);
  if (!blob.added) {
    ::unlink(temporary.c_str());
  } else if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
    const std::string why = error_text();
    ::unlink(temporary.c_str());
    return make_error("cannot store " + final_path.string() + ": " + why);
  } else {
    added_bytes_ += blob.size;
    unsynced_.insert(final_path.parent_path());
  }
  return blob;
}

Status BlobStore::sync() {
  unsynced_.insert(root_);  // which holds the shard directories
  for (const fs::path& dir : unsynced_) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() && errno == ENOENT) continue;  // nothing was ever stored
    if (!fd.valid() || ::fsync(fd.get()) != 0) {
      return make_error("cannot flush " + dir.string() + " to disk: " + error_text());
    }
  }
  unsynced_.clear();
  return {};
}

Status BlobStore::read(const std::string& sha256, const std::function<Status(std::string_view)>& sink) const {
  if (!is_blob_name(sha256)) return make_error("'" + sha256 + "' is not a file's hash: the snapshot is damaged");
  const fs::path path = path_of(sha256);
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid() && errno == ENOENT) {
    return make_error("the stored file " + path.string() + " is missing: the snapshot was taken by "
                      "another wpfleet, or its files were deleted by hand; restore it where it was "
                      "taken, or move content with `wpfleet export`");
  }
  if (!in.valid()) {
    return make_error("the stored file " + path.string() + " cannot be read (" + error_text() +
                      "): the snapshot that lists it is damaged");
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error(path.string() + " is not a stored file: the snapshot that lists it is damaged");
  }
  Sha256 hash;
  TRY(read_prefix(in.get(), static_cast<std::uint64_t>(st.st_size), [&](std::string_view piece) -> Status {
    hash.update(piece);
    return sink(piece);
  }));
  if (hash.hex_digest() != sha256) {
    return make_error("the stored file " + path.string() +
                      " no longer has the content it was stored with: the snapshots that list it "
                      "are damaged");
  }
  return {};
}

Result<GarbageReport> BlobStore::collect_garbage(const std::set<std::string>& referenced) {
  GarbageReport report;
  std::error_code missing;
  if (!fs::exists(root_, missing)) return report;
  TRY_ASSIGN(UniqueFd root, open_dir(root_));
  TRY_ASSIGN(auto shards, list_dir(root.get()));
  for (const std::string& shard : shards) {
    const bool temporary = shard == kTemporary;
    if (!temporary && !(shard.size() == 2 && is_lower_hex(shard))) continue;  // not the store's
    TRY_ASSIGN(UniqueFd dir, in_dir(root_, open_dir_beneath(root.get(), shard)));
    TRY_ASSIGN(auto names, list_dir(dir.get()));
    for (const std::string& name : names) {
      if (!temporary && is_blob_name(name) && referenced.count(name)) continue;
      struct stat st {};
      const bool sized = ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
        return make_error("cannot remove " + (root_ / shard / name).string() + ": " + error_text());
      }
      if (temporary) {
        ++report.leftovers;
      } else {
        ++report.blobs;
        report.bytes += sized ? static_cast<std::uint64_t>(st.st_size) : 0;
      }
    }
  }
  if (::unlinkat(root.get(), kSweepOwed, 0) != 0 && errno != ENOENT) {
    return make_error("cannot remove " + (root_ / kSweepOwed).string() + ": " + error_text());
  }
  return report;
}

Status BlobStore::owe_sweep() {
  TRY(make_dirs(root_, 0700));
  return write_file_atomic(root_ / kSweepOwed, "", 0600);
}

bool BlobStore::sweep_owed() const {
  std::error_code error;
  return fs::exists(root_ / kSweepOwed, error);
}

}  // namespace wpfleet::transfer
