#include "gateway/logs.hpp"

#include "api/json.hpp"
#include "api/validate.hpp"

#include <charconv>

namespace faasd::gateway {

Result<api::LogRequest> parseLogRequest(const Request& r, const std::string& defaultNs) {
    api::LogRequest req;
    req.name = r.queryValue("name");
    if (req.name.empty()) {
        return fail(Code::InvalidArgument, "the name parameter is required");
    }
    TRY(api::validateName("function name", req.name));
    req.ns = r.queryValue("namespace", defaultNs);
    TRY(api::validateName("namespace", req.ns));
    req.instance = r.queryValue("instance");
    if (std::string tail = r.queryValue("tail"); !tail.empty()) {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
        if (ec != std::errc() || end != tail.data() + tail.size() || n < -1) {
            return fail(Code::InvalidArgument, "tail must be a whole number or -1: {}", tail);
        }
        if (n >= 0) {
            req.tail = n;
        }
    }
    if (std::string since = r.queryValue("since"); !since.empty()) {
        TRY_ASSIGN(req.since, withContext(api::parseRfc3339(since), "since"));
    }
    if (std::string follow = r.queryValue("follow"); !follow.empty()) {
        if (follow == "true" || follow == "1" || follow == "True" || follow == "TRUE") {
            req.follow = true;
        } else if (follow == "false" || follow == "0" || follow == "False" || follow == "FALSE") {
            req.follow = false;
        } else {
            return fail(Code::InvalidArgument, "follow must be true or false: {}", follow);
        }
    }
    return req;
}

bool LogChannel::push(std::string line) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return lines_.size() < kMaxQueued || stop_; });
    if (stop_) {
        return false;
    }
    lines_.push_back(std::move(line));
    lock.unlock();
    wake();
    return true;
}

void LogChannel::finish(std::optional<Error> error) {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
        error_ = std::move(error);
    }
    wake();
}

void LogChannel::wake() {
    net::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

LogChannel::Batch LogChannel::take() {
    Batch batch;
    {
        std::lock_guard lock(mutex_);
        batch.lines.swap(lines_);
        batch.done = done_;
        batch.error = error_;
    }
    space_.notify_all();
    return batch;
}

Task<void> LogChannel::wait(std::chrono::milliseconds atMost) {
    beast::error_code ec;
    timer_.expires_after(atMost);
    co_await timer_.async_wait(ecToken(ec));
}

void LogChannel::cancel() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    space_.notify_all();
    wake();
}

void LogStreams::start(std::shared_ptr<LogChannel> channel, std::function<void()> run) {
    std::lock_guard lock(mutex_);
    // Join the threads that have already finished.
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (*it->finished) {
            it->thread.join();
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
    auto finished = std::make_shared<std::atomic<bool>>(false);
    std::thread thread([run = std::move(run), finished] {
        run();
        *finished = true;
    });
    entries_.push_back({std::move(channel), std::move(finished), std::move(thread)});
}

void LogStreams::stopAll() {
    std::list<Entry> entries;
    {
        std::lock_guard lock(mutex_);
        entries.swap(entries_);
    }
    for (auto& e : entries) {
        e.channel->cancel();
    }
    for (auto& e : entries) {
        e.thread.join();
    }
}

Task<bool> streamLogs(Exchange& ex, const Request& request, const Services& services,
                      LogStreams& streams) {
    auto parsed = parseLogRequest(request, services.defaultNs());
    if (!parsed) {
        co_return co_await writeResponse(ex, Response::text(422, parsed.error().message() + "\n"),
                                         ex.parser.get().keep_alive());
    }
    auto channel = std::make_shared<LogChannel>(ex.stream.get_executor());
    provider::Provider* provider = services.provider;
    streams.start(channel, [channel, provider, req = std::move(*parsed)] {
        auto result = provider->logs(
            req, [&](const api::LogMessage& m) { return channel->push(api::toJson(m) + "\n"); },
            channel->stopFlag());
        channel->finish(result ? std::nullopt : std::optional<Error>(result.error()));
    });
    // The client closing its end (or sending anything) ends the stream.
    ex.stream.socket().async_wait(Socket::wait_read,
                                  [channel](const beast::error_code&) { channel->cancel(); });

    http::response<http::empty_body> res{http::status::ok, ex.version};
    res.set(http::field::content_type, "application/x-ndjson");
    res.set(http::field::cache_control, "no-cache");
    res.chunked(true);
    res.keep_alive(false);
    http::response_serializer<http::empty_body> sr{res};
    bool headerSent = false;
    beast::error_code ec;
    for (int round = 0;; ++round) {
        auto batch = channel->take();
        // Whether this round suspended after take(): then lines may have
        // arrived whose wake-up was spent, so look again before waiting.
        bool suspended = false;
        if (!headerSent) {
            if (batch.lines.empty() && batch.done && batch.error) {
                channel->cancel();
                co_return co_await writeResponse(ex, errorResponse(*batch.error), false);
            }
            if (!batch.lines.empty() || batch.done || round > 0) {
                ex.armClient();
                co_await http::async_write_header(ex.stream, sr, ecToken(ec));
                ex.clientDeadline.disarm();
                if (ec) {
                    break;
                }
                headerSent = true;
                suspended = true;
            }
        }
        for (const auto& line : batch.lines) {
            ex.armClient();
            co_await net::async_write(ex.stream, http::make_chunk(net::buffer(line)), ecToken(ec));
            ex.clientDeadline.disarm();
            suspended = true;
            if (ec) {
                break;
            }
        }
        if (ec) {
            break;
        }
        if (batch.done) {
            ex.armClient();
            co_await net::async_write(ex.stream, http::make_chunk_last(), ecToken(ec));
            ex.clientDeadline.disarm();
            break;
        }
        if (channel->stopFlag()) {
            break;
        }
        if (suspended) {
            continue;
        }
        // The first wait is short so the status line goes out promptly.
        co_await channel->wait(round == 0 ? std::chrono::milliseconds(200)
                                          : std::chrono::milliseconds(60'000));
    }
    channel->cancel();
    co_return false;
}

void addLogRoutes(Router& router) {
    router.add({"/system/logs", {"GET"}, true, RouteKind::Logs, {}});
}

} // namespace faasd::gateway
