#pragma once

// Internal to src/etcd: one gRPC channel and its stubs per member, and the
// helper every unary call goes through (a deadline, and the next member
// when one does not answer). Includes generated code; never include it
// from a public header.

#include "common/error.hpp"
#include "etcd/client.hpp"
#include "etcd/parse.hpp"

#include <atomic>
#include <chrono>
#include <grpcpp/grpcpp.h>
#include <memory>
#include <rpc.grpc.pb.h>
#include <string>
#include <string_view>
#include <v3election.grpc.pb.h>
#include <vector>

namespace faasd::etcd {

namespace pb = ::etcdserverpb;
namespace mvccpb = ::mvccpb;
namespace electionpb = ::v3electionpb;

struct Member {
    Endpoint endpoint;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<pb::KV::Stub> kv;
    std::unique_ptr<pb::Watch::Stub> watch;
    std::unique_ptr<pb::Lease::Stub> lease;
    std::unique_ptr<pb::Cluster::Stub> cluster;
    std::unique_ptr<pb::Maintenance::Stub> maintenance;
    std::unique_ptr<electionpb::Election::Stub> election;
};

struct Connection {
    ClientConfig config;
    std::vector<Member> members;
    // The member that answered last: calls start there.
    std::atomic<size_t> preferred{0};

    // "http://a:2379, http://b:2379", for messages.
    std::string endpointList() const;
};

// gRPC's deadlines are on the system clock.
using Deadline = std::chrono::system_clock::time_point;

inline Deadline deadlineIn(std::chrono::milliseconds timeout) {
    return std::chrono::system_clock::now() + timeout;
}

// Maps a gRPC status to an Error "what: message".
Error toError(const grpc::Status& status, std::string_view what);

// The error of a call that found no member answering.
Error unavailable(const Connection& conn, std::string_view what, std::string_view lastError);

// Whether a status says the member did not answer (down, or cut off from
// its cluster's leader): the call may go to another member.
bool memberUnavailable(const grpc::Status& status);

// Waits until a member's channel is connected, or until `until`: the pause
// between two rounds over members that did not answer. round chooses the
// member. Whether it is connected.
bool awaitAnyMember(Connection& conn, size_t round, Deadline until);

// How long to wait before the next round over the members.
std::chrono::milliseconds nextBackoff(std::chrono::milliseconds backoff);

// Runs one call: fn(member, ctx, response) -> grpc::Status on the preferred
// member, then on each other one while they do not answer, round after
// round until deadline. A write whose member dies after it applied the
// write but before it answered is sent again to the next member (etcd's
// own client does the same for a broken connection): use a transaction
// with a comparison where that matters.
template <typename Response, typename Fn>
Result<Response> callAny(Connection& conn, std::string_view what, Deadline deadline, Fn&& fn) {
    const size_t n = conn.members.size();
    std::string lastError = "no call made before the deadline";
    auto backoff = std::chrono::milliseconds(0);
    for (size_t round = 0;; ++round) {
        const size_t start = conn.preferred.load();
        for (size_t i = 0; i < n; ++i) {
            if (std::chrono::system_clock::now() >= deadline) {
                return fail(unavailable(conn, what, lastError));
            }
            const size_t index = (start + i) % n;
            Member& member = conn.members[index];
            grpc::ClientContext ctx;
            ctx.set_deadline(deadline);
            Response response;
            grpc::Status status = fn(member, &ctx, &response);
            if (status.ok()) {
                conn.preferred.store(index);
                return response;
            }
            if (!memberUnavailable(status)) {
                return fail(toError(status, what));
            }
            lastError = fmt::format("{}: {}", member.endpoint.url, status.error_message());
        }
        backoff = nextBackoff(backoff);
        (void)awaitAnyMember(conn, start + round, std::min(deadline, deadlineIn(backoff)));
    }
}

// callAny with the client's request timeout.
template <typename Response, typename Fn>
Result<Response> unaryCall(Connection& conn, std::string_view what, Fn&& fn) {
    return callAny<Response>(conn, what, deadlineIn(conn.config.requestTimeout),
                             std::forward<Fn>(fn));
}

// Renews a lease once through a LeaseKeepAlive stream; its new TTL.
Result<std::chrono::seconds> keepAliveOnce(Connection& conn, int64_t id, Deadline deadline);

// Revokes a lease; NotFound when it had expired.
Result<void> revokeLease(Connection& conn, int64_t id, Deadline deadline);

KeyValue fromProto(const mvccpb::KeyValue& kv);

} // namespace faasd::etcd
