#include "watchdog/session.hpp"

#include "watchdog/handler.hpp"
#include "watchdog/log_line.hpp"
#include "watchdog/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

namespace faasd::watchdog {

namespace {

constexpr size_t headerLimit = 64 * 1024;
constexpr size_t readChunk = 8 * 1024;
constexpr size_t bodyBufferMax = 64 * 1024;
constexpr auto lingerTime = std::chrono::seconds(1);

bool expectsContinue(const MessageHead& request) {
    auto expect = request.find("expect");
    return expect && iequals(*expect, "100-continue");
}

bool isClassicMethod(std::string_view m) {
    return m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

} // namespace

Session::Session(Server& server, tcp::socket socket, bool metricsOnly)
    : server_(server), socket_(std::move(socket)), metricsOnly_(metricsOnly) {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    server_.add(this);
}

Session::~Session() {
    server_.remove(this);
}

void Session::start() {
    newRequest();
    readHead();
}

void Session::newRequest() {
    readDeadline_ = Clock::now() + server_.config().readTimeout;
    parser_.emplace(request_);
    parser_->header_limit(static_cast<uint32_t>(headerLimit));
    uint64_t maxBody = server_.config().maxRequestBytes;
    parser_->body_limit(maxBody ? maxBody : noBodyLimit);
}

void Session::readHead() {
    if (reading_ || !open_) {
        return;
    }
    auto [data, size] = in_.prepare(readChunk, headerLimit + readChunk);
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(data, size),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->onRead(ec, n); });
}

void Session::onRead(const error_code& ec, size_t n) {
    reading_ = false;
    if (!ec) {
        in_.commit(n);
    } else if (ec == asio::error::eof) {
        peerClosed_ = true;
    }
    if (!open_) {
        if (auto waiter = std::move(bodyWaiter_)) {
            waiter(false);
        }
        return;
    }
    switch (phase_) {
    case Phase::ReadingHead:
        if (ec) {
            close();
            return;
        }
        processInput();
        return;
    case Phase::Exchange:
        if (auto waiter = std::move(bodyWaiter_)) {
            waiter(!ec);
        }
        return;
    case Phase::Lingering:
        if (ec) {
            close();
            return;
        }
        in_.consume(in_.size()); // discard what the client still sends
        reading_ = true;
        {
            auto [data, size] = in_.prepare(readChunk, readChunk);
            socket_.async_read_some(
                asio::buffer(data, size),
                [self = shared_from_this()](const error_code& e, size_t m) { self->onRead(e, m); });
        }
        return;
    case Phase::Closed:
        return;
    }
}

void Session::processInput() {
    error_code ec;
    size_t used = parser_->feed(in_.readable(), ec);
    in_.consume(used);
    if (ec) {
        beginExchange();
        keepAlive_ = false;
        if (ec == http::error::body_limit) {
            bodyTooLarge_ = true;
            respond(413, "request body exceeds max_request_bytes\n");
        } else if (ec == http::error::header_limit) {
            respond(431, "request header too large\n");
        } else {
            respond(400, "malformed HTTP request\n");
        }
        return;
    }
    if (!parser_->is_header_done()) {
        readHead();
        return;
    }
    dispatch();
}

void Session::beginExchange() {
    phase_ = Phase::Exchange;
    started_ = Clock::now();
    writeDeadline_ = started_ + server_.config().writeTimeout;
    headStarted_ = false;
    ended_ = false;
    finishing_ = false;
    chunkedOut_ = false;
    continueSent_ = false;
    bodyTooLarge_ = false;
    bodySent_ = 0;
    status_ = 0;
    keepAlive_ = request_.keepAlive && !server_.draining();
    suppressBody_ = request_.method() == "HEAD";
}

void Session::dispatch() {
    beginExchange();
    std::string_view path = request_.path();
    if (metricsOnly_ || path == "/_/health" || path == "/_/ready") {
        serveBuiltin(path);
        return;
    }
    if (server_.limitReached()) {
        functionRequest_ = true;
        server_.metrics().started();
        keepAlive_ = keepAlive_ && bodyComplete();
        respond(429, "Concurrent request limit exceeded. Max concurrent requests: " +
                         std::to_string(server_.config().maxInflight) + "\n");
        return;
    }
    functionRequest_ = true;
    server_.exchangeStarted();
    server_.metrics().started();
    countedExchange_ = true;
    if (server_.config().mode == Mode::Classic && !isClassicMethod(request_.method())) {
        respond(405, "method not allowed\n");
        return;
    }
    if (!server_.ready()) {
        respond(503, "the function is not ready\n");
        return;
    }
    server_.handler().serve(shared_from_this());
}

