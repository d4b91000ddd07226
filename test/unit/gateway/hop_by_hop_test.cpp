// The invoke proxy forwards no hop-by-hop field (common/http_headers.hpp),
// neither to the replica nor back to the caller; framing is its own.

#include "common/http_headers.hpp"
#include "common/strings.hpp"
#include "harness.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

namespace {

// Every hop-by-hop field but Transfer-Encoding (which frames the body).
constexpr std::string_view kHopFields = "Connection: keep-alive\r\n"
                                        "Keep-Alive: timeout=5\r\n"
                                        "Proxy-Connection: keep-alive\r\n"
                                        "TE: trailers\r\n"
                                        "Trailer: X-Checksum\r\n"
                                        "Upgrade: h2c\r\n"
                                        "Proxy-Authenticate: Basic realm=\"x\"\r\n"
                                        "Proxy-Authorization: Basic eDp5\r\n";

// How many lines of head name the field `name`, in any case.
size_t fieldCount(const std::string& head, std::string_view name) {
    const std::string text = "\n" + asciiLower(head);
    const std::string want = "\n" + asciiLower(name) + ":";
    size_t n = 0;
    for (size_t at = text.find(want); at != std::string::npos; at = text.find(want, at + 1)) {
        ++n;
    }
    return n;
}

// A replica that answers one call with a canned response, then closes.
class CannedUpstream {
public:
    explicit CannedUpstream(std::string response) : response_(std::move(response)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~CannedUpstream() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    provider::Endpoint endpoint() const { return {"canned-0", "127.0.0.1", port_}; }

private:
    void serve() {
        const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) {
            return;
        }
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::read(conn, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            request.append(buf, static_cast<size_t>(n));
        }
        for (size_t done = 0; done < response_.size();) {
            const ssize_t n = ::write(conn, response_.data() + done, response_.size() - done);
            if (n <= 0) {
                break;
            }
            done += static_cast<size_t>(n);
        }
        ::shutdown(conn, SHUT_WR);
        ::close(conn);
    }

    std::string response_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::thread thread_;
};

} // namespace

TEST_CASE("the replica gets none of the caller's hop-by-hop fields") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    // /headers answers with the fields the replica got, one a line.
    c.send(std::string("POST /function/echo/headers HTTP/1.1\r\nHost: gw\r\n") +
           std::string(kHopFields) +
           "Transfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    const std::string res = c.readUntil("X-Kept: yes");
    REQUIRE(res.find("HTTP/1.1 200") == 0);
    const std::string seen = res.substr(res.find("\r\n\r\n"));
    CHECK(fieldCount(seen, "X-Kept") == 1);
    for (std::string_view name : kHopByHopHeaders) {
        INFO(name);
        // The body goes on in chunks: the proxy's own framing, once.
        CHECK(fieldCount(seen, name) == (name == "Transfer-Encoding" ? 1 : 0));
    }
}

TEST_CASE("the caller gets none of the replica's hop-by-hop fields") {
    CannedUpstream up(std::string("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n") +
                      std::string(kHopFields) +
                      "X-Kept: yes\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    Harness h;
    h.provider.setEndpoints("canned", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("GET /function/canned HTTP/1.1\r\nHost: gw\r\n\r\n");
    const std::string res = c.readUntil("0\r\n\r\n");
    REQUIRE(res.find("HTTP/1.1 200") == 0);
    const std::string head = res.substr(0, res.find("\r\n\r\n") + 2);
    CHECK(fieldCount(head, "X-Kept") == 1);
    for (std::string_view name : kHopByHopHeaders) {
        INFO(name);
        // The answer goes on in chunks: the proxy's own framing, once.
        CHECK(fieldCount(head, name) == (name == "Transfer-Encoding" ? 1 : 0));
    }
    CHECK(res.find("2\r\nok\r\n0\r\n\r\n") != std::string::npos);
}
