#include "platform/probes.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace wpfleet {

namespace {

constexpr int kTimeoutMs = 1000;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

bool wait_for(int fd, short events) {
  pollfd polled{fd, events, 0};
  int ready;
  do {
    ready = ::poll(&polled, 1, kTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  return ready == 1 && (polled.revents & events) != 0;
}

// A non-blocking connect that gives up after the timeout.
bool connect_within_timeout(const Socket& socket, const sockaddr* address, socklen_t length) {
  if (!socket.valid()) return false;
  if (::connect(socket.fd(), address, length) == 0) return true;
  if (errno != EINPROGRESS && errno != EAGAIN) return false;
  if (!wait_for(socket.fd(), POLLOUT)) return false;
  int error = 0;
  socklen_t size = sizeof error;
  return ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
}

std::optional<sockaddr_un> unix_address(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof address.sun_path) return std::nullopt;
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return address;
}

using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

AddressList resolve(const ListenAddress& address, int flags) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(address.port);
  if (::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &list) != 0) list = nullptr;
  return AddressList(list, &::freeaddrinfo);
}

Error not_local_address(const ListenAddress& address) {
  return make_error("cannot listen on " + address.to_string() + ": " + address.host +
                    " is not an address of this machine; change `listen` in the fleet file");
}

}  // namespace

bool unix_socket_accepts(const std::filesystem::path& path) {
  std::optional<sockaddr_un> address = unix_address(path);
  if (!address) return false;
  Socket socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  return connect_within_timeout(socket, reinterpret_cast<const sockaddr*>(&*address),
                                sizeof *address);
}

bool mariadb_answers(const std::filesystem::path& path) {
  std::optional<sockaddr_un> address = unix_address(path);
  if (!address) return false;
  Socket socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!connect_within_timeout(socket, reinterpret_cast<const sockaddr*>(&*address),
                              sizeof *address) ||
      !wait_for(socket.fd(), POLLIN)) {
    return false;
  }
  // The greeting is a packet: 3 bytes length, 1 byte sequence number, then the protocol
  // version, which has been 10 since MySQL 3.21.
  std::array<unsigned char, 5> header{};
  ssize_t n = ::recv(socket.fd(), header.data(), header.size(), MSG_WAITALL);
  return n == static_cast<ssize_t>(header.size()) && header[4] == 10;
}

bool tcp_accepts(const ListenAddress& address) {
  AddressList list = resolve(address, 0);
  for (const addrinfo* entry = list.get(); entry; entry = entry->ai_next) {
    Socket socket(::socket(entry->ai_family, entry->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           entry->ai_protocol));
    if (connect_within_timeout(socket, entry->ai_addr, entry->ai_addrlen)) return true;
  }
  return false;
}

Status check_port_free(const ListenAddress& address) {
  const std::string name = address.to_string();
  AddressList list = resolve(address, AI_PASSIVE);
  if (!list) return not_local_address(address);
  Socket socket(::socket(list->ai_family, list->ai_socktype | SOCK_CLOEXEC, list->ai_protocol));
  int on = 1;
  // As nginx does: a port whose last connections are in TIME_WAIT is free.
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(socket.fd(), list->ai_addr, list->ai_addrlen) == 0) return {};
  switch (errno) {
    case EADDRINUSE:
      return make_error(name +
                        " is already in use by another program: stop it, or change "
                        "`listen` in the fleet file");
    case EACCES:
      return make_error("cannot listen on " + name +
                        ": ports below 1024 need root; run "
                        "wpfleet as root or change `listen` in the fleet file");
    case EADDRNOTAVAIL:
      return not_local_address(address);
    default:
      return make_error("cannot listen on " + name + ": " + std::strerror(errno));
  }
}

}  // namespace wpfleet
