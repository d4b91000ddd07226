#include "watchdog/proxy_call.hpp"

#include <boost/asio/write.hpp>
#include <cstdio>

namespace faasd::watchdog {

namespace {

constexpr size_t pieceSize = 64 * 1024;
constexpr size_t maxPending = 256 * 1024;
constexpr uint32_t upstreamHeaderLimit = 64 * 1024;

// The field names a Connection header lists are hop-by-hop too.
bool listedInConnection(std::optional<std::string_view> connection, std::string_view name) {
    if (!connection) {
        return false;
    }
    std::string_view rest = *connection;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view token = rest.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
            token.remove_prefix(1);
        }
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
            token.remove_suffix(1);
        }
        if (iequals(token, name)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    return false;
}

bool forwardable(std::string_view name, std::optional<std::string_view> connection) {
    return !isPerHop(name) && !listedInConnection(connection, name);
}

} // namespace

ProxyCall::ProxyCall(ProxyHandler& handler, std::shared_ptr<Session> session)
    : h_(handler), session_(std::move(session)) {}

void ProxyCall::run() {
    std::weak_ptr<ProxyCall> weak = weak_from_this();
    session_->onAbort([weak] {
        if (auto self = weak.lock()) {
            self->onAbort();
        }
    });
    if (h_.config().execTimeout.count() > 0) {
        session_->setTimer(Clock::now() + h_.config().execTimeout, [weak] {
            if (auto self = weak.lock()) {
                self->onTimeout();
            }
        });
    }
    buildRequest();
    if (done_) {
        return;
    }
    conn_ = h_.takeIdle();
    if (conn_) {
        sendRequest();
    } else {
        connect();
    }
}

void ProxyCall::buildRequest() {
    const MessageHead& r = session_->request();
    request_.clear();
    request_.append(r.method());
    request_ += ' ';
    request_.append(h_.config().upstream->pathPrefix);
    std::string_view target = r.target();
    if (target.empty() || target.front() != '/') {
        request_.append(r.path()); // absolute form: keep path and query only
        if (!r.query().empty()) {
            request_ += '?';
            request_.append(r.query());
        }
    } else {
        request_.append(target);
    }
    request_ += " HTTP/1.1\r\n";
    auto connection = r.find("connection");
    for (size_t i = 0; i < r.fieldCount(); ++i) {
        MessageHead::Field f = r.field(i);
        if (forwardable(f.name, connection) && !iequals(f.name, "expect")) {
            request_.append(f.name);
            request_ += ": ";
            request_.append(f.value);
            request_ += "\r\n";
        }
    }
    bool hasBody = r.chunked || r.contentLength.value_or(0) > 0;
    if (r.chunked) {
        request_ += "Transfer-Encoding: chunked\r\n";
        bodyChunked_ = true;
    } else if (r.contentLength) {
        char line[48];
        int n = std::snprintf(line, sizeof line, "Content-Length: %llu\r\n",
                              static_cast<unsigned long long>(*r.contentLength));
        request_.append(line, static_cast<size_t>(n));
    }
    request_ += "\r\n";
    if (!hasBody) {
        requestWhole_ = true;
        return;
    }
    BodyState state = session_->takeBody(request_, request_.size() + pieceSize, bodyChunked_);
    if (state == BodyState::Done) {
        if (bodyChunked_) {
            request_ += "0\r\n\r\n";
        }
        requestWhole_ = true;
    } else if (state == BodyState::Failed) {
        done_ = true;
        if (session_->bodyTooLarge()) {
            session_->respond(413, "request body exceeds max_request_bytes\n");
        } else {
            session_->abort();
        }
    }
}

void ProxyCall::connect() {
    conn_ = std::make_unique<UpstreamConnection>(h_.io());
    conn_->socket.async_connect(h_.endpoint(),
                                [self = shared_from_this(), c = conn_.get()](const error_code& ec) {
                                    if (self->done_ || c != self->conn_.get()) {
                                        return;
                                    }
                                    if (ec) {
                                        return self->upstreamFailed("connect", ec);
                                    }
                                    error_code ignored;
                                    self->conn_->socket.set_option(tcp::no_delay(true), ignored);
                                    self->sendRequest();
                                });
}