void Session::serveBuiltin(std::string_view path) {
    if (!bodyComplete()) {
        keepAlive_ = false;
    }
    bool get = request_.method() == "GET" || request_.method() == "HEAD";
    if (metricsOnly_) {
        if (path != "/metrics") {
            respond(404, "404 page not found\n");
        } else {
            respond(200, server_.metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
        }
        return;
    }
    if (!get) {
        respond(405, "");
        return;
    }
    if (!server_.healthy()) {
        respond(503, "");
    } else if (path == "/_/ready" && server_.limitReached()) {
        respond(429, "");
    } else {
        respond(200, "OK");
    }
}

bool Session::bodyComplete() const {
    return parser_ && parser_->is_done();
}

BodyState Session::takeBody(std::string& out, size_t limit, bool chunked) {
    if (!parser_->is_done() && !in_.empty()) {
        parser_->setOutput({&out, limit, chunked});
        error_code ec;
        size_t used = parser_->feed(in_.readable(), ec);
        in_.consume(used);
        parser_->setOutput({});
        if (ec) {
            bodyTooLarge_ = ec == http::error::body_limit;
            keepAlive_ = false;
            return BodyState::Failed;
        }
    }
    if (parser_->is_done()) {
        return BodyState::Done;
    }
    if (peerClosed_) {
        return BodyState::Failed;
    }
    return BodyState::More;
}

void Session::awaitBody(std::function<void(bool ok)> done) {
    if (!open_ || peerClosed_) {
        asio::post(server_.io(), [done = std::move(done)] { done(false); });
        return;
    }
    sendContinueIfExpected();
    bodyWaiter_ = std::move(done);
    if (reading_) {
        return;
    }
    auto [data, size] = in_.prepare(readChunk, bodyBufferMax);
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(data, size),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->onRead(ec, n); });
}

void Session::sendContinueIfExpected() {
    if (continueSent_ || headStarted_ || request_.version() < 11 || !expectsContinue(request_)) {
        return;
    }
    continueSent_ = true;
    out_ += "HTTP/1.1 100 Continue\r\n\r\n";
    startWrite();
}

void Session::beginHead(int status) {
    headStarted_ = true;
    status_ = status;
    char line[64];
    std::string_view reason = reasonPhrase(status);
    int n = std::snprintf(line, sizeof line, "HTTP/1.1 %d %.*s\r\n", status,
                          static_cast<int>(reason.size()), reason.data());
    out_.append(line, static_cast<size_t>(n));
}

void Session::addHeader(std::string_view name, std::string_view value) {
    out_.append(name);
    out_ += ": ";
    out_.append(value);
    out_ += "\r\n";
}

void Session::endHead(Framing framing, std::optional<uint64_t> length) {
    char line[96];
    switch (framing) {
    case Framing::Length:
    case Framing::NoBody:
        if (length) {
            int n = std::snprintf(line, sizeof line, "Content-Length: %llu\r\n",
                                  static_cast<unsigned long long>(*length));
            out_.append(line, static_cast<size_t>(n));
        }
        break;
    case Framing::Stream:
        if (suppressBody_) {
            break;
        }
        if (request_.version() >= 11) {
            out_ += "Transfer-Encoding: chunked\r\n";
            chunkedOut_ = true;
        } else {
            keepAlive_ = false; // the body ends when the connection does
        }
        break;
    }
    if (framing == Framing::NoBody) {
        suppressBody_ = true;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    int n = std::snprintf(line, sizeof line, "X-Duration-Seconds: %f\r\n", seconds);
    out_.append(line, static_cast<size_t>(n));
    if (!keepAlive_) {
        out_ += "Connection: close\r\n";
    } else if (request_.version() < 11) {
        out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
}

void Session::sendBody(std::string_view data) {
    if (suppressBody_ || data.empty()) {
        return;
    }
    bodySent_ += data.size();
    if (chunkedOut_) {
        appendChunk(out_, data);
    } else {
        out_.append(data);
    }
}

void Session::sendEnd() {
    if (ended_) {
        return;
    }
    ended_ = true;
    if (chunkedOut_) {
        out_ += "0\r\n\r\n";
    }
    startWrite();
    if (!writing_ && out_.empty() && !finishing_ && phase_ == Phase::Exchange) {
        finishing_ = true;
        asio::post(server_.io(), [self = shared_from_this()] { self->finishExchange(); });
    }
}

void Session::flush(std::function<void(bool ok)> done) {
    uint64_t target = written_ + inflight_.size() + out_.size();
    if (!open_ || target == written_) {
        bool ok = open_;
        asio::post(server_.io(), [done = std::move(done), ok] { done(ok); });
        return;
    }
    waiters_.emplace_back(target, std::move(done));
    startWrite();
}

void Session::respond(int status, std::string_view body, std::string_view contentType) {
    beginHead(status);
    if (!contentType.empty()) {
        addHeader("Content-Type", contentType);
    }
    endHead(Framing::Length, body.size());
    sendBody(body);
    sendEnd();
}

void Session::startWrite() {
    if (writing_ || out_.empty() || !open_) {
        return;
    }
    inflight_.swap(out_);
    out_.clear();
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(inflight_),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->onWritten(ec, n); });
}

