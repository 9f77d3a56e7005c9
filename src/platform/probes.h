// Is a server answering? Quick checks that need no credentials, each giving up after
// about a second, so that callers can poll them.
#pragma once

#include <filesystem>

#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet {

// MariaDB sends its greeting as soon as a client connects, before any login.
bool mariadb_answers(const std::filesystem::path& socket);

bool unix_socket_accepts(const std::filesystem::path& socket);
bool tcp_accepts(const ListenAddress& address);

// OK when `address` could be listened on now; otherwise an Error saying why (in use,
// not an address of this machine, privileged port) and what to change.
Status check_port_free(const ListenAddress& address);

}  // namespace wpfleet
