#include "state/secret_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wpfleet {
namespace {

constexpr std::size_t kKeySize = 32;

std::string errno_text(int error) { return std::strerror(error); }

std::string associated_data(const std::string& scope, const std::string& name) {
  return scope + "\n" + name;
}

std::string describe(const std::string& scope, const std::string& name) {
  return "secret " + name + " of " + scope;
}

// Errors name the secret, never its value.
Result<std::string> unseal(const Bytes& key, const std::string& scope, const std::string& name,
                           const Bytes& sealed) {
  Result<std::string> value = open_sealed(key, sealed, associated_data(scope, name));
  if (!value.ok()) {
    return make_error("cannot read " + describe(scope, name) + ": " + value.error().message +
                      "; is the key file the one the secrets were created with?");
  }
  return value;
}

Status write_key(int fd, const Bytes& key) {
  std::size_t written = 0;
  while (written < key.size()) {
    ssize_t n = ::write(fd, key.data() + written, key.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(errno_text(errno));
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return make_error(errno_text(errno));
  return {};
}

// Creates the key file only if it does not exist (O_EXCL), so an existing key is never
// overwritten. False if another process created it first.
Result<bool> create_key_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return false;
  if (fd < 0)
    return make_error("cannot create key file " + path.string() + ": " + errno_text(errno));
  Result<Bytes> key = random_bytes(kKeySize);
  Status written = key.ok() ? write_key(fd, *key) : Status(key.error());
  ::close(fd);
  if (!written.ok()) {
    ::unlink(path.c_str());  // a short key file would be refused on every later run
    return make_error("cannot write key file " + path.string() + ": " + written.error().message);
  }
  return true;
}

Status check_key_file(const std::filesystem::path& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return make_error("key file " + path.string() + " is not a file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return make_error("key file " + path.string() + " has mode " + mode +
                      ", which lets other users read it; run: chmod 600 " + path.string());
  }
  if (static_cast<std::size_t>(st.st_size) != kKeySize) {
    return make_error("key file " + path.string() + " is " + std::to_string(st.st_size) +
                      " bytes, not " + std::to_string(kKeySize) +
                      "; it is damaged or not a wpfleet key: restore it from a backup");
  }
  return {};
}

Result<Bytes> read_key_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot read key file " + path.string() + ": " + errno_text(errno));
  struct stat st;
  Status checked =
      ::fstat(fd, &st) == 0
          ? check_key_file(path, st)
          : make_error("cannot read key file " + path.string() + ": " + errno_text(errno));
  Bytes key(kKeySize);
  if (checked.ok() && ::read(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size())) {
    checked = make_error("cannot read key file " + path.string() + ": " + errno_text(errno));
  }
  ::close(fd);
  if (!checked.ok()) return std::move(checked).error();
  return key;
}

}  // namespace

Result<SecretStore> SecretStore::open(StateStore& store, const std::filesystem::path& key_path) {
  TRY(create_key_file(key_path));
  TRY_ASSIGN(Bytes key, read_key_file(key_path));
  return SecretStore(store, std::move(key));
}

Result<std::string> SecretStore::get(const std::string& scope, const std::string& name) const {
  TRY_ASSIGN(std::optional<Bytes> sealed, store_->get_secret_row(scope, name));
  if (!sealed) {
    return make_error("no " + describe(scope, name) +
                      " is stored; run `wpfleet apply` to create it");
  }
  return unseal(key_, scope, name, *sealed);
}

Result<std::string> SecretStore::ensure(
    const std::string& scope, const std::string& name,
    const std::function<Result<std::string>()>& generate) const {
  TRY_ASSIGN(std::optional<Bytes> existing, store_->get_secret_row(scope, name));
  if (existing) return unseal(key_, scope, name, *existing);

  TRY_ASSIGN(std::string value, generate());
  TRY_ASSIGN(Bytes sealed, seal(key_, value, associated_data(scope, name)));
  TRY_ASSIGN(bool stored, store_->put_secret_row_if_absent(scope, name, sealed));
  // Someone else stored one meanwhile: theirs is the value everyone must use.
  if (!stored) return get(scope, name);
  return value;
}

Status SecretStore::put(const std::string& scope, const std::string& name,
                        const std::string& value) const {
  TRY_ASSIGN(Bytes sealed, seal(key_, value, associated_data(scope, name)));
  return store_->put_secret_row(scope, name, sealed);
}

Result<std::vector<std::string>> SecretStore::names(const std::string& scope) const {
  return store_->secret_names(scope);
}

Status SecretStore::remove(const std::string& scope, const std::string& name) const {
  return store_->delete_secret_row(scope, name);
}

Status SecretStore::remove_scope(const std::string& scope) const {
  return store_->delete_secret_scope(scope);
}

std::string tenant_secret_scope(const std::string& env, const std::string& tenant) {
  return env + "/" + tenant;
}

std::string pending_secret_name(const std::string& name) {
  return name + std::string(kPendingSuffix);
}

}  // namespace wpfleet