void ProxyCall::sendRequest() {
    parser_.emplace(conn_->head);
    parser_->header_limit(upstreamHeaderLimit);
    parser_->body_limit(noBodyLimit);
    if (session_->request().method() == "HEAD") {
        parser_->skip(true);
    }
    asio::async_write(conn_->socket, asio::buffer(request_),
                      [self = shared_from_this(), c = conn_.get()](const error_code& ec, size_t) {
                          if (self->done_ || c != self->conn_.get()) {
                              return;
                          }
                          if (ec) {
                              return self->upstreamFailed("write", ec);
                          }
                          if (self->requestWhole_) {
                              self->requestSent_ = true;
                          } else {
                              self->pumpBody();
                          }
                      });
    readResponse();
}

void ProxyCall::pumpBody() {
    bodyOut_.clear();
    BodyState state = session_->takeBody(bodyOut_, pieceSize, bodyChunked_);
    if (state == BodyState::Failed) {
        done_ = true;
        closeUpstream();
        if (!session_->headSent() && session_->bodyTooLarge()) {
            session_->respond(413, "request body exceeds max_request_bytes\n");
        } else {
            session_->abort();
        }
        return finish();
    }
    bool last = state == BodyState::Done;
    if (last && bodyChunked_) {
        bodyOut_ += "0\r\n\r\n";
    }
    if (!bodyOut_.empty()) {
        asio::async_write(
            conn_->socket, asio::buffer(bodyOut_),
            [self = shared_from_this(), c = conn_.get(), last](const error_code& ec, size_t) {
                if (self->done_ || c != self->conn_.get()) {
                    return;
                }
                if (ec) {
                    return self->upstreamFailed("write", ec);
                }
                if (last) {
                    self->requestSent_ = true;
                } else {
                    self->pumpBody();
                }
            });
        return;
    }
    if (last) {
        requestSent_ = true;
        return;
    }
    session_->awaitBody([self = shared_from_this(), c = conn_.get()](bool ok) {
        if (self->done_ || c != self->conn_.get()) {
            return;
        }
        if (!ok) {
            self->session_->abort();
            return;
        }
        self->pumpBody();
    });
}

void ProxyCall::readResponse() {
    auto [data, size] = conn_->in.prepare(8 * 1024, upstreamHeaderLimit + pieceSize);
    conn_->socket.async_read_some(
        asio::buffer(data, size),
        [self = shared_from_this(), c = conn_.get()](const error_code& ec, size_t n) {
            if (self->done_ || c != self->conn_.get()) {
                return;
            }
            self->onResponseData(ec, n);
        });
}

void ProxyCall::onResponseData(const error_code& ec, size_t n) {
    if (ec) {
        if (ec == asio::error::eof && parser_->is_header_done() && parser_->need_eof()) {
            error_code eofError;
            parser_->put_eof(eofError);
            if (!eofError) {
                conn_->head.keepAlive = false;
                return finishResponse();
            }
        }
        return upstreamFailed("read", ec);
    }
    conn_->in.commit(n);
    gotResponse_ = true;
    processResponse();
}

void ProxyCall::processResponse() {
    for (;;) {
        if (!parser_->is_header_done()) {
            error_code ec;
            size_t used = parser_->feed(conn_->in.readable(), ec);
            conn_->in.consume(used);
            if (ec) {
                return upstreamFailed("parsing the answer", ec);
            }
            if (!parser_->is_header_done()) {
                return readResponse();
            }
            int status = conn_->head.status();
            if (status >= 100 && status < 200 && status != 101) {
                parser_.emplace(conn_->head); // 1xx: the real answer follows
                parser_->header_limit(upstreamHeaderLimit);
                parser_->body_limit(noBodyLimit);
                continue;
            }
            emitHead();
        }
        if (parser_->is_done()) {
            return finishResponse();
        }
        chunk_.clear();
        parser_->setOutput({&chunk_, pieceSize, false});
        error_code ec;
        size_t used = parser_->feed(conn_->in.readable(), ec);
        conn_->in.consume(used);
        parser_->setOutput({});
        if (ec) {
            return upstreamFailed("reading the answer", ec);
        }
        session_->sendBody(chunk_);
        if (parser_->is_done()) {
            return finishResponse();
        }
        if (chunk_.size() >= pieceSize || session_->pendingOutput() > maxPending) {
            // Back-pressure: let the client take it before reading on.
            session_->flush([self = shared_from_this(), c = conn_.get()](bool ok) {
                if (self->done_ || c != self->conn_.get()) {
                    return;
                }
                if (!ok) {
                    return self->session_->abort();
                }
                self->processResponse();
            });
            return;
        }
        session_->push(); // pass on what came now (SSE, NDJSON)
        return readResponse();
    }
}

