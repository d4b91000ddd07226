#include "daemon/systemd_notify.hpp"

#include "common/unique_fd.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>

namespace faasd::daemon {

void sdNotify(std::string_view state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (path == nullptr || path[0] == '\0') {
        return;
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = path;
    if (p.size() >= sizeof addr.sun_path) {
        return;
    }
    std::copy(p.begin(), p.end(), addr.sun_path);
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size());
    if (p[0] == '@') {
        addr.sun_path[0] = '\0'; // abstract socket
    }
    // A lost notification is systemd's timeout to report; the daemon runs on.
    (void)::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                   reinterpret_cast<sockaddr*>(&addr), len);
}

} // namespace faasd::daemon
