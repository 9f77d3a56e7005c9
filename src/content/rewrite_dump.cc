#include "content/rewrite_dump.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace wpfleet::content {
namespace {

constexpr std::size_t kChunkSize = 1 << 20;

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return make_error(std::string("cannot write the rewritten dump: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::size_t> read_some(int fd, std::string& buffer) {
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) {
      return make_error(std::string("cannot read the dump: ") + std::strerror(errno));
    }
  }
}

}  // namespace

Result<std::vector<ColumnCounts>> rewrite_dump(
    int in_fd, std::optional<int> out_fd, const Replacer& replacer, const DumpOptions& options,
    const std::function<void(std::uint64_t bytes_read)>& progress) {
  DumpRewriter rewriter(replacer, options);
  std::string chunk(kChunkSize, '\0');
  std::string out;
  std::uint64_t bytes_read = 0;
  while (true) {
    TRY_ASSIGN(const std::size_t n, read_some(in_fd, chunk));
    if (n == 0) break;
    bytes_read += n;
    out.clear();
    rewriter.feed(std::string_view(chunk).substr(0, n), out);
    if (out_fd) TRY(write_all(*out_fd, out));
    progress(bytes_read);
  }
  out.clear();
  const Status finished = rewriter.finish(out);
  if (out_fd) TRY(write_all(*out_fd, out));
  TRY(finished);
  return rewriter.counts();
}

}  // namespace wpfleet::content
