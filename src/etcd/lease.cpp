// Leases: grant, revoke, renew, ask; and the LeaseKeeper's renewing thread.

#include "common/log.hpp"
#include "etcd/client.hpp"
#include "etcd/connection.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace faasd::etcd {

namespace {
const Logger leaseLog("etcd");

Error leaseGone(std::string_view what, int64_t id) {
    return Error(Code::NotFound,
                 fmt::format("{}: lease {:x} not found (expired or revoked)", what, id));
}
} // namespace

Result<std::chrono::seconds> keepAliveOnce(Connection& conn, int64_t id, Deadline deadline) {
    const std::string what = fmt::format("etcd: renew lease {:x}", id);
    pb::LeaseKeepAliveRequest req;
    req.set_id(id);
    TRY_ASSIGN(auto resp,
               callAny<pb::LeaseKeepAliveResponse>(
                   conn, what, deadline,
                   [&](Member& m, grpc::ClientContext* ctx, pb::LeaseKeepAliveResponse* out) {
                       auto stream = m.lease->LeaseKeepAlive(ctx);
                       if (!stream->Write(req) || !stream->Read(out)) {
                           return stream->Finish();
                       }
                       // One answer is all we wanted; end the stream.
                       ctx->TryCancel();
                       (void)stream->Finish();
                       return grpc::Status::OK;
                   }));
    if (resp.ttl() <= 0) {
        return fail(leaseGone(what, id));
    }
    return std::chrono::seconds(resp.ttl());
}

Result<void> revokeLease(Connection& conn, int64_t id, Deadline deadline) {
    pb::LeaseRevokeRequest req;
    req.set_id(id);
    TRY(callAny<pb::LeaseRevokeResponse>(
        conn, fmt::format("etcd: revoke lease {:x}", id), deadline,
        [&](Member& m, auto* ctx, auto* out) { return m.lease->LeaseRevoke(ctx, req, out); }));
    return {};
}

Result<int64_t> Client::grantLease(std::chrono::seconds ttl, int64_t id) {
    pb::LeaseGrantRequest req;
    req.set_ttl(ttl.count());
    req.set_id(id);
    TRY_ASSIGN(auto resp, unaryCall<pb::LeaseGrantResponse>(
                              *conn_, fmt::format("etcd: grant a lease of {} s", ttl.count()),
                              [&](Member& m, auto* ctx, auto* out) {
                                  return m.lease->LeaseGrant(ctx, req, out);
                              }));
    if (!resp.error().empty()) {
        return fail(Code::Internal, "etcd: grant a lease of {} s: {}", ttl.count(), resp.error());
    }
    return resp.id();
}

Result<void> Client::revokeLease(int64_t id) {
    return etcd::revokeLease(*conn_, id, deadlineIn(conn_->config.requestTimeout));
}

Result<std::chrono::seconds> Client::keepAliveOnce(int64_t id) {
    return etcd::keepAliveOnce(*conn_, id, deadlineIn(conn_->config.requestTimeout));
}

Result<std::chrono::seconds> Client::leaseTimeToLive(int64_t id) {
    const std::string what = fmt::format("etcd: time to live of lease {:x}", id);
    pb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    TRY_ASSIGN(auto resp, unaryCall<pb::LeaseTimeToLiveResponse>(
                              *conn_, what, [&](Member& m, auto* ctx, auto* out) {
                                  return m.lease->LeaseTimeToLive(ctx, req, out);
                              }));
    if (resp.ttl() < 0) {
        return fail(leaseGone(what, id));
    }
    return std::chrono::seconds(resp.ttl());
}

// ---- LeaseKeeper -----------------------------------------------------------

namespace {

class Keeper final : public LeaseKeeper {
public:
    Keeper(std::shared_ptr<Connection> conn, int64_t id, std::chrono::seconds ttl,
           std::function<void()> onLost)
        : conn_(std::move(conn)), id_(id), ttl_(ttl), onLost_(std::move(onLost)) {
        thread_ = std::thread([this] { run(); });
    }

    ~Keeper() override {
        bool revoke = false;
        {
            std::lock_guard lock(mu_);
            revoke = state_ == State::Renewing;
            state_ = State::Stopped;
        }
        cv_.notify_all();
        thread_.join();
        if (revoke) {
            // Best effort: a lease we cannot revoke lapses after its TTL.
            auto revoked = etcd::revokeLease(*conn_, id_, deadlineIn(std::chrono::seconds(1)));
            if (!revoked && revoked.error().code() != Code::NotFound) {
                leaseLog.warn("{}", revoked.error().message());
            }
        }
    }

    int64_t id() const override { return id_; }

    bool alive() const override {
        std::lock_guard lock(mu_);
        return state_ == State::Renewing;
    }

    void abandon() override {
        {
            std::lock_guard lock(mu_);
            if (state_ == State::Renewing) {
                state_ = State::Abandoned;
            }
        }
        cv_.notify_all();
    }

private:
    enum class State { Renewing, Abandoned, Lost, Stopped };

    void run() {
        using Clock = std::chrono::steady_clock;
        using std::chrono::milliseconds;
        const milliseconds period = std::max<milliseconds>(ttl_ / 3, milliseconds(100));
        // etcd counts the TTL from its own renewal; ours starts before the
        // call, so expiresAt is never later than etcd's.
        Clock::time_point expiresAt = Clock::now() + ttl_;
        Clock::time_point next = Clock::now() + period;
        for (;;) {
            {
                std::unique_lock lock(mu_);
                cv_.wait_until(lock, next, [&] { return state_ != State::Renewing; });
                if (state_ != State::Renewing) {
                    return;
                }
            }
            const auto sent = Clock::now();
            // An attempt may take until the lease would expire, no longer.
            auto left = std::chrono::duration_cast<milliseconds>(expiresAt - sent);
            // The destructor waits for an attempt: keep it to a period.
            auto timeout = std::clamp(
                left, milliseconds(100),
                std::min(conn_->config.requestTimeout, std::max(period, milliseconds(500))));
            auto renewed = etcd::keepAliveOnce(*conn_, id_, deadlineIn(timeout));
            if (renewed) {
                expiresAt = sent + *renewed;
                next = sent + std::max<milliseconds>(*renewed / 3, milliseconds(100));
                continue;
            }
            bool gone = renewed.error().code() == Code::NotFound || Clock::now() >= expiresAt;
            if (!gone) {
                leaseLog.warn("{}; trying again", renewed.error().message());
                next = std::min(Clock::now() + milliseconds(200), expiresAt);
                continue;
            }
            {
                std::lock_guard lock(mu_);
                if (state_ != State::Renewing) {
                    return;
                }
                state_ = State::Lost;
            }
            leaseLog.warn("lease {:x} lost: {}", id_, renewed.error().message());
            if (onLost_) {
                onLost_();
            }
            return;
        }
    }

    std::shared_ptr<Connection> conn_;
    const int64_t id_;
    const std::chrono::seconds ttl_;
    std::function<void()> onLost_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    State state_ = State::Renewing;
    std::thread thread_;
};

} // namespace

Result<std::unique_ptr<LeaseKeeper>> LeaseKeeper::start(Client& client, std::chrono::seconds ttl,
                                                        std::function<void()> onLost) {
    if (ttl.count() <= 0) {
        return fail(Code::InvalidArgument, "etcd: a lease's TTL must be at least 1 s");
    }
    TRY_ASSIGN(int64_t id, client.grantLease(ttl));
    return std::unique_ptr<LeaseKeeper>(
        std::make_unique<Keeper>(client.conn_, id, ttl, std::move(onLost)));
}

} // namespace faasd::etcd
