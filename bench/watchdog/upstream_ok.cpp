// A trivial HTTP/1.1 server for the http-mode benchmark: one thread, epoll,
// answers every request with "ok" on kept-alive connections. It only
// understands requests without a body, which is all the benchmark sends.
//
//   upstream_ok PORT

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>

namespace {

constexpr char answer[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

struct Connection {
    std::string in;
    std::string out;
};

void closeConnection(int epoll, int fd, std::unordered_map<int, Connection>& connections) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    connections.erase(fd);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: upstream_ok PORT\n");
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener, 1024) != 0) {
        std::perror("upstream_ok: listen");
        return 1;
    }
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listener;
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    std::unordered_map<int, Connection> connections;
    epoll_event events[256];
    char buffer[16384];
    for (;;) {
        int n = epoll_wait(epoll, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                for (;;) {
                    int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (client < 0) {
                        break;
                    }
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event e{};
                    e.events = EPOLLIN;
                    e.data.fd = client;
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &e);
                    connections[client];
                }
                continue;
            }
            Connection& c = connections[fd];
            ssize_t got = read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) {
                    continue;
                }
                closeConnection(epoll, fd, connections);
                continue;
            }
            c.in.append(buffer, static_cast<size_t>(got));
            size_t end;
            while ((end = c.in.find("\r\n\r\n")) != std::string::npos) {
                c.in.erase(0, end + 4);
                c.out.append(answer, sizeof answer - 1);
            }
            if (!c.out.empty()) {
                ssize_t sent = write(fd, c.out.data(), c.out.size());
                if (sent > 0) {
                    c.out.erase(0, static_cast<size_t>(sent));
                }
            }
        }
    }
}
