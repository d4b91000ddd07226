// Session, the write side: the answer's head and body, framing, and the
// output buffer with its waiters (back-pressure for the handlers).

#include "watchdog/server.hpp"
#include "watchdog/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

namespace faasd::watchdog {

namespace {

constexpr size_t keptOutputCapacity = 256 * 1024;

} // namespace

void Session::beginHead(int status) {
    enter(State::Responding);
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
        if (framing == Framing::NoBody) {
            bodyOut_ = BodyOut::Dropped;
        }
        break;
    case Framing::Stream:
        if (bodyOut_ == BodyOut::Dropped) {
            break;
        }
        if (request_.version() >= 11) {
            out_ += "Transfer-Encoding: chunked\r\n";
            bodyOut_ = BodyOut::Chunked;
        } else {
            keepAlive_ = false; // the body ends when the connection does
        }
        break;
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
    if (bodyOut_ == BodyOut::Dropped || data.empty()) {
        return;
    }
    bodySent_ += data.size();
    if (bodyOut_ == BodyOut::Chunked) {
        appendChunk(out_, data);
    } else {
        out_.append(data);
    }
}

void Session::sendEnd() {
    enter(State::Ended);
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

void Session::flush(std::function<void(bool ok)> done) {
    uint64_t target = written_ + inflight_.size() + out_.size();
    if (state_ == State::Closed || target == written_) {
        bool ok = state_ != State::Closed;
        asio::post(server_.io(), [done = std::move(done), ok] { done(ok); });
        return;
    }
    waiters_.emplace_back(target, std::move(done));
    startWrite();
}

void Session::startWrite() {
    if (!inflight_.empty() || out_.empty() || state_ == State::Closed) {
        return;
    }
    inflight_.swap(out_);
    out_.clear();
    asio::async_write(
        socket_, asio::buffer(inflight_),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->onWritten(ec, n); });
}

void Session::onWritten(const error_code& ec, size_t n) {
    if (state_ == State::Closed) {
        return;
    }
    if (ec) {
        return abort();
    }
    written_ += n;
    inflight_.clear();
    if (inflight_.capacity() > keptOutputCapacity) {
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
        if (state_ == State::Closed) {
            return;
        }
    }
    startWrite();
    afterAnswer();
}

void Session::failWaiters() {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& [target, fn] : waiters) {
        asio::post(server_.io(), [fn = std::move(fn)] { fn(false); });
    }
}

} // namespace faasd::watchdog
