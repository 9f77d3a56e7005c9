#include "util/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

#include "util/safe_tree.h"

namespace wpfleet {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kChunk = 1 << 20;

Error zstd_error(const std::string& doing, std::size_t code) {
  return make_error("cannot " + doing + ": " + ZSTD_getErrorName(code));
}

Error archive_error(archive* a, const std::string& doing) {
  const char* why = archive_error_string(a);
  return make_error("cannot " + doing + ": " + (why ? why : "unknown error"));
}
}  // namespace

// ---- zstd -----------------------------------------------------------------------------

Result<ZstdFileWriter> ZstdFileWriter::create(const fs::path& path, int level) {
  ZstdFileWriter writer;
  writer.path_ = path;
  writer.file_ = std::fopen(path.c_str(), "wb");
  if (!writer.file_) {
    return make_error("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  writer.ctx_ = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(writer.ctx_, ZSTD_c_compressionLevel, level);
  return writer;
}

ZstdFileWriter::ZstdFileWriter(ZstdFileWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      ctx_(std::exchange(other.ctx_, nullptr)),
      path_(std::move(other.path_)) {}

ZstdFileWriter::~ZstdFileWriter() {
  if (file_) std::fclose(file_);
  ZSTD_freeCCtx(ctx_);
}

Status ZstdFileWriter::emit(std::string_view data, int mode) {
  std::vector<char> out(ZSTD_CStreamOutSize());
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  bool done = false;
  while (!done) {
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    const std::size_t left =
        ZSTD_compressStream2(ctx_, &output, &in, static_cast<ZSTD_EndDirective>(mode));
    if (ZSTD_isError(left)) return zstd_error("compress " + path_.string(), left);
    if (std::fwrite(out.data(), 1, output.pos, file_) != output.pos) {
      return make_error("cannot write " + path_.string() + ": " + std::strerror(errno));
    }
    done = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
  }
  return {};
}

Status ZstdFileWriter::write(std::string_view data) { return emit(data, ZSTD_e_continue); }

Status ZstdFileWriter::close() {
  TRY(emit({}, ZSTD_e_end));
  const bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  std::fclose(std::exchange(file_, nullptr));
  if (!ok) return make_error("cannot write " + path_.string() + ": " + std::strerror(errno));
  return {};
}

ZstdDecoder::ZstdDecoder(Sink sink) : ctx_(ZSTD_createDCtx()), sink_(std::move(sink)) {}

ZstdDecoder::~ZstdDecoder() { ZSTD_freeDCtx(ctx_); }

Status ZstdDecoder::feed(std::string_view compressed) {
  std::vector<char> out(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    const std::size_t hint = ZSTD_decompressStream(ctx_, &output, &in);
    if (ZSTD_isError(hint)) return zstd_error("decompress", hint);
    mid_frame_ = hint != 0;
    if (output.pos > 0) TRY(sink_(std::string_view(out.data(), output.pos)));
  }
  // Flush what the decoder still holds for input already consumed.
  while (mid_frame_) {
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    const std::size_t hint = ZSTD_decompressStream(ctx_, &output, &in);
    if (ZSTD_isError(hint)) return zstd_error("decompress", hint);
    mid_frame_ = hint != 0;
    if (output.pos == 0) break;
    TRY(sink_(std::string_view(out.data(), output.pos)));
  }
  return {};
}

Status ZstdDecoder::finish() {
  if (mid_frame_) return make_error("the compressed data ends in the middle: the file is truncated");
  return {};
}

// ---- tar ------------------------------------------------------------------------------

Result<TarWriter> TarWriter::create(const fs::path& path) {
  TarWriter writer;
  writer.path_ = path.string();
  writer.archive_ = archive_write_new();
  archive_write_set_format_pax_restricted(writer.archive_);
  if (archive_write_open_filename(writer.archive_, path.c_str()) != ARCHIVE_OK) {
    return archive_error(writer.archive_, "create " + path.string());
  }
  return writer;
}

TarWriter::TarWriter(TarWriter&& other) noexcept
    : archive_(std::exchange(other.archive_, nullptr)), path_(std::move(other.path_)) {}

TarWriter::~TarWriter() {
  if (archive_) archive_write_free(archive_);
}

Status TarWriter::header(const std::string& name, const struct stat* st, std::int64_t size) {
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  if (st) {
    archive_entry_copy_stat(entry, st);
    archive_entry_set_uid(entry, 0);  // owners are the target's business
    archive_entry_set_gid(entry, 0);
    archive_entry_set_nlink(entry, 1);
  } else {
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
  }
  archive_entry_set_size(entry, size);
  const int rc = archive_write_header(archive_, entry);
  archive_entry_free(entry);
  if (rc != ARCHIVE_OK) return archive_error(archive_, "write " + name + " into " + path_);
  return {};
}

Status TarWriter::add_bytes(const std::string& name, std::string_view data) {
  TRY(header(name, nullptr, static_cast<std::int64_t>(data.size())));
  if (archive_write_data(archive_, data.data(), data.size()) < 0) {
    return archive_error(archive_, "write " + name + " into " + path_);
  }
  return {};
}

Status TarWriter::add_file(const std::string& name, const fs::path& source) {
  const UniqueFd fd(::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return make_error("cannot read " + source.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error("cannot read " + source.string() + ": not a regular file");
  }
  return add_file(name, fd.get(), st);
}

Status TarWriter::add_file(const std::string& name, int fd, const struct stat& st) {
  TRY(header(name, &st, st.st_size));
  // A file that shrank meanwhile is padded with zeros by libarchive; one that grew is
  // cut at the size the header announced.
  std::vector<char> buffer(kChunk);
  for (off_t offset = 0; offset < st.st_size;) {
    const std::size_t want = static_cast<std::size_t>(std::min<off_t>(st.st_size - offset, kChunk));
    const ssize_t n = ::pread(fd, buffer.data(), want, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot read " + name + ": " + std::strerror(errno));
    if (n == 0) break;
    if (archive_write_data(archive_, buffer.data(), static_cast<std::size_t>(n)) < 0) {
      return archive_error(archive_, "write " + name + " into " + path_);
    }
    offset += n;
  }
  return {};
}

Status TarWriter::add_directory(const std::string& name, const struct stat& st) {
  return header(name.ends_with("/") ? name : name + "/", &st, 0);
}

Status TarWriter::close() {
  const int rc = archive_write_close(archive_);
  archive_write_free(std::exchange(archive_, nullptr));
  if (rc != ARCHIVE_OK) return make_error("cannot finish " + path_);
  return {};
}

namespace {
// Visits entries until `visit` says stop (false) or the archive ends.
Status visit_entries(const fs::path& path,
                     const std::function<Result<bool>(
                         const TarReader::Entry&,
                         const std::function<Status(const std::function<Status(std::string_view)>&)>&)>&
                         visit) {
  std::unique_ptr<archive, int (*)(archive*)> reader(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(reader.get());
  archive_read_support_filter_gzip(reader.get());  // release archives are .tar.gz
  if (archive_read_open_filename(reader.get(), path.c_str(), kChunk) != ARCHIVE_OK) {
    return archive_error(reader.get(), "open " + path.string());
  }
  archive_entry* entry = nullptr;
  while (true) {
    const int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) return archive_error(reader.get(), "read " + path.string());
    const char* link = archive_entry_symlink(entry);
    TarReader::Entry info{archive_entry_pathname(entry), archive_entry_filetype(entry) == AE_IFDIR,
               archive_entry_filetype(entry) == AE_IFLNK, link ? link : "",
               archive_entry_size(entry), static_cast<unsigned>(archive_entry_perm(entry))};
    auto read_data = [&](const std::function<Status(std::string_view)>& sink) -> Status {
      std::vector<char> buffer(kChunk);
      while (true) {
        const la_ssize_t n = archive_read_data(reader.get(), buffer.data(), buffer.size());
        if (n < 0) return archive_error(reader.get(), "read " + info.name + " in " + path.string());
        if (n == 0) return {};
        TRY(sink(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
      }
    };
    TRY_ASSIGN(bool more, visit(info, read_data));
    if (!more) break;
  }
  return {};
}
}  // namespace

Status TarReader::for_each(const fs::path& path, const Visitor& visit) {
  return visit_entries(path, [&](const Entry& entry, const auto& read_data) -> Result<bool> {
    Status visited = visit(entry, read_data);
    if (!visited) return std::move(visited).error();
    return true;
  });
}

Result<std::optional<std::string>> TarReader::read_entry(const fs::path& path,
                                                         const std::string& name) {
  std::optional<std::string> content;
  Status read = visit_entries(path, [&](const Entry& entry, const auto& read_data) -> Result<bool> {
    if (entry.name != name) return true;
    content.emplace();
    TRY(read_data([&](std::string_view piece) -> Status {
      content->append(piece);
      return {};
    }));
    return false;
  });
  TRY(read);
  return content;
}

}  // namespace wpfleet
