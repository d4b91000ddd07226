#include "watchdog/proxy_handler.hpp"

#include "watchdog/proxy_call.hpp"

#include <boost/asio/post.hpp>
#include <cerrno>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

extern char** environ;

namespace faasd::watchdog {

namespace {

constexpr auto probeInterval = std::chrono::milliseconds(20);
constexpr auto stopGrace = std::chrono::seconds(10);
constexpr size_t maxIdle = 1024;
constexpr size_t scratchSize = 64 * 1024;

} // namespace

ProxyHandler::ProxyHandler(asio::io_context& io, const Config& config, ChildReaper& reaper)
    : io_(io), config_(config), reaper_(reaper), timer_(io), stdout_(io), stderr_(io),
      stdoutLog_("stdout", config.prefixLogs), stderrLog_("stderr", config.prefixLogs) {}

ProxyHandler::~ProxyHandler() = default;

Result<void> ProxyHandler::start(std::function<void()> ready, std::function<void(int)> fatal) {
    onReady_ = std::move(ready);
    onFatal_ = std::move(fatal);
    error_code ec;
    auto address = asio::ip::make_address(config_.upstream->host, ec);
    if (ec) {
        return fail(Code::InvalidArgument, "upstream_url: host {:?} is not an IP address",
                    config_.upstream->host);
    }
    endpoint_ = tcp::endpoint(address, config_.upstream->port);

    const char* pathEnv = ::getenv("PATH");
    TRY_ASSIGN(std::string path,
               withContext(findExecutable(config_.argv[0], pathEnv ? pathEnv : ""),
                           "fprocess " + config_.fprocess));
    std::vector<std::string> args = config_.argv;
    std::vector<char*> argv;
    for (std::string& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    Pipe out;
    Pipe err;
    if (config_.prefixLogs) {
        // Lines are re-logged with a date and "stdout: "/"stderr: ".
        TRY_ASSIGN(out, makePipe());
        TRY_ASSIGN(err, makePipe());
        setNonBlocking(out.read.get());
        setNonBlocking(err.read.get());
    }
    SpawnSpec spec;
    spec.path = path.c_str();
    spec.argv = argv.data();
    spec.envp = environ;
    spec.stdinFd = devNull.get();
    spec.stdoutFd = out.write.get();
    spec.stderrFd = err.write.get();
    std::string words;
    for (size_t i = 1; i < args.size(); ++i) {
        words += (i > 1 ? " " : "") + args[i];
    }
    logLine("Forking: " + path + ", arguments: [" + words + "]");
    TRY_ASSIGN(pid_, spawnProcess(spec));
    out.write.reset();
    err.write.reset();
    reaper_.watch(pid_, [this](int status) { onUpstreamExit(status); });
    if (config_.prefixLogs) {
        scratch_.reset(new char[scratchSize]);
        stdout_.assign(out.read.release(), ec);
        stderr_.assign(err.read.release(), ec);
        watchLog(stdout_, stdoutLog_);
        watchLog(stderr_, stderrLog_);
    }
    probe();
    return {};
}

void ProxyHandler::watchLog(asio::posix::stream_descriptor& fd, LineLogger& logger) {
    fd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, &fd, &logger](const error_code& ec) {
                      if (ec) {
                          return;
                      }
                      drainLog(fd, logger);
                      if (fd.is_open()) {
                          watchLog(fd, logger);
                      }
                  });
}

void ProxyHandler::drainLog(asio::posix::stream_descriptor& fd, LineLogger& logger) {
    while (fd.is_open()) {
        ssize_t n = ::read(fd.native_handle(), scratch_.get(), scratchSize);
        if (n > 0) {
            logger.feed(std::string_view(scratch_.get(), static_cast<size_t>(n)));
            continue;
        }
        if (n < 0 && (errno == EINTR)) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return;
        }
        logger.finish();
        error_code ec;
        fd.close(ec);
    }
}

// Connects every probeInterval until the upstream accepts; that first
// connection goes into the pool.
void ProxyHandler::probe() {
    if (exited_ || stopping_) {
        return;
    }
    probing_ = std::make_unique<UpstreamConnection>(io_);
    probing_->socket.async_connect(endpoint_, [this](const error_code& ec) {
        if (!probing_) {
            return;
        }
        if (ec) {
            probing_.reset();
            timer_.expires_after(probeInterval);
            timer_.async_wait([this](const error_code& e) {
                if (!e) {
                    probe();
                }
            });
            return;
        }
        error_code ignored;
        probing_->socket.set_option(tcp::no_delay(true), ignored);
        giveBack(std::move(probing_));
        ready_ = true;
        logLine("Upstream ready: " + config_.upstream->host + ":" +
                std::to_string(config_.upstream->port));
        if (auto ready = std::move(onReady_)) {
            ready();
        }
    });
}

void ProxyHandler::onUpstreamExit(int status) {
    exited_ = true;
    probing_.reset();
    if (stdout_.is_open()) {
        drainLog(stdout_, stdoutLog_);
    }
    if (stderr_.is_open()) {
        drainLog(stderr_, stderrLog_);
    }
    if (stopping_) {
        timer_.cancel();
        if (auto stopped = std::move(onStopped_)) {
            asio::post(io_, std::move(stopped));
        }
        return;
    }
    logLine("Forked function has terminated: " + describeExit(status));
    if (auto fatal = std::move(onFatal_)) {
        fatal(1);
    }
}

void ProxyHandler::stop(std::function<void()> done) {
    stopping_ = true;
    idle_.clear();
    probing_.reset();
    if (exited_ || pid_ <= 0) {
        asio::post(io_, std::move(done));
        return;
    }
    onStopped_ = std::move(done);
    ::kill(pid_, SIGTERM);
    timer_.expires_after(stopGrace);
    timer_.async_wait([this](const error_code& ec) {
        if (!ec && !exited_) {
            logLine("Upstream did not stop after SIGTERM: killing it");
            ::kill(-pid_, SIGKILL);
        }
    });
}

std::unique_ptr<UpstreamConnection> ProxyHandler::takeIdle() {
    if (idle_.empty()) {
        return nullptr;
    }
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    connection->reused = true;
    return connection;
}

void ProxyHandler::giveBack(std::unique_ptr<UpstreamConnection> connection) {
    if (stopping_ || exited_ || idle_.size() >= maxIdle || !connection->in.empty()) {
        return; // closed
    }
    idle_.push_back(std::move(connection));
}

void ProxyHandler::serve(const std::shared_ptr<Session>& session) {
    std::make_shared<ProxyCall>(*this, session)->run();
}

} // namespace faasd::watchdog