void Session::onWritten(const error_code& ec, size_t n) {
    writing_ = false;
    if (!open_) {
        return;
    }
    if (ec) {
        abort();
        return;
    }
    written_ += n;
    inflight_.clear();
    if (inflight_.capacity() > 4 * bodyBufferMax) {
        std::string().swap(inflight_);
    }
    if (!waiters_.empty()) {
        std::vector<std::function<void(bool)>> ready;
        for (auto it = waiters_.begin(); it != waiters_.end();) {
            if (it->first <= written_) {
                ready.push_back(std::move(it->second));
                it = waiters_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& fn : ready) {
            fn(true);
        }
        if (!open_) {
            return;
        }
    }
    startWrite();
    if (ended_ && !writing_ && out_.empty() && !finishing_ && phase_ == Phase::Exchange) {
        finishing_ = true;
        finishExchange();
    }
}

void Session::finishExchange() {
    finishing_ = false;
    if (!open_ || phase_ != Phase::Exchange) {
        return;
    }
    endExchange();
    bool reusable = keepAlive_ && parser_->is_done() && !server_.draining() && !peerClosed_;
    if (!reusable) {
        linger();
        return;
    }
    phase_ = Phase::ReadingHead;
    newRequest();
    // A pipelined request may be buffered already; read only when it is not
    // (never with a read outstanding while the buffer is consumed).
    if (in_.empty()) {
        readHead();
    } else {
        processInput();
    }
}

void Session::endExchange() {
    if (functionRequest_) {
        double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
        server_.metrics().finished(request_.method(), status_ ? status_ : 500, seconds);
        functionRequest_ = false;
    }
    if (countedExchange_) {
        countedExchange_ = false;
        server_.exchangeFinished();
    }
    onAbort_ = nullptr;
    bodyWaiter_ = nullptr;
    cancelTimer();
}

void Session::abort() {
    if (!open_) {
        return;
    }
    auto onAbort = std::move(onAbort_);
    bool wasExchange = phase_ == Phase::Exchange;
    if (wasExchange) {
        endExchange();
    }
    close();
    if (onAbort) {
        onAbort();
    }
}

void Session::linger() {
    // Half-close, then read and discard until the client closes (or for at
    // most a second), so unread request bytes do not turn into a reset
    // that destroys the response on its way.
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec || peerClosed_) {
        close();
        return;
    }
    phase_ = Phase::Lingering;
    readDeadline_ = Clock::now() + lingerTime;
    if (!reading_) {
        in_.consume(in_.size());
        auto [data, size] = in_.prepare(readChunk, readChunk);
        reading_ = true;
        socket_.async_read_some(
            asio::buffer(data, size),
            [self = shared_from_this()](const error_code& e, size_t m) { self->onRead(e, m); });
    }
}

void Session::close() {
    if (!open_) {
        return;
    }
    open_ = false;
    phase_ = Phase::Closed;
    error_code ec;
    socket_.close(ec);
    cancelTimer();
    failWaiters();
}

void Session::failWaiters() {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& [target, fn] : waiters) {
        asio::post(server_.io(), [fn = std::move(fn)] { fn(false); });
    }
}

void Session::setTimer(Clock::time_point when, std::function<void()> fn) {
    timerAt_ = when;
    timerFn_ = std::move(fn);
}

void Session::cancelTimer() {
    timerAt_.reset();
    timerFn_ = nullptr;
}

void Session::tick(Clock::time_point now) {
    const Config& config = server_.config();
    switch (phase_) {
    case Phase::ReadingHead:
        if (config.readTimeout.count() > 0 && now > readDeadline_) {
            close();
        }
        return;
    case Phase::Lingering:
        if (now > readDeadline_) {
            close();
        }
        return;
    case Phase::Exchange:
        if (config.writeTimeout.count() > 0 && now > writeDeadline_) {
            logLine("write_timeout (" + formatDuration(config.writeTimeout) +
                    ") exceeded: closing the connection");
            abort();
            return;
        }
        if (bodyWaiter_ && config.readTimeout.count() > 0 && now > readDeadline_) {
            abort();
            return;
        }
        if (timerAt_ && now >= *timerAt_) {
            timerAt_.reset();
            auto fn = std::move(timerFn_);
            timerFn_ = nullptr;
            fn();
        }
        return;
    case Phase::Closed:
        return;
    }
}

void Session::closeIfIdle() {
    if (phase_ == Phase::ReadingHead && !parser_->got_some() && in_.empty()) {
        close();
    }
}

} // namespace faasd::watchdog
