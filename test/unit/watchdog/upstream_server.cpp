// The upstream HTTP server of the http-mode tests, run by fwatchdog as its
// fprocess:  watchdog_test_upstream PORT
//
//   /echo          the request body back, with X-Seen-* headers describing
//                  the request as the upstream saw it
//   /status/NNN    answers NNN
//   /sse           three server-sent events, 300 ms apart (chunked)
//   /slow?ms=N     answers after N ms
//   /big?bytes=N   N bytes of 'x'
//   /exit?after=F  "bye", then the server exits with status 3 once file F
//                  exists: the client has the answer by then (an exit as the
//                  answer leaves would race it)
//   anything else  "ok"
//
// With --raw it is a bare socket server instead: "/close" closes the
// connection without an answer, anything else answers "raw ok".

#include "wait.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <httplib.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

void serveRawConnection(int fd) {
    std::string in;
    char buffer[4096];
    for (;;) {
        size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
            bool close = in.compare(0, 11, "GET /close ") == 0;
            in.erase(0, end + 4);
            if (close) {
                break;
            }
            const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nraw ok";
            if (write(fd, answer, sizeof answer - 1) < 0) {
                break;
            }
            continue;
        }
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        in.append(buffer, static_cast<size_t>(n));
    }
    close(fd);
}

int serveRaw(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener, 64) != 0) {
        return 1;
    }
    for (;;) {
        int fd = accept(listener, nullptr, nullptr);
        if (fd >= 0) {
            std::thread(serveRawConnection, fd).detach();
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: watchdog_test_upstream PORT [--raw]\n");
        return 2;
    }
    int port = std::atoi(argv[1]);
    if (argc > 2 && std::string(argv[2]) == "--raw") {
        return serveRaw(port);
    }
    httplib::Server server;
    server.set_tcp_nodelay(true);

    auto handle = [&server](const httplib::Request& req, httplib::Response& res) {
        const std::string& path = req.path;
        if (path == "/echo") {
            std::string query;
            for (const auto& [k, v] : req.params) {
                query += (query.empty() ? "" : "&") + k + "=" + v;
            }
            res.set_header("X-Seen-Method", req.method);
            res.set_header("X-Seen-Path", req.path);
            res.set_header("X-Seen-Query", query);
            res.set_header("X-Seen-Host", req.get_header_value("Host"));
            res.set_header("X-Seen-Call-Id", req.get_header_value("X-Call-Id"));
            res.set_header("X-Seen-Connection", req.get_header_value("Connection"));
            res.set_header("X-Seen-Length", std::to_string(req.body.size()));
            std::string type = req.get_header_value("Content-Type");
            res.set_content(req.body, type.empty() ? "text/plain" : type.c_str());
        } else if (path.rfind("/status/", 0) == 0) {
            res.status = std::atoi(path.c_str() + 8);
            res.set_content("status " + path.substr(8), "text/plain");
        } else if (path == "/sse") {
            res.set_chunked_content_provider(
                "text/event-stream", [](size_t, httplib::DataSink& sink) {
                    for (int i = 1; i <= 3; ++i) {
                        std::string event = "data: " + std::to_string(i) + "\n\n";
                        sink.write(event.data(), event.size());
                        // Deliberately slow: the test checks that each event
                        // reaches the client before the next one is written.
                        std::this_thread::sleep_for(std::chrono::milliseconds(300));
                    }
                    sink.done();
                    return true;
                });
        } else if (path == "/slow") {
            int ms = req.has_param("ms") ? std::atoi(req.get_param_value("ms").c_str()) : 1000;
            // Deliberately slow: an upstream that outlasts exec_timeout.
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            res.set_content("slow", "text/plain");
        } else if (path == "/big") {
            size_t bytes = std::strtoul(req.get_param_value("bytes").c_str(), nullptr, 10);
            res.set_content(std::string(bytes, 'x'), "application/octet-stream");
        } else if (path == "/exit") {
            res.set_content("bye", "text/plain");
            std::thread([after = req.get_param_value("after")] {
                (void)faasd::waitUntil(
                    [&] { return after.empty() || access(after.c_str(), F_OK) == 0; },
                    std::chrono::seconds(20));
                std::fprintf(stderr, "upstream exiting\n");
                std::_Exit(3);
            }).detach();
        } else {
            std::printf("upstream served %s\n", path.c_str());
            std::fflush(stdout);
            res.set_content("ok", "text/plain");
        }
    };
    server.Get(".*", handle);
    server.Post(".*", handle);
    server.Put(".*", handle);
    server.Delete(".*", handle);
    server.Patch(".*", handle);
    server.Options(".*", handle);
    std::fprintf(stderr, "upstream listening on %d\n", port);
    return server.listen("127.0.0.1", port) ? 0 : 1;
}
