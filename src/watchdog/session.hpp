#pragma once

// One client connection: reads requests (keep-alive, pipelining), routes
// the watchdog's own paths, hands function requests to the Handler, and
// gives handlers a small exchange API: pull the request body, write the
// response head and body with back-pressure, abort.
//
// Everything runs on one event loop thread; callbacks are never invoked
// from inside the call that registers them. session.cpp holds the state
// machine and the read side, session_write.cpp the answer.

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
    bool isOpen() const { return state_ != State::Closed; }

    // Appends body bytes already received to out (re-framed as chunks when
    // chunked), stopping when out holds limit bytes.
    BodyState takeBody(std::string& out, size_t limit, bool chunked = false);
    // Reads more of the body from the client; done(ok) runs afterwards.
    void awaitBody(std::function<void(bool ok)> done);
    bool bodyComplete() const;
    bool bodyTooLarge() const { return requestError_ == http::error::body_limit; }

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
    bool headSent() const { return status_ != 0; }
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
    // Where the session is. One request after another, a straight line:
    //
    //   ReadingHead -> Handling [-> Continued] -> Responding -> Ended
    //        ^                                                  |
    //        +------------- keep-alive, once written -----------+
    //                       otherwise: Lingering -> Closed
    //
    // and from any state to Closed (read error, timeout, abort). The
    // exchange is Handling..Ended; leaving it settles its accounting.
    // enter() is the only place the state changes.
    enum class State {
        ReadingHead, // reading (or parsing buffered) request head bytes
        Handling,    // the head is parsed; no answer yet
        Continued,   // as Handling, after an interim "100 Continue"
        Responding,  // the answer's head is out; its body follows
        Ended,       // the answer is complete, maybe not yet written
        Lingering,   // half-closed, discarding input until the client closes
        Closed,
    };
    // The read side: at most one read outstanding, none after end of stream.
    enum class Input { Idle, Reading, Eof };
    // How sendBody() writes the answer's body.
    enum class BodyOut { Raw, Chunked, Dropped };
    // What dispatch() made of a request, and so what the exchange counts.
    enum class Route {
        Builtin,  // health, readiness, /metrics, a malformed request: not counted
        Rejected, // max_inflight reached: in the metrics only
        Function, // given to the handler: in the metrics and in flight
    };

    static bool allowed(State from, State to);
    static bool inExchange(State state);
    void enter(State next);
    void readRequest();
    void readSome(size_t maxCapacity);
    void onRead(const error_code& ec, size_t n);
    void processInput();
    void refuse(const error_code& ec);
    void dispatch();
    void serveBuiltin(std::string_view path);
    void endExchange();
    void startWrite();
    void onWritten(const error_code& ec, size_t n);
    void afterAnswer();
    void failWaiters();
    bool allWritten() const { return out_.empty() && inflight_.empty(); }

    Server& server_;
    tcp::socket socket_;
    const bool metricsOnly_; // on the metrics port: /metrics only
    State state_ = State::ReadingHead;

    // --- the request ---
    ByteBuffer in_;
    Input input_ = Input::Idle;
    std::optional<RequestParser> parser_;
    MessageHead request_;
    error_code requestError_; // why the request could not be read (body_limit: 413)
    Route route_ = Route::Builtin;
    Clock::time_point started_;
    Clock::time_point readDeadline_;
    Clock::time_point writeDeadline_;
    std::function<void(bool)> bodyWaiter_;

    // --- the output; a write is outstanding while inflight_ holds bytes ---
    std::string out_;
    std::string inflight_;
    uint64_t written_ = 0;
    std::vector<std::pair<uint64_t, std::function<void(bool)>>> waiters_;

    // --- the answer ---
    int status_ = 0; // 0 until beginHead()
    BodyOut bodyOut_ = BodyOut::Raw;
    bool keepAlive_ = true; // the connection serves another request after this one
    uint64_t bodySent_ = 0;

    std::function<void()> onAbort_;
    std::optional<Clock::time_point> timerAt_;
    std::function<void()> timerFn_;
};

} // namespace faasd::watchdog
