#include "etcd/client.hpp"

#include "common/files.hpp"
#include "etcd/connection.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace faasd::etcd {

// ---- calls -----------------------------------------------------------------

Error toError(const grpc::Status& status, std::string_view what) {
    Code code = Code::Internal;
    const std::string& message = status.error_message();
    switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
        code = Code::NotFound;
        break;
    case grpc::StatusCode::ALREADY_EXISTS:
        code = Code::AlreadyExists;
        break;
    case grpc::StatusCode::INVALID_ARGUMENT:
        code = Code::InvalidArgument;
        break;
    case grpc::StatusCode::OUT_OF_RANGE:
        // "mvcc: required revision has been compacted", or a revision that
        // is still to come.
        code = message.find("compacted") != std::string::npos ? Code::FailedPrecondition
                                                              : Code::InvalidArgument;
        break;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
        code = Code::FailedPrecondition;
        break;
    case grpc::StatusCode::UNAVAILABLE:
        code = Code::Unavailable;
        break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
        code = Code::Timeout;
        break;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
        code = Code::PermissionDenied;
        break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
        // A request over the member's gRPC message limit is one etcd
        // refuses, like one over its request size.
        code = message.find("larger than max") != std::string::npos ? Code::InvalidArgument
                                                                    : Code::ResourceExhausted;
        break;
    case grpc::StatusCode::CANCELLED:
        code = Code::Cancelled;
        break;
    case grpc::StatusCode::UNIMPLEMENTED:
        code = Code::Unimplemented;
        break;
    default:
        // The election service passes on the errors of its own internal
        // client as UNKNOWN, with etcd's message.
        if (message.find("requested lease not found") != std::string::npos) {
            code = Code::NotFound;
        }
        break;
    }
    return Error(code, fmt::format("{}: {}", what, message));
}

std::string Connection::endpointList() const {
    std::string out;
    for (const auto& m : members) {
        if (!out.empty()) {
            out += ", ";
        }
        out += m.endpoint.url;
    }
    return out;
}

Error unavailable(const Connection& conn, std::string_view what, std::string_view lastError) {
    return Error(Code::Unavailable, fmt::format("{}: no etcd member answers ({}); last: {}", what,
                                                conn.endpointList(), lastError));
}

bool memberUnavailable(const grpc::Status& status) {
    return status.error_code() == grpc::StatusCode::UNAVAILABLE;
}

bool awaitAnyMember(Connection& conn, size_t round, Deadline until) {
    // gRPC's synchronous API makes progress on a connection (its reconnect
    // included) only while a thread waits on it: wait on one member's, the
    // next one each round, rather than sleep.
    return conn.members[round % conn.members.size()].channel->WaitForConnected(until);
}

std::chrono::milliseconds nextBackoff(std::chrono::milliseconds backoff) {
    using std::chrono::milliseconds;
    return std::clamp(backoff * 2, milliseconds(50), milliseconds(500));
}

KeyValue fromProto(const mvccpb::KeyValue& kv) {
    return KeyValue{kv.key(),          kv.value(),   kv.create_revision(),
                    kv.mod_revision(), kv.version(), kv.lease()};
}

// ---- connect ---------------------------------------------------------------

namespace {

Result<std::shared_ptr<grpc::ChannelCredentials>> credentials(const ClientConfig& config) {
    if (config.caFile.empty()) {
        return fail(Code::InvalidArgument, "etcd: an https endpoint needs a CA file");
    }
    if (config.certFile.empty() != config.keyFile.empty()) {
        return fail(Code::InvalidArgument,
                    "etcd: a client certificate needs its key, and a key its certificate");
    }
    grpc::SslCredentialsOptions ssl;
    TRY_ASSIGN(ssl.pem_root_certs,
               withContext(readFile(config.caFile), "etcd: reading the CA file"));
    if (!config.certFile.empty()) {
        TRY_ASSIGN(ssl.pem_cert_chain,
                   withContext(readFile(config.certFile), "etcd: reading the client certificate"));
        TRY_ASSIGN(ssl.pem_private_key,
                   withContext(readFile(config.keyFile), "etcd: reading the client key"));
    }
    return grpc::SslCredentials(ssl);
}

void setRange(pb::RangeRequest* req, const std::string& prefix) {
    req->set_key(rangeStart(prefix));
    req->set_range_end(prefixEnd(prefix));
}

} // namespace

