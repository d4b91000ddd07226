#include "watchdog/session.hpp"

#include "watchdog/handler.hpp"
#include "watchdog/log_line.hpp"
#include "watchdog/server.hpp"

#include <boost/asio/post.hpp>

namespace faasd::watchdog {

namespace {

constexpr size_t headerLimit = 64 * 1024;
constexpr size_t readChunk = 8 * 1024;
constexpr size_t bodyBufferMax = 64 * 1024;
constexpr auto lingerTime = std::chrono::seconds(1);

bool expectsContinue(const MessageHead& request) {
    auto expect = request.find("expect");
    return request.version() >= 11 && expect && iequals(*expect, "100-continue");
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
    readRequest();
}

// --- the state machine -------------------------------------------------------

bool Session::inExchange(State s) {
    return s == State::Handling || s == State::Continued || s == State::Responding ||
           s == State::Ended;
}

// Every transition a session makes. Anything else is ignored: a second
// sendEnd(), an answer begun twice, a late callback after Closed.
bool Session::allowed(State from, State to) {
    switch (to) {
    case State::ReadingHead:
    case State::Lingering:
        return from == State::Ended;
    case State::Handling:
        return from == State::ReadingHead;
    case State::Continued:
        return from == State::Handling;
    case State::Responding:
        return from == State::Handling || from == State::Continued;
    case State::Ended:
        return from == State::Handling || from == State::Continued || from == State::Responding;
    case State::Closed:
        return from != State::Closed;
    }
    return false;
}

void Session::enter(State next) {
    if (!allowed(state_, next)) {
        return;
    }
    if (inExchange(state_) && !inExchange(next)) {
        endExchange();
    }
    state_ = next;
    switch (next) {
    case State::ReadingHead:
        readRequest();
        return;
    case State::Handling:
        started_ = Clock::now();
        writeDeadline_ = started_ + server_.config().writeTimeout;
        requestError_ = {};
        route_ = Route::Builtin;
        status_ = 0;
        bodySent_ = 0;
        bodyOut_ = request_.method() == "HEAD" ? BodyOut::Dropped : BodyOut::Raw;
        keepAlive_ = request_.keepAlive && !server_.draining();
        return;
    case State::Continued:
        out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        startWrite();
        return;
    case State::Responding:
        return; // beginHead() writes the status line
    case State::Ended:
        if (bodyOut_ == BodyOut::Chunked) {
            out_ += "0\r\n\r\n";
        }
        startWrite();
        if (allWritten()) {
            // Not from inside the handler's sendEnd().
            asio::post(server_.io(), [self = shared_from_this()] { self->afterAnswer(); });
        }
        return;
    case State::Lingering: {
        // Half-close, then read and discard until the client closes (or for
        // at most a second), so unread request bytes do not turn into a
        // reset that destroys the answer on its way.
        error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        if (ec || input_ == Input::Eof) {
            return enter(State::Closed);
        }
        readDeadline_ = Clock::now() + lingerTime;
        if (input_ != Input::Reading) {
            in_.consume(in_.size());
            readSome(readChunk);
        }
        return;
    }
    case State::Closed: {
        error_code ec;
        socket_.close(ec);
        cancelTimer();
        failWaiters();
        return;
    }
    }
}

// Ended, and everything written: the next request, or a lingering close.
void Session::afterAnswer() {
    if (state_ != State::Ended || !allWritten()) {
        return;
    }
    bool reusable = keepAlive_ && parser_->is_done() && !server_.draining() && input_ != Input::Eof;
    enter(reusable ? State::ReadingHead : State::Lingering);
}

// Leaving the exchange (answered or aborted): count it and drop what the
// handler left behind.
void Session::endExchange() {
    if (route_ != Route::Builtin) {
        double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
        server_.metrics().finished(request_.method(), status_ ? status_ : 500, seconds);
    }
    if (route_ == Route::Function) {
        server_.exchangeFinished();
    }
    route_ = Route::Builtin;
    onAbort_ = nullptr;
    bodyWaiter_ = nullptr;
    cancelTimer();
}

void Session::abort() {
    if (state_ == State::Closed) {
        return;
    }
    auto onAbort = std::move(onAbort_);
    enter(State::Closed);
    if (onAbort) {
        onAbort();
    }
}

// --- reading -----------------------------------------------------------------

void Session::readRequest() {
    readDeadline_ = Clock::now() + server_.config().readTimeout;
    parser_.emplace(request_);
    parser_->header_limit(static_cast<uint32_t>(headerLimit));
    uint64_t maxBody = server_.config().maxRequestBytes;
    parser_->body_limit(maxBody ? maxBody : noBodyLimit);
    // A pipelined request may be buffered already; read only when it is not
    // (never with a read outstanding while the buffer is consumed).
    if (in_.empty()) {
        readSome(headerLimit + readChunk);
    } else {
        processInput();
    }
}

void Session::readSome(size_t maxCapacity) {
    if (input_ != Input::Idle || state_ == State::Closed) {
        return;
    }
    auto [data, size] = in_.prepare(readChunk, maxCapacity);
    input_ = Input::Reading;
    socket_.async_read_some(
        asio::buffer(data, size),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->onRead(ec, n); });
}

void Session::onRead(const error_code& ec, size_t n) {
    input_ = ec == asio::error::eof ? Input::Eof : Input::Idle;
    if (!ec) {
        in_.commit(n);
    }
    switch (state_) {
    case State::ReadingHead:
        return ec ? enter(State::Closed) : processInput();
    case State::Lingering:
        if (ec) {
            return enter(State::Closed);
        }
        in_.consume(in_.size()); // discard what the client still sends
        return readSome(readChunk);
    default: // the handler waits for body bytes
        if (auto waiter = std::move(bodyWaiter_)) {
            waiter(!ec && state_ != State::Closed);
        }
        return;
    }
}

void Session::processInput() {
    error_code ec;
    size_t used = parser_->feed(in_.readable(), ec);
    in_.consume(used);
    if (ec) {
        return refuse(ec);
    }
    if (!parser_->is_header_done()) {
        return readSome(headerLimit + readChunk);
    }
    enter(State::Handling);
    dispatch();
}

// A request that cannot be read is answered and the connection closed.
void Session::refuse(const error_code& ec) {
    enter(State::Handling);
    keepAlive_ = false;
    requestError_ = ec;
    if (ec == http::error::body_limit) {
        respond(413, "request body exceeds max_request_bytes\n");
    } else if (ec == http::error::header_limit) {
        respond(431, "request header too large\n");
    } else {
        respond(400, "malformed HTTP request\n");
    }
}

void Session::dispatch() {
    std::string_view path = request_.path();
    if (metricsOnly_ || path == "/_/health" || path == "/_/ready") {
        return serveBuiltin(path);
    }
    if (server_.limitReached()) {
        route_ = Route::Rejected;
        server_.metrics().started();
        keepAlive_ = keepAlive_ && bodyComplete();
        return respond(429, "Concurrent request limit exceeded. Max concurrent requests: " +
                                std::to_string(server_.config().maxInflight) + "\n");
    }
    route_ = Route::Function;
    server_.exchangeStarted();
    server_.metrics().started();
    if (server_.config().mode == Mode::Classic && !isClassicMethod(request_.method())) {
        return respond(405, "method not allowed\n");
    }
    if (!server_.ready()) {
        return respond(503, "the function is not ready\n");
    }
    server_.handler().serve(shared_from_this());
}

void Session::serveBuiltin(std::string_view path) {
    if (!bodyComplete()) {
        keepAlive_ = false;
    }
    if (metricsOnly_) {
        if (path != "/metrics") {
            respond(404, "404 page not found\n");
        } else {
            respond(200, server_.metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
        }
        return;
    }
    if (request_.method() != "GET" && request_.method() != "HEAD") {
        respond(405, "");
    } else if (!server_.healthy()) {
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
            requestError_ = ec;
            keepAlive_ = false;
            return BodyState::Failed;
        }
    }
    if (parser_->is_done()) {
        return BodyState::Done;
    }
    return input_ == Input::Eof ? BodyState::Failed : BodyState::More;
}

void Session::awaitBody(std::function<void(bool ok)> done) {
    if (state_ == State::Closed || input_ == Input::Eof) {
        asio::post(server_.io(), [done = std::move(done)] { done(false); });
        return;
    }
    if (expectsContinue(request_)) {
        enter(State::Continued);
    }
    bodyWaiter_ = std::move(done);
    readSome(bodyBufferMax);
}

// --- deadlines -----------------------------------------------------------------

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
    switch (state_) {
    case State::ReadingHead:
        if (config.readTimeout.count() > 0 && now > readDeadline_) {
            enter(State::Closed);
        }
        return;
    case State::Lingering:
        if (now > readDeadline_) {
            enter(State::Closed);
        }
        return;
    case State::Closed:
        return;
    default: // the exchange
        if (config.writeTimeout.count() > 0 && now > writeDeadline_) {
            logLine("write_timeout (" + formatDuration(config.writeTimeout) +
                    ") exceeded: closing the connection");
            return abort();
        }
        if (bodyWaiter_ && config.readTimeout.count() > 0 && now > readDeadline_) {
            return abort();
        }
        if (timerAt_ && now >= *timerAt_) {
            timerAt_.reset();
            auto fn = std::move(timerFn_);
            timerFn_ = nullptr;
            fn();
        }
        return;
    }
}

void Session::closeIfIdle() {
    if (state_ == State::ReadingHead && !parser_->got_some() && in_.empty()) {
        enter(State::Closed);
    }
}

} // namespace faasd::watchdog
