// Watches: one thread per watch reads a Watch stream and reopens it, on the
// next member, from the revision after the last one delivered.

#include "common/log.hpp"
#include "etcd/client.hpp"
#include "etcd/connection.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace faasd::etcd {

namespace {

const Logger watchLog("etcd");

class PrefixWatch final : public Watch {
public:
    PrefixWatch(std::shared_ptr<Connection> conn, std::string prefix, int64_t startRevision,
                WatchHandlers handlers)
        : conn_(std::move(conn)), prefix_(std::move(prefix)), end_(prefixEnd(prefix_)),
          handlers_(std::move(handlers)), revision_(startRevision > 0 ? startRevision - 1 : 0),
          known_(startRevision > 0) {
        thread_ = std::thread([this] { run(); });
    }

    // Must not run on the watch's thread (from a handler): it joins it.
    ~PrefixWatch() override {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
            if (ctx_ != nullptr) {
                ctx_->TryCancel();
            }
        }
        cv_.notify_all();
        thread_.join();
    }

    int64_t revision() const override { return revision_.load(); }

    // Waits until etcd has created the watch; the error of the last attempt
    // when no member did before deadline.
    Result<void> awaitCreated(std::chrono::steady_clock::time_point deadline,
                              std::string_view what) {
        std::unique_lock lock(mu_);
        if (cv_.wait_until(lock, deadline, [&] { return created_; })) {
            return {};
        }
        if (!lastError_ || lastError_->code() == Code::Unavailable) {
            return fail(unavailable(*conn_, what,
                                    lastError_ ? lastError_->message() : "no answer in time"));
        }
        return fail(lastError_->context(what));
    }

private:
    void run() {
        size_t index = conn_->preferred.load();
        auto backoff = std::chrono::milliseconds(0);
        for (;;) {
            Member& member = conn_->members[index % conn_->members.size()];
            Attempt attempt = stream(member);
            if (attempt.stopped) {
                return;
            }
            if (attempt.compacted) {
                // Reopen at once, from now, on the same member.
                backoff = std::chrono::milliseconds(0);
                continue;
            }
            if (attempt.created) {
                backoff = std::chrono::milliseconds(0);
                watchLog.info("watch of {} on {} ended ({}); resuming after revision {}", prefix_,
                              member.endpoint.url, attempt.error.message(), revision_.load());
            } else {
                backoff = nextBackoff(backoff);
            }
            ++index;
            {
                std::lock_guard lock(mu_);
                if (!created_) {
                    lastError_ = attempt.error;
                }
            }
            if (!attempt.created && pause(index, backoff)) {
                return;
            }
        }
    }

    // The pause between two attempts: on the next member's connection (see
    // awaitAnyMember), a slice at a time to see the destructor. Whether the
    // watch is stopping.
    bool pause(size_t index, std::chrono::milliseconds backoff) {
        const auto until = std::chrono::steady_clock::now() + backoff;
        for (;;) {
            if (stopping()) {
                return true;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left <= std::chrono::milliseconds(0)) {
                return false;
            }
            auto slice = std::min(left, std::chrono::milliseconds(50));
            if (conn_->members[index % conn_->members.size()].channel->WaitForConnected(
                    deadlineIn(slice))) {
                return stopping();
            }
        }
    }

    struct Attempt {
        bool stopped = false;
        bool created = false;
        bool compacted = false;
        Error error{Code::Unavailable, ""};
    };

