// Benchmark helper for bench/gateway/run.sh, two roles:
//   bench_gateway upstream            a trivial HTTP/1.1 server ("ok"), one thread
//   bench_gateway gateway PORT [N]    the Gateway with N I/O threads, function
//                                     "echo" resolving to 127.0.0.1:PORT
// Each prints "port <n>" on stdout, then serves on 127.0.0.1 until SIGINT
// or SIGTERM. FAASD_METRICS_HISTORY=false turns the gateway's metrics
// history off (bench/history/run.sh compares the two).

#include "fake_provider.hpp"
#include "gateway/gateway.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

net::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
        http::request<http::string_body> req;
        co_await http::async_read(stream, buffer, req, net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            break;
        }
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/plain");
        res.body() = "ok";
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
        if (ec || !req.keep_alive()) {
            break;
        }
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        beast::error_code ec;
        tcp::socket socket(acceptor.get_executor());
        co_await acceptor.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            co_return;
        }
        socket.set_option(tcp::no_delay(true), ec);
        net::co_spawn(acceptor.get_executor(), serve(std::move(socket)), net::detached);
    }
}

void waitForSignal(const sigset_t& set) {
    int sig = 0;
    sigwait(&set, &sig);
}

} // namespace

int main(int argc, char** argv) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr); // threads started below inherit it

    if (argc >= 2 && std::strcmp(argv[1], "upstream") == 0) {
        net::io_context ioc{1};
        tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        std::printf("port %u\n", acceptor.local_endpoint().port());
        std::fflush(stdout);
        net::co_spawn(ioc, listen(acceptor), net::detached);
        std::thread loop([&] { ioc.run(); });
        waitForSignal(set);
        ioc.stop();
        loop.join();
        return 0;
    }
    if (argc >= 3 && std::strcmp(argv[1], "gateway") == 0) {
        faasd::gateway::test::FakeProvider provider;
        provider.addFunction("echo", "openfaas-fn", "bench");
        provider.namespaces["openfaas-fn"] = {};
        provider.setEndpoints("echo", "openfaas-fn",
                              {{"echo-0", "127.0.0.1", static_cast<uint16_t>(std::atoi(argv[2]))}});
        faasd::gateway::GatewayConfig config;
        config.bindAddress = "127.0.0.1";
        config.port = 0;
        config.ioThreads = argc >= 4 ? static_cast<unsigned>(std::atoi(argv[3])) : 1;
        const char* history = std::getenv("FAASD_METRICS_HISTORY");
        config.history = history == nullptr || std::strcmp(history, "false") != 0;
        // HTTPS with these files; the plain listener beside it is printed too.
        const char* cert = std::getenv("FAASD_TLS_CERT");
        const char* key = std::getenv("FAASD_TLS_KEY");
        if (cert != nullptr && key != nullptr) {
            config.tls = {.certFile = cert, .keyFile = key, .watch = std::chrono::milliseconds(0)};
        }
        faasd::gateway::Gateway gateway(config, provider);
        if (auto started = gateway.start(); !started) {
            std::fprintf(stderr, "%s\n", started.error().message().c_str());
            return 1;
        }
        if (config.tls.enabled()) {
            std::printf("internal %u\n", gateway.internalPort());
        }
        std::printf("port %u\n", gateway.port());
        std::fflush(stdout);
        waitForSignal(set);
        gateway.stop();
        return 0;
    }
    std::fprintf(stderr, "usage: %s upstream | gateway UPSTREAM_PORT [IO_THREADS]\n", argv[0]);
    return 2;
}