void ProxyCall::emitHead() {
    const MessageHead& up = conn_->head;
    session_->beginHead(up.status());
    auto connection = up.find("connection");
    for (size_t i = 0; i < up.fieldCount(); ++i) {
        MessageHead::Field f = up.field(i);
        if (forwardable(f.name, connection) && !iequals(f.name, "x-duration-seconds")) {
            session_->addHeader(f.name, f.value);
        }
    }
    int status = up.status();
    if (session_->request().method() == "HEAD" || status == 304) {
        session_->endHead(Framing::NoBody, up.contentLength);
    } else if (status == 204 || status < 200) {
        session_->endHead(Framing::NoBody);
    } else if (up.contentLength) {
        session_->endHead(Framing::Length, up.contentLength);
    } else {
        session_->endHead(Framing::Stream);
    }
}

void ProxyCall::finishResponse() {
    bool reusable =
        conn_->head.keepAlive && parser_->keep_alive() && requestSent_ && conn_->in.empty();
    done_ = true;
    session_->sendEnd();
    logRequest();
    if (reusable) {
        h_.giveBack(std::move(conn_));
    } else {
        closeUpstream();
    }
    finish();
}

// of-watchdog's access line: "GET /path - 200 OK - ContentLength: 2B (0.0012s)".
void ProxyCall::logRequest() {
    const MessageHead& r = session_->request();
    if (r.find("user-agent").value_or("").substr(0, 10) == "kube-probe") {
        return; // probes would flood the log
    }
    int status = conn_->head.status();
    double seconds = std::chrono::duration<double>(Clock::now() - session_->started()).count();
    std::string_view reason = reasonPhrase(status);
    char tail[160];
    std::snprintf(tail, sizeof tail, " - %d %.*s - ContentLength: %s (%.4fs)", status,
                  static_cast<int>(reason.size()), reason.data(),
                  humanSize(static_cast<double>(session_->bodyBytesSent())).c_str(), seconds);
    std::string line;
    line.reserve(r.method().size() + r.target().size() + 64);
    line.append(r.method());
    line += ' ';
    line.append(r.target());
    line += tail;
    logLine(line);
}

void ProxyCall::upstreamFailed(const std::string& what, const error_code& ec) {
    if (done_) {
        return;
    }
    bool retry = conn_ && conn_->reused && !gotResponse_ && requestWhole_ && !retried_;
    closeUpstream();
    if (retry) {
        // The upstream closed an idle connection: send it again, once.
        retried_ = true;
        requestSent_ = false;
        return connect();
    }
    done_ = true;
    logLine("Upstream HTTP request error: " + what + ": " + ec.message());
    if (!session_->headSent()) {
        session_->respond(502, "Bad Gateway: the function's HTTP server failed: " + what + ": " +
                                   ec.message() + "\n");
    } else {
        session_->abort();
    }
    finish();
}

void ProxyCall::onTimeout() {
    if (done_) {
        return;
    }
    done_ = true;
    logLine("Upstream HTTP killed due to exec_timeout: " + formatDuration(h_.config().execTimeout));
    closeUpstream();
    if (!session_->headSent()) {
        session_->respond(504, "Gateway Timeout: exec_timeout exceeded\n");
    } else {
        session_->abort();
    }
    finish();
}

void ProxyCall::onAbort() {
    // The session is being torn down; our pending handlers end with
    // operation_aborted and release this call.
    done_ = true;
    closeUpstream();
}

void ProxyCall::closeUpstream() {
    if (conn_) {
        error_code ec;
        conn_->socket.close(ec);
        conn_.reset();
    }
}

void ProxyCall::finish() {
    session_->cancelTimer();
    session_->onAbort(nullptr);
}

} // namespace faasd::watchdog