Result<std::unique_ptr<Client>> Client::connect(const ClientConfig& config) {
    if (config.endpoints.empty()) {
        return fail(Code::InvalidArgument, "etcd: no endpoint configured");
    }
    auto conn = std::make_shared<Connection>();
    conn->config = config;
    std::shared_ptr<grpc::ChannelCredentials> tls;
    for (const auto& url : config.endpoints) {
        TRY_ASSIGN(Endpoint endpoint, parseEndpoint(url));
        std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
        if (endpoint.tls) {
            if (!tls) {
                auto made = credentials(config);
                if (!made) {
                    // A missing or unreadable file is the configuration's fault.
                    return fail(Error(Code::InvalidArgument, made.error().message()));
                }
                tls = *made;
            }
            creds = tls;
        }
        grpc::ChannelArguments args;
        // Come back quickly after a member restarts.
        args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
        args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
        args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
        // A member that vanishes without closing its connections (a cut
        // cable) is found by pings; etcd accepts one every 5 s or slower.
        args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
        args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
        args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
        args.SetMaxReceiveMessageSize(64 << 20);
        // One channel per member, never shared with another Client's.
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        Member m;
        m.endpoint = std::move(endpoint);
        m.channel = grpc::CreateCustomChannel(m.endpoint.target, creds, args);
        m.kv = pb::KV::NewStub(m.channel);
        m.watch = pb::Watch::NewStub(m.channel);
        m.lease = pb::Lease::NewStub(m.channel);
        m.cluster = pb::Cluster::NewStub(m.channel);
        m.maintenance = pb::Maintenance::NewStub(m.channel);
        m.election = electionpb::Election::NewStub(m.channel);
        conn->members.push_back(std::move(m));
    }
    // A member must answer within dialTimeout.
    TRY(callAny<pb::StatusResponse>(
        *conn, "etcd: connecting", deadlineIn(config.dialTimeout),
        [](Member& m, auto* ctx, auto* out) { return m.maintenance->Status(ctx, {}, out); }));
    return std::unique_ptr<Client>(new Client(std::move(conn)));
}

const ClientConfig& Client::config() const {
    return conn_->config;
}

// ---- KV --------------------------------------------------------------------

Result<std::optional<KeyValue>> Client::get(const std::string& key) {
    pb::RangeRequest req;
    req.set_key(key);
    TRY_ASSIGN(auto resp, unaryCall<pb::RangeResponse>(*conn_, fmt::format("etcd: get {}", key),
                                                       [&](Member& m, auto* ctx, auto* out) {
                                                           return m.kv->Range(ctx, req, out);
                                                       }));
    if (resp.kvs().empty()) {
        return std::optional<KeyValue>();
    }
    return std::optional<KeyValue>(fromProto(resp.kvs(0)));
}

Result<Range> Client::getPrefix(const std::string& prefix, int64_t limit) {
    pb::RangeRequest req;
    setRange(&req, prefix);
    req.set_limit(limit);
    req.set_sort_order(pb::RangeRequest::ASCEND);
    req.set_sort_target(pb::RangeRequest::KEY);
    TRY_ASSIGN(auto resp,
               unaryCall<pb::RangeResponse>(
                   *conn_, fmt::format("etcd: get prefix {}", prefix),
                   [&](Member& m, auto* ctx, auto* out) { return m.kv->Range(ctx, req, out); }));
    Range range;
    range.revision = resp.header().revision();
    range.kvs.reserve(resp.kvs_size());
    for (const auto& kv : resp.kvs()) {
        range.kvs.push_back(fromProto(kv));
    }
    return range;
}

