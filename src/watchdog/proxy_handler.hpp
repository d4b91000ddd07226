#pragma once

// mode=http: fprocess is started once as an HTTP server listening at
// upstream_url; once it accepts connections the watchdog is ready and
// reverse-proxies every request to it over a pool of kept-alive
// connections. Bodies stream both ways and every piece of an answer is
// passed on as it arrives (SSE, NDJSON). 502 when the upstream fails, 504
// past exec_timeout; if the upstream process dies the watchdog exits
// non-zero so the replica is restarted.

#include "watchdog/byte_buffer.hpp"
#include "watchdog/config.hpp"
#include "watchdog/handler.hpp"
#include "watchdog/http_parser.hpp"
#include "watchdog/log_line.hpp"
#include "watchdog/spawn.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace faasd::watchdog {

// One connection to the upstream.
struct UpstreamConnection {
    explicit UpstreamConnection(boost::asio::io_context& io) : socket(io) {}

    boost::asio::ip::tcp::socket socket;
    ByteBuffer in;
    MessageHead head;
    bool reused = false; // taken from the idle pool
};

class ProxyHandler final : public Handler {
public:
    ProxyHandler(boost::asio::io_context& io, const Config& config, ChildReaper& reaper);
    ~ProxyHandler() override;

    Result<void> start(std::function<void()> ready, std::function<void(int)> fatal) override;
    void serve(const std::shared_ptr<Session>& session) override;
    void stop(std::function<void()> done) override;

    // The pool, for proxied calls.
    std::unique_ptr<UpstreamConnection> takeIdle();
    void giveBack(std::unique_ptr<UpstreamConnection> connection);
    const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
    boost::asio::io_context& io() { return io_; }
    const Config& config() const { return config_; }

private:
    void probe();
    void onUpstreamExit(int status);
    void watchLog(boost::asio::posix::stream_descriptor& fd, LineLogger& logger);
    void drainLog(boost::asio::posix::stream_descriptor& fd, LineLogger& logger);

    boost::asio::io_context& io_;
    const Config& config_;
    ChildReaper& reaper_;
    boost::asio::ip::tcp::endpoint endpoint_;
    std::vector<std::unique_ptr<UpstreamConnection>> idle_;

    pid_t pid_ = -1;
    bool exited_ = false;
    bool stopping_ = false;
    bool ready_ = false;
    std::function<void()> onReady_;
    std::function<void(int)> onFatal_;
    std::function<void()> onStopped_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<UpstreamConnection> probing_;

    boost::asio::posix::stream_descriptor stdout_;
    boost::asio::posix::stream_descriptor stderr_;
    LineLogger stdoutLog_;
    LineLogger stderrLog_;
    std::unique_ptr<char[]> scratch_;
};

} // namespace faasd::watchdog
