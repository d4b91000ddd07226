// Elections through etcd's v3election service. Campaign blocks in etcd
// until the candidate leads; we make the call asynchronously so that the
// caller's stop flag can cancel it.

#include "etcd/client.hpp"
#include "etcd/connection.hpp"

#include <grpcpp/completion_queue.h>

namespace faasd::etcd {

namespace {

// How often a campaign looks at its stop flag.
constexpr auto kStopPoll = std::chrono::milliseconds(50);

// etcd answers Leader for an election without candidates with this error
// (gRPC code UNKNOWN).
constexpr std::string_view kNoLeader = "election: no leader";

// One Campaign call on one member; CANCELLED when stop became true.
grpc::Status campaignOnce(Member& member, const electionpb::CampaignRequest& req,
                          electionpb::CampaignResponse* out, const std::atomic<bool>& stop) {
    grpc::ClientContext ctx;
    grpc::CompletionQueue cq;
    grpc::Status status;
    auto call = member.election->AsyncCampaign(&ctx, req, &cq);
    int tag = 0;
    call->Finish(out, &status, &tag);
    bool cancelled = false;
    for (;;) {
        void* got = nullptr;
        bool ok = false;
        auto next = cq.AsyncNext(&got, &ok, std::chrono::system_clock::now() + kStopPoll);
        if (next == grpc::CompletionQueue::GOT_EVENT) {
            break;
        }
        if (next == grpc::CompletionQueue::SHUTDOWN) {
            break; // not reached: the queue is shut down below
        }
        if (!cancelled && stop.load()) {
            ctx.TryCancel();
            cancelled = true;
        }
    }
    cq.Shutdown();
    void* got = nullptr;
    bool ok = false;
    while (cq.Next(&got, &ok)) {
    }
    if (cancelled) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "stopped");
    }
    return status;
}

LeaderKey leaderKeyFromProto(const electionpb::LeaderKey& key) {
    return LeaderKey{key.name(), key.key(), key.rev(), key.lease()};
}

} // namespace

Result<LeaderKey> Client::campaign(const std::string& name, int64_t lease, const std::string& value,
                                   const std::atomic<bool>& stop) {
    const std::string what = fmt::format("etcd: campaign for {} with lease {:x}", name, lease);
    electionpb::CampaignRequest req;
    req.set_name(name);
    req.set_lease(lease);
    req.set_value(value);
    const size_t n = conn_->members.size();
    size_t index = conn_->preferred.load();
    auto backoff = std::chrono::milliseconds(0);
    size_t failedInARow = 0;
    for (;;) {
        if (stop.load()) {
            return fail(Code::Cancelled, "{}: stopped", what);
        }
        Member& member = conn_->members[index % n];
        electionpb::CampaignResponse resp;
        grpc::Status status = campaignOnce(member, req, &resp, stop);
        if (status.ok()) {
            conn_->preferred.store(index % n);
            // etcd answers once the candidates before us have gone, even
            // when our own key went with our lease meanwhile.
            TRY_ASSIGN(auto mine, withContext(get(resp.leader().key()), what));
            if (!mine || mine->lease != lease) {
                return fail(Code::NotFound, "{}: lease {:x} expired while campaigning", what,
                            lease);
            }
            return leaderKeyFromProto(resp.leader());
        }
        if (status.error_code() == grpc::StatusCode::CANCELLED && stop.load()) {
            return fail(Code::Cancelled, "{}: stopped", what);
        }
        if (!memberUnavailable(status)) {
            return fail(toError(status, what));
        }
        // Campaigning again with the same lease takes up the same key, so
        // a member that went away is simply replaced by the next.
        ++index;
        if (++failedInARow % n == 0) {
            // The pause between rounds, a slice at a time to see stop.
            backoff = nextBackoff(backoff);
            auto until = deadlineIn(backoff);
            while (std::chrono::system_clock::now() < until && !stop.load()) {
                if (awaitAnyMember(*conn_, index, std::min(until, deadlineIn(kStopPoll)))) {
                    break;
                }
            }
        }
    }
}

Result<std::optional<KeyValue>> Client::leader(const std::string& name) {
    const std::string what = fmt::format("etcd: leader of {}", name);
    electionpb::LeaderRequest req;
    req.set_name(name);
    auto resp = unaryCall<electionpb::LeaderResponse>(
        *conn_, what, [&](Member& m, grpc::ClientContext* ctx, electionpb::LeaderResponse* out) {
            grpc::Status status = m.election->Leader(ctx, req, out);
            if (!status.ok() && status.error_message() == kNoLeader) {
                out->clear_kv();
                return grpc::Status::OK;
            }
            return status;
        });
    if (!resp) {
        return fail(resp.error());
    }
    if (!resp->has_kv()) {
        return std::optional<KeyValue>();
    }
    return std::optional<KeyValue>(fromProto(resp->kv()));
}

Result<void> Client::resign(const LeaderKey& leader) {
    electionpb::ResignRequest req;
    auto* key = req.mutable_leader();
    key->set_name(leader.name);
    key->set_key(leader.key);
    key->set_rev(leader.revision);
    key->set_lease(leader.lease);
    TRY(unaryCall<electionpb::ResignResponse>(
        *conn_, fmt::format("etcd: resign {} from {}", leader.key, leader.name),
        [&](Member& m, auto* ctx, auto* out) { return m.election->Resign(ctx, req, out); }));
    return {};
}

} // namespace faasd::etcd
