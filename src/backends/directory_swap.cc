#include "backends/directory_swap.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "util/crypto.h"
#include "util/fs.h"

namespace wpfleet {

namespace fs = std::filesystem;

namespace {

// Device and inode of the entry itself (never a link's target): the same name holds
// another directory after an exchange.
std::string directory_identity(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

bool present(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Atomically exchanges two directory entries (Linux renameat2 RENAME_EXCHANGE).
Status exchange(const fs::path& a, const fs::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0) {
    return make_error("cannot swap " + a.string() + " and " + b.string() + ": " +
                      std::strerror(errno));
  }
  return {};
}

Status rename_entry(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return make_error("cannot rename " + from.string() + " to " + to.string() + ": " +
                      std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<UniqueFd> DirectorySwap::fresh_staging() {
  TRY_ASSIGN(UniqueFd parent, open_dir(parent_));
  const std::string name = staging().filename().string();
  TRY(in_dir(parent_, remove_tree_at(parent.get(), name)));
  return in_dir(parent_, ensure_dir_at(parent.get(), name, 0700, std::nullopt));
}

Status DirectorySwap::read_live(const TreeVisitor& visit) {
  TRY_ASSIGN(UniqueFd parent, open_dir(parent_));
  TRY_ASSIGN(UniqueFd files, in_dir(parent_, open_dir_beneath(parent.get(), live_)));
  return in_dir(parent_, walk_tree(files.get(), visit));
}

Status DirectorySwap::adopt_staging(const Owner& owner) {
  TRY_ASSIGN(UniqueFd parent, open_dir(parent_));
  TRY_ASSIGN(UniqueFd staged,
             in_dir(parent_, open_dir_beneath(parent.get(), staging().filename())));
  TRY(in_dir(parent_, chown_tree(staged.get(), owner)));
  if (::fchmod(staged.get(), 0755) != 0) {
    return make_error("cannot open the staged files to the web server: " +
                      std::string(std::strerror(errno)));
  }
  return {};
}

Status DirectorySwap::swap_in() {
  TRY(remove_tree(previous()));
  TRY(write_file_atomic(note(), directory_identity(live()), 0600));
  if (method_ == SwapMethod::Exchange) {
    TRY(exchange(staging(), live()));
    TRY(rename_entry(staging(), previous()));
  } else {
    if (present(live())) TRY(rename_entry(live(), previous()));
    TRY(rename_entry(staging(), live()));
  }
  std::error_code ignored;
  fs::remove(note(), ignored);
  return {};
}

Result<bool> DirectorySwap::restore_previous() {
  bool moved = false;
  if (!present(live()) && present(previous())) {
    // Two renames stopped between them: the previous files were never replaced.
    TRY(rename_entry(previous(), live()));
    moved = true;
  } else if (auto before = read_file(note());
             before && directory_identity(live()) != *before && present(staging())) {
    // An exchange that stopped before its rename left the replaced files in staging.
    TRY(rename_entry(staging(), previous()));
  }
  std::error_code ignored;
  fs::remove(note(), ignored);
  if (!present(previous())) return moved;
  if (method_ == SwapMethod::Exchange) {
    TRY(exchange(previous(), live()));
    TRY(remove_tree(previous()));
    return true;
  }
  // What was swapped in goes aside as staging, for discard_staging to throw away once
  // nothing reads it (on NFS, readers that mounted it keep it until they mount again);
  // a crash between the renames leaves the case handled first above.
  TRY(remove_tree(staging()));
  TRY(rename_entry(live(), staging()));
  TRY(rename_entry(previous(), live()));
  return true;
}

Status DirectorySwap::discard_previous() { return remove_tree(previous()); }

Status DirectorySwap::discard_staging() { return remove_tree(staging()); }

Status DirectorySwap::summarize(FilesSummary& files) {
  std::vector<std::string> entries;
  TRY(read_live([&](const TreeEntry& entry) -> Status {
    entries.push_back(entry.path + " " + std::to_string(entry.st.st_size) + " " +
                      std::to_string(entry.st.st_mtim.tv_sec) + "." +
                      std::to_string(entry.st.st_mtim.tv_nsec));
    if (S_ISREG(entry.st.st_mode)) {
      ++files.count;
      files.bytes += static_cast<std::uint64_t>(entry.st.st_size);
    }
    return {};
  }));
  std::sort(entries.begin(), entries.end());
  std::string listing;
  for (const auto& entry : entries) listing += entry + "\n";
  files.digest = sha256_hex(listing);
  return {};
}

}  // namespace wpfleet