Result<int64_t> Client::put(const std::string& key, const std::string& value, int64_t lease) {
    pb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    req.set_lease(lease);
    TRY_ASSIGN(auto resp, unaryCall<pb::PutResponse>(*conn_, fmt::format("etcd: put {}", key),
                                                     [&](Member& m, auto* ctx, auto* out) {
                                                         return m.kv->Put(ctx, req, out);
                                                     }));
    return resp.header().revision();
}

Result<int64_t> Client::remove(const std::string& key) {
    pb::DeleteRangeRequest req;
    req.set_key(key);
    TRY_ASSIGN(auto resp,
               unaryCall<pb::DeleteRangeResponse>(*conn_, fmt::format("etcd: delete {}", key),
                                                  [&](Member& m, auto* ctx, auto* out) {
                                                      return m.kv->DeleteRange(ctx, req, out);
                                                  }));
    return resp.deleted();
}

Result<int64_t> Client::removePrefix(const std::string& prefix) {
    pb::DeleteRangeRequest req;
    req.set_key(rangeStart(prefix));
    req.set_range_end(prefixEnd(prefix));
    TRY_ASSIGN(auto resp, unaryCall<pb::DeleteRangeResponse>(
                              *conn_, fmt::format("etcd: delete prefix {}", prefix),
                              [&](Member& m, auto* ctx, auto* out) {
                                  return m.kv->DeleteRange(ctx, req, out);
                              }));
    return resp.deleted();
}

namespace {

void toProto(const Compare& c, pb::Compare* out) {
    out->set_key(c.key);
    switch (c.op) {
    case Compare::Op::Equal:
        out->set_result(pb::Compare::EQUAL);
        break;
    case Compare::Op::Greater:
        out->set_result(pb::Compare::GREATER);
        break;
    case Compare::Op::Less:
        out->set_result(pb::Compare::LESS);
        break;
    case Compare::Op::NotEqual:
        out->set_result(pb::Compare::NOT_EQUAL);
        break;
    }
    switch (c.target) {
    case Compare::Target::Version:
        out->set_target(pb::Compare::VERSION);
        out->set_version(c.number);
        break;
    case Compare::Target::CreateRevision:
        out->set_target(pb::Compare::CREATE);
        out->set_create_revision(c.number);
        break;
    case Compare::Target::ModRevision:
        out->set_target(pb::Compare::MOD);
        out->set_mod_revision(c.number);
        break;
    case Compare::Target::Value:
        out->set_target(pb::Compare::VALUE);
        out->set_value(c.value);
        break;
    case Compare::Target::Lease:
        out->set_target(pb::Compare::LEASE);
        out->set_lease(c.number);
        break;
    }
}

void toProto(const Operation& op, pb::RequestOp* out) {
    switch (op.kind) {
    case Operation::Kind::Put: {
        auto* put = out->mutable_request_put();
        put->set_key(op.key);
        put->set_value(op.value);
        put->set_lease(op.lease);
        break;
    }
    case Operation::Kind::Delete:
        out->mutable_request_delete_range()->set_key(op.key);
        break;
    case Operation::Kind::DeletePrefix:
        out->mutable_request_delete_range()->set_key(rangeStart(op.key));
        out->mutable_request_delete_range()->set_range_end(prefixEnd(op.key));
        break;
    case Operation::Kind::Get:
        out->mutable_request_range()->set_key(op.key);
        break;
    case Operation::Kind::GetPrefix:
        setRange(out->mutable_request_range(), op.key);
        out->mutable_request_range()->set_sort_order(pb::RangeRequest::ASCEND);
        break;
    }
}

} // namespace

Compare Compare::missing(std::string key) {
    return Compare{std::move(key), Target::CreateRevision, Op::Equal, 0, {}};
}
Compare Compare::exists(std::string key) {
    return Compare{std::move(key), Target::CreateRevision, Op::Greater, 0, {}};
}
Compare Compare::modRevisionIs(std::string key, int64_t revision) {
    return Compare{std::move(key), Target::ModRevision, Op::Equal, revision, {}};
}
Compare Compare::valueIs(std::string key, std::string value) {
    return Compare{std::move(key), Target::Value, Op::Equal, 0, std::move(value)};
}
Compare Compare::leaseIs(std::string key, int64_t lease) {
    return Compare{std::move(key), Target::Lease, Op::Equal, lease, {}};
}

