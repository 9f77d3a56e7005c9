// The files half of TenantData's staging, the same on every backend whose tenant
// files are a directory wpfleet can reach: staging and previous directories beside the
// live one (`<live>.staging`, `<live>.previous`) in a parent that only root writes (so
// those names are resolved by name), swapped whole. What is inside them is the
// tenant's, which its PHP may be changing while wpfleet works: it is only reached
// through descriptors (util/safe_tree.h).
//
// A crash at any point of a swap leaves names that restore_previous tells apart: a
// note (`<live>.swapping`, the live directory's device and inode before the swap)
// says whether the exchange happened.
#pragma once

#include <filesystem>
#include <string>

#include "backends/content_summary.h"
#include "util/result.h"
#include "util/safe_tree.h"
#include "util/unique_fd.h"

namespace wpfleet {

enum class SwapMethod {
  // One renameat2(RENAME_EXCHANGE): a process that resolves the live name sees the old
  // directory or the new, never none (local file systems).
  Exchange,
  // live -> previous, then staging -> live: for file systems without RENAME_EXCHANGE
  // (NFS, so EFS), whose readers hold the directory they mounted and see a swap only
  // when they mount again.
  TwoRenames,
};

class DirectorySwap {
 public:
  DirectorySwap(std::filesystem::path parent, std::string live, SwapMethod method)
      : parent_(std::move(parent)), live_(std::move(live)), method_(method) {}

  // A fresh, empty staging directory, root's alone (0700) until adopt_staging.
  Result<UniqueFd> fresh_staging();
  // Every entry of the live directory, each opened without following symlinks.
  Status read_live(const TreeVisitor& visit);
  // Gives the staged tree to `owner`, its top opened to the web server (0755).
  Status adopt_staging(const Owner& owner);

  // Staging -> live and live -> previous.
  Status swap_in();
  // Previous -> live again, also after a swap a crash stopped anywhere; whether it
  // moved anything (false: the live files were never replaced). With TwoRenames what
  // was swapped in is left in staging: discard_staging removes it.
  Result<bool> restore_previous();
  Status discard_previous();
  Status discard_staging();

  // The live files' count, bytes and a digest of every path, size and modification time.
  Status summarize(FilesSummary& files);

 private:
  std::filesystem::path live() const { return parent_ / live_; }
  std::filesystem::path staging() const { return parent_ / (live_ + ".staging"); }
  std::filesystem::path previous() const { return parent_ / (live_ + ".previous"); }
  std::filesystem::path note() const { return parent_ / (live_ + ".swapping"); }

  std::filesystem::path parent_;
  std::string live_;
  SwapMethod method_;
};

}  // namespace wpfleet
