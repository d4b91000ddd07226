#pragma once

// One client connection: reads requests (keep-alive, pipelining), routes
// the watchdog's own paths, hands function requests to the Handler, and
// gives handlers a small exchange API: pull the request body, write the
// response head and body with back-pressure, abort.
//
// Everything runs on one event loop thread; callbacks are never invoked
// from inside the call that registers them.

#include "watchdog/byte_buffer.hpp"
#include "watchdog/http_message.hpp"
#include "watchdog/http_parser.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faasd::watchdog {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class Server;

enum class BodyState {
    More,   // more body to come: call awaitBody()
    Done,   // the whole body has been taken
    Failed, // unreadable or too large (see bodyTooLarge())
};

// How a response body is delimited.
enum class Framing {
    Length, // Content-Length
    Stream, // chunked (HTTP/1.1) or until close (HTTP/1.0)
    NoBody, // HEAD, 204, 304: Content-Length only when given
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Server& server, tcp::socket socket, bool metricsOnly);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start();

    // --- the current request ---
    const MessageHead& request() const { return request_; }
    Clock::time_point started() const { return started_; }
    bool isOpen() const { return open_; }

    // Appends body bytes already received to out (re-framed as chunks when
    // chunked), stopping when out holds limit bytes.
    BodyState takeBody(std::string& out, size_t limit, bool chunked = false);
    // Reads more of the body from the client; done(ok) runs afterwards.
    void awaitBody(std::function<void(bool ok)> done);
    bool bodyComplete() const;
    bool bodyTooLarge() const { return bodyTooLarge_; }

    // --- the response ---
    // Status line; add fields with addHeader(), then endHead().
    void beginHead(int status);
    void addHeader(std::string_view name, std::string_view value);
    // Ends the head; adds framing, X-Duration-Seconds and Connection.
    void endHead(Framing framing, std::optional<uint64_t> length = std::nullopt);
    void sendBody(std::string_view data);
    void sendEnd();
    // Starts writing what has been sent so far, without waiting for it.
    void push() { startWrite(); }
    // done(ok) runs once everything sent so far is written.
    void flush(std::function<void(bool ok)> done);
    // A complete response in one call.
    void respond(int status, std::string_view body,
                 std::string_view contentType = "text/plain; charset=utf-8");
    bool headSent() const { return headStarted_; }
    int status() const { return status_; }
    uint64_t bodyBytesSent() const { return bodySent_; }
    // Appended but not yet written.
    size_t pendingOutput() const { return out_.size() + inflight_.size(); }

    // Ends the exchange without a complete response and closes.
    void abort();
    void onAbort(std::function<void()> fn) { onAbort_ = std::move(fn); }
    // A handler deadline (exec_timeout), checked by the server's ticker.
    void setTimer(Clock::time_point when, std::function<void()> fn);
    void cancelTimer();

    // --- for the server ---
    void tick(Clock::time_point now);
    void closeIfIdle();

private:
    enum class Phase { ReadingHead, Exchange, Lingering, Closed };

    void newRequest();
    void readHead();
    void onRead(const error_code& ec, size_t n);
    void processInput();
    void beginExchange();
    void dispatch();
    void serveBuiltin(std::string_view path);
    void finishExchange();
    void endExchange();
    void linger();
    void startWrite();
    void onWritten(const error_code& ec, size_t n);
    void sendContinueIfExpected();
    void close();
    void failWaiters();

    Server& server_;
    tcp::socket socket_;
    bool metricsOnly_;
    bool open_ = true;
    Phase phase_ = Phase::ReadingHead;

    ByteBuffer in_;
    bool reading_ = false;
    bool peerClosed_ = false;
    std::optional<RequestParser> parser_;
    MessageHead request_;
    Clock::time_point started_;
    Clock::time_point readDeadline_;
    Clock::time_point writeDeadline_;
    bool functionRequest_ = false; // counted in the metrics
    bool countedExchange_ = false; // counted against max_inflight
    bool bodyTooLarge_ = false;
    bool continueSent_ = false;
    std::function<void(bool)> bodyWaiter_;

    std::string out_;
    std::string inflight_;
    bool writing_ = false;
    uint64_t appended_ = 0;
    uint64_t written_ = 0;
    std::vector<std::pair<uint64_t, std::function<void(bool)>>> waiters_;

    bool headStarted_ = false;
    bool ended_ = false;
    bool finishing_ = false;
    bool chunkedOut_ = false;
    bool suppressBody_ = false;
    bool keepAlive_ = true;
    int status_ = 0;
    uint64_t bodySent_ = 0;

    std::function<void()> onAbort_;
    std::optional<Clock::time_point> timerAt_;
    std::function<void()> timerFn_;
};

} // namespace faasd::watchdog