    Attempt stream(Member& member) {
        Attempt attempt;
        grpc::ClientContext ctx;
        // The member cancels the stream when it loses its cluster's leader,
        // rather than leave us watching a member cut off from the writes.
        ctx.AddMetadata("hasleader", "true");
        {
            std::lock_guard lock(mu_);
            if (stopping_) {
                attempt.stopped = true;
                return attempt;
            }
            ctx_ = &ctx;
        }
        auto stream = member.watch->Watch(&ctx);
        pb::WatchRequest req;
        auto* create = req.mutable_create_request();
        create->set_key(rangeStart(prefix_));
        create->set_range_end(end_);
        create->set_start_revision(known_ && !needReset_ ? revision_.load() + 1 : 0);
        std::optional<Error> ended;
        if (stream->Write(req)) {
            pb::WatchResponse resp;
            while (!ended && stream->Read(&resp)) {
                ended = handle(resp, attempt);
            }
        }
        if (ended) {
            ctx.TryCancel(); // we end it; otherwise Finish has etcd's status
        }
        grpc::Status status = stream->Finish();
        {
            std::lock_guard lock(mu_);
            ctx_ = nullptr;
            attempt.stopped = stopping_;
        }
        if (ended) {
            attempt.error = *ended;
        } else {
            attempt.error = toError(status, "stream closed");
        }
        return attempt;
    }

    // One response; an error when it ends the stream.
    std::optional<Error> handle(const pb::WatchResponse& resp, Attempt& attempt) {
        if (resp.compact_revision() != 0) {
            // The revision we need is gone: start again from now, and tell
            // the handlers to read the prefix again.
            needReset_ = true;
            attempt.compacted = true;
            return Error(Code::FailedPrecondition,
                         fmt::format("revision {} compacted (oldest left: {})",
                                     revision_.load() + 1, resp.compact_revision()));
        }
        if (resp.canceled()) {
            return Error(Code::Unavailable,
                         fmt::format("canceled by etcd: {}", resp.cancel_reason().empty()
                                                                 ? "no reason given"
                                                                 : resp.cancel_reason()));
        }
        if (resp.created()) {
            attempt.created = true;
            if (!known_ || needReset_) {
                revision_ = resp.header().revision();
                known_ = true;
            }
            if (needReset_) {
                needReset_ = false;
                if (handlers_.reset && !stopping()) {
                    handlers_.reset(revision_.load() + 1);
                }
            }
            {
                std::lock_guard lock(mu_);
                created_ = true;
            }
            cv_.notify_all();
            return std::nullopt;
        }
        if (resp.events().empty()) {
            return std::nullopt; // progress notification
        }
        std::vector<Event> events;
        events.reserve(resp.events_size());
        for (const auto& e : resp.events()) {
            events.push_back(
                Event{e.type() == mvccpb::Event::DELETE ? Event::Type::Delete : Event::Type::Put,
                      fromProto(e.kv())});
        }
        // Every event of a revision comes in one response: resuming after
        // the last one's revision loses nothing and repeats nothing.
        int64_t last = events.back().kv.modRevision;
        if (handlers_.events && !stopping()) {
            handlers_.events(events, last);
        }
        revision_ = last;
        return std::nullopt;
    }

    bool stopping() {
        std::lock_guard lock(mu_);
        return stopping_;
    }

    std::shared_ptr<Connection> conn_;
    const std::string prefix_;
    const std::string end_;
    WatchHandlers handlers_;
    std::atomic<int64_t> revision_;
    // Only the watch's thread reads and writes these two.
    bool known_;             // revision_ is a real revision (not "from now")
    bool needReset_ = false; // reopen from now and call handlers_.reset

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool created_ = false;
    grpc::ClientContext* ctx_ = nullptr; // the open stream's, to cancel it
    std::optional<Error> lastError_;     // of the attempts before created_
    std::thread thread_;
};

} // namespace

Result<std::unique_ptr<Watch>> Client::watchPrefix(const std::string& prefix, int64_t startRevision,
                                                   WatchHandlers handlers) {
    if (startRevision < 0) {
        return fail(Code::InvalidArgument, "etcd: watch {}: negative start revision {}", prefix,
                    startRevision);
    }
    auto watch = std::make_unique<PrefixWatch>(conn_, prefix, startRevision, std::move(handlers));
    TRY(watch->awaitCreated(std::chrono::steady_clock::now() + conn_->config.requestTimeout,
                            fmt::format("etcd: watch {}", prefix)));
    return std::unique_ptr<Watch>(std::move(watch));
}

} // namespace faasd::etcd
