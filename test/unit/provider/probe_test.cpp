#include "common/unique_fd.hpp"
#include "provider/probe.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace faasd;
using namespace faasd::provider;
using namespace std::chrono_literals;

namespace {

// A one-shot HTTP server on 127.0.0.1:<ephemeral> answering with status.
struct OneShot {
    UniqueFd listener;
    uint16_t port = 0;
    std::thread thread;
    explicit OneShot(const std::string& answer) {
        listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
        REQUIRE(::listen(listener.get(), 1) == 0);
        thread = std::thread([this, answer] {
            UniqueFd conn(::accept(listener.get(), nullptr, nullptr));
            char buf[1024];
            (void)::read(conn.get(), buf, sizeof buf);
            (void)::write(conn.get(), answer.data(), answer.size());
        });
    }
    ~OneShot() { thread.join(); }
};

} // namespace

TEST_CASE("probe: a status below 500 is ready, 503 is not", "[provider][probe]") {
    {
        OneShot s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        CHECK(httpStatus("127.0.0.1", s.port, "/_/health", 1s).value() == 200);
    }
    {
        OneShot s("HTTP/1.0 404 Not Found\r\n\r\n");
        CHECK(probeReady("127.0.0.1", s.port, 1s));
    }
    {
        OneShot s("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        CHECK_FALSE(probeReady("127.0.0.1", s.port, 1s));
    }
    {
        OneShot s("garbage\r\n");
        auto r = httpStatus("127.0.0.1", s.port, "/", 1s);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::Unavailable);
    }
    // Nothing listening: refused at once.
    OneShot* none = nullptr;
    (void)none;
    CHECK_FALSE(probeReady("127.0.0.1", 1, 500ms));
    CHECK_FALSE(httpStatus("not-an-ip", 80, "/", 100ms));
}
