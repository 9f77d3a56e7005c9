// Streaming compression (zstd) and a tar container (libarchive): what wpfleet's export
// archives and snapshots are made of. Both stream, so memory stays flat whatever the
// size of the site.
#pragma once

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;
struct archive;

namespace wpfleet {

// Compresses what is written to it into a file.
class ZstdFileWriter {
 public:
  static Result<ZstdFileWriter> create(const std::filesystem::path& path, int level = 3);
  ZstdFileWriter(ZstdFileWriter&& other) noexcept;
  ZstdFileWriter& operator=(ZstdFileWriter&&) = delete;
  ~ZstdFileWriter();
  Status write(std::string_view data);
  Status close();  // flushes the frame and closes the file

 private:
  ZstdFileWriter() = default;
  Status emit(std::string_view data, int mode);
  std::FILE* file_ = nullptr;
  ZSTD_CCtx_s* ctx_ = nullptr;
  std::filesystem::path path_;
};

// Decompresses a zstd stream fed in pieces, handing the output to `sink`.
class ZstdDecoder {
 public:
  using Sink = std::function<Status(std::string_view)>;
  explicit ZstdDecoder(Sink sink);
  ZstdDecoder(const ZstdDecoder&) = delete;
  ZstdDecoder& operator=(const ZstdDecoder&) = delete;
  ~ZstdDecoder();
  Status feed(std::string_view compressed);
  Status finish();  // an Error if the stream ended mid-frame

 private:
  ZSTD_DCtx_s* ctx_;
  Sink sink_;
  bool mid_frame_ = false;
};

// Writes a POSIX tar file entry by entry. Owners are left out (the reader decides who
// owns what it unpacks); symlinks are never written.
class TarWriter {
 public:
  static Result<TarWriter> create(const std::filesystem::path& path);
  TarWriter(TarWriter&& other) noexcept;
  TarWriter& operator=(TarWriter&&) = delete;
  ~TarWriter();
  Status add_bytes(const std::string& name, std::string_view data);
  // The regular file at `source` (a symlink there is refused, not followed).
  Status add_file(const std::string& name, const std::filesystem::path& source);
  // The regular file open as `fd`, which `st` (its fstat) describes: exactly st_size
  // bytes from its start, however it changes meanwhile.
  Status add_file(const std::string& name, int fd, const struct stat& st);
  Status add_directory(const std::string& name, const struct stat& st);
  Status close();

 private:
  TarWriter() = default;
  Status header(const std::string& name, const struct stat* st, std::int64_t size);
  archive* archive_ = nullptr;
  std::string path_;
};

// Reads a tar file, plain or gzip-compressed, entry by entry.
class TarReader {
 public:
  struct Entry {
    std::string name;
    bool is_directory;
    bool is_symlink;
    std::string symlink_target;
    std::int64_t size;
    unsigned mode;
  };
  // Called for every entry; `read_data` hands the entry's content to a callback in
  // pieces (call it at most once).
  using Visitor = std::function<Status(
      const Entry&, const std::function<Status(const std::function<Status(std::string_view)>&)>&
                        read_data)>;
  static Status for_each(const std::filesystem::path& path, const Visitor& visit);
  // The content of entry `name`, reading no further than it; nothing if it is absent.
  static Result<std::optional<std::string>> read_entry(const std::filesystem::path& path,
                                                       const std::string& name);
};

}  // namespace wpfleet
