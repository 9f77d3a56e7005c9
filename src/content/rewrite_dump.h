// Search-replace from one file descriptor to another, in 1 MiB chunks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "content/dump_rewriter.h"
#include "content/replacer.h"
#include "util/result.h"

namespace wpfleet::content {

// Reads a dump from `in_fd` to its end and writes the rewritten dump to `out_fd`, or
// nowhere without one (a dry run, for the counts). `progress` gets the bytes read so far
// after each chunk.
Result<std::vector<ColumnCounts>> rewrite_dump(
    int in_fd, std::optional<int> out_fd, const Replacer& replacer, const DumpOptions& options,
    const std::function<void(std::uint64_t bytes_read)>& progress);

}  // namespace wpfleet::content