Operation Operation::put(std::string key, std::string value, int64_t lease) {
    return Operation{Kind::Put, std::move(key), std::move(value), lease};
}
Operation Operation::remove(std::string key) {
    return Operation{Kind::Delete, std::move(key), {}, 0};
}
Operation Operation::removePrefix(std::string prefix) {
    return Operation{Kind::DeletePrefix, std::move(prefix), {}, 0};
}
Operation Operation::get(std::string key) {
    return Operation{Kind::Get, std::move(key), {}, 0};
}
Operation Operation::getPrefix(std::string prefix) {
    return Operation{Kind::GetPrefix, std::move(prefix), {}, 0};
}

Result<TxnResult> Client::txn(const std::vector<Compare>& compares,
                              const std::vector<Operation>& onSuccess,
                              const std::vector<Operation>& onFailure) {
    pb::TxnRequest req;
    for (const auto& c : compares) {
        toProto(c, req.add_compare());
    }
    for (const auto& op : onSuccess) {
        toProto(op, req.add_success());
    }
    for (const auto& op : onFailure) {
        toProto(op, req.add_failure());
    }
    // Named by the first key it compares or writes.
    std::string first = !compares.empty()    ? compares.front().key
                        : !onSuccess.empty() ? onSuccess.front().key
                        : !onFailure.empty() ? onFailure.front().key
                                             : std::string();
    TRY_ASSIGN(auto resp, unaryCall<pb::TxnResponse>(*conn_, fmt::format("etcd: txn on {}", first),
                                                     [&](Member& m, auto* ctx, auto* out) {
                                                         return m.kv->Txn(ctx, req, out);
                                                     }));
    TxnResult result;
    result.succeeded = resp.succeeded();
    result.revision = resp.header().revision();
    for (const auto& r : resp.responses()) {
        if (!r.has_response_range()) {
            continue;
        }
        Range range;
        range.revision = r.response_range().header().revision();
        if (range.revision == 0) {
            range.revision = result.revision;
        }
        for (const auto& kv : r.response_range().kvs()) {
            range.kvs.push_back(fromProto(kv));
        }
        result.ranges.push_back(std::move(range));
    }
    return result;
}

Result<void> Client::compact(int64_t revision) {
    pb::CompactionRequest req;
    req.set_revision(revision);
    req.set_physical(true);
    TRY(unaryCall<pb::CompactionResponse>(
        *conn_, fmt::format("etcd: compact to {}", revision),
        [&](Member& m, auto* ctx, auto* out) { return m.kv->Compact(ctx, req, out); }));
    return {};
}

// ---- Cluster ---------------------------------------------------------------

Result<std::vector<MemberInfo>> Client::members() {
    TRY_ASSIGN(auto resp, unaryCall<pb::MemberListResponse>(
                              *conn_, "etcd: list members", [&](Member& m, auto* ctx, auto* out) {
                                  return m.cluster->MemberList(ctx, {}, out);
                              }));
    std::vector<MemberInfo> out;
    for (const auto& m : resp.members()) {
        out.push_back(MemberInfo{m.id(),
                                 m.name(),
                                 {m.client_urls().begin(), m.client_urls().end()},
                                 {m.peer_urls().begin(), m.peer_urls().end()}});
    }
    return out;
}

Result<StatusInfo> Client::status() {
    TRY_ASSIGN(auto resp, unaryCall<pb::StatusResponse>(
                              *conn_, "etcd: status", [&](Member& m, auto* ctx, auto* out) {
                                  return m.maintenance->Status(ctx, {}, out);
                              }));
    return StatusInfo{
        resp.version(), resp.header().member_id(), resp.leader(),
        resp.db_size(), resp.header().revision(),  static_cast<int64_t>(resp.raft_term())};
}

} // namespace faasd::etcd
