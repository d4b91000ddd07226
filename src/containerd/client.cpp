#include "containerd/client.hpp"

#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

#include <algorithm>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace faasd::containerd {

Error toError(const grpc::Status& status, std::string_view what, const std::string& socket) {
    Code code = Code::Internal;
    switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
        code = Code::NotFound;
        break;
    case grpc::StatusCode::ALREADY_EXISTS:
        code = Code::AlreadyExists;
        break;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
        code = Code::InvalidArgument;
        break;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
        code = Code::FailedPrecondition;
        break;
    case grpc::StatusCode::UNAVAILABLE:
        return Error(Code::Unavailable, fmt::format("{}: containerd at {} is not answering: {}",
                                                    what, socket, status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
        code = Code::Timeout;
        break;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
        code = Code::PermissionDenied;
        break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
        code = Code::ResourceExhausted;
        break;
    case grpc::StatusCode::CANCELLED:
        code = Code::Cancelled;
        break;
    case grpc::StatusCode::UNIMPLEMENTED:
        code = Code::Unimplemented;
        break;
    default:
        break;
    }
    return Error(code, fmt::format("{}: {}", what, status.error_message()));
}

void prepareContext(grpc::ClientContext& ctx, const CallScope& scope,
                    std::optional<std::chrono::milliseconds> timeout) {
    ctx.AddMetadata("containerd-namespace", scope.ns);
    if (!scope.lease.empty()) {
        ctx.AddMetadata("containerd-lease", scope.lease);
    }
    if (timeout) {
        ctx.set_deadline(std::chrono::system_clock::now() + *timeout);
    }
}

bool awaitReconnect(const CallScope& scope, const grpc::Status& status) {
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
        return false;
    }
    auto wait = std::min<std::chrono::milliseconds>(scope.timeout, std::chrono::seconds(2));
    return scope.conn->channel->WaitForConnected(std::chrono::system_clock::now() + wait);
}

Result<Client> Client::connect(const ClientOptions& options) {
    if (options.socket.empty()) {
        return fail(Code::InvalidArgument, "containerd socket path is empty");
    }
    if (options.ns.empty()) {
        return fail(Code::InvalidArgument, "containerd namespace is empty");
    }
    grpc::ChannelArguments args;
    // Come back quickly after containerd restarts.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    // containerd checks the :authority of unix-socket calls loosely; use a
    // fixed one so it never depends on the path.
    args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, "localhost");

    auto conn = std::make_shared<Connection>();
    conn->socket = options.socket;
    conn->channel = grpc::CreateCustomChannel("unix:" + options.socket,
                                              grpc::InsecureChannelCredentials(), args);
    conn->containers = v1::containers::Containers::NewStub(conn->channel);
    conn->content = v1::content::Content::NewStub(conn->channel);
    conn->diff = v1::diff::Diff::NewStub(conn->channel);
    conn->events = v1::events::Events::NewStub(conn->channel);
    conn->images = v1::images::Images::NewStub(conn->channel);
    conn->leases = v1::leases::Leases::NewStub(conn->channel);
    conn->namespaces = v1::namespaces::Namespaces::NewStub(conn->channel);
    conn->snapshots = v1::snapshots::Snapshots::NewStub(conn->channel);
    conn->tasks = v1::tasks::Tasks::NewStub(conn->channel);
    conn->version = v1::version::Version::NewStub(conn->channel);
    return Client(
        CallScope{std::move(conn), options.ns, "", options.timeout, options.streamTimeout});
}

Client Client::withNamespace(std::string ns) const {
    CallScope scope = scope_;
    scope.ns = std::move(ns);
    return Client(std::move(scope));
}

Client Client::withLease(std::string leaseId) const {
    CallScope scope = scope_;
    scope.lease = std::move(leaseId);
    return Client(std::move(scope));
}

Client Client::withTimeout(std::chrono::milliseconds timeout) const {
    CallScope scope = scope_;
    scope.timeout = timeout;
    return Client(std::move(scope));
}

const std::string& Client::socket() const {
    return scope_.conn->socket;
}

bool Client::waitConnected(std::chrono::milliseconds timeout) const {
    return scope_.conn->channel->WaitForConnected(std::chrono::system_clock::now() + timeout);
}

Result<VersionInfo> Client::version() const {
    TRY_ASSIGN(auto response, unaryCall<v1::version::VersionResponse>(
                                  scope_, "asking containerd's version",
                                  [&](grpc::ClientContext* ctx, v1::version::VersionResponse* out) {
                                      return scope_.conn->version->Version(ctx, {}, out);
                                  }));
    return VersionInfo{response.version(), response.revision()};
}

NamespacesApi Client::namespaces() const {
    return NamespacesApi(scope_);
}
ImagesApi Client::images() const {
    return ImagesApi(scope_);
}
ContentApi Client::content() const {
    return ContentApi(scope_);
}
SnapshotsApi Client::snapshots(std::string snapshotter) const {
    return SnapshotsApi(scope_, std::move(snapshotter));
}
DiffApi Client::diff() const {
    return DiffApi(scope_);
}
LeasesApi Client::leases() const {
    return LeasesApi(scope_);
}
ContainersApi Client::containers() const {
    return ContainersApi(scope_);
}
TasksApi Client::tasks() const {
    return TasksApi(scope_);
}
EventsApi Client::events() const {
    return EventsApi(scope_);
}

// ---- namespaces ----------------------------------------------------------

namespace {
Namespace fromProto(const v1::namespaces::Namespace& ns) {
    return Namespace{ns.name(), containerd::fromProto(ns.labels())};
}
} // namespace

Result<Namespace> NamespacesApi::create(const std::string& name, const Labels& labels) const {
    v1::namespaces::CreateNamespaceRequest req;
    req.mutable_namespace_()->set_name(name);
    toProto(labels, req.mutable_namespace_()->mutable_labels());
    TRY_ASSIGN(auto resp,
               unaryCall<v1::namespaces::CreateNamespaceResponse>(
                   scope_, fmt::format("creating namespace {}", name), [&](auto* ctx, auto* out) {
                       return scope_.conn->namespaces->Create(ctx, req, out);
                   }));
    return fromProto(resp.namespace_());
}

Result<Namespace> NamespacesApi::get(const std::string& name) const {
    // containerd answers Get for any name, known or not: look in the list.
    TRY_ASSIGN(auto all, list());
    bool known =
        std::any_of(all.begin(), all.end(), [&](const Namespace& ns) { return ns.name == name; });
    if (!known) {
        return fail(Code::NotFound, "getting namespace {}: namespace {} not found", name, name);
    }
    v1::namespaces::GetNamespaceRequest req;
    req.set_name(name);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::namespaces::GetNamespaceResponse>(
                   scope_, fmt::format("getting namespace {}", name), [&](auto* ctx, auto* out) {
                       return scope_.conn->namespaces->Get(ctx, req, out);
                   }));
    return fromProto(resp.namespace_());
}

Result<std::vector<Namespace>> NamespacesApi::list() const {
    v1::namespaces::ListNamespacesRequest req;
    TRY_ASSIGN(auto resp, unaryCall<v1::namespaces::ListNamespacesResponse>(
                              scope_, "listing namespaces", [&](auto* ctx, auto* out) {
                                  return scope_.conn->namespaces->List(ctx, req, out);
                              }));
    std::vector<Namespace> out;
    for (const auto& ns : resp.namespaces()) {
        out.push_back(fromProto(ns));
    }
    return out;
}

Result<Namespace> NamespacesApi::setLabels(const std::string& name, const Labels& labels) const {
    // containerd updates namespace labels one "labels.<key>" path at a time;
    // a path without a value removes the label.
    TRY_ASSIGN(auto current, get(name));
    v1::namespaces::UpdateNamespaceRequest req;
    req.mutable_namespace_()->set_name(name);
    toProto(labels, req.mutable_namespace_()->mutable_labels());
    for (const auto& [key, value] : labels) {
        req.mutable_update_mask()->add_paths("labels." + key);
    }
    for (const auto& [key, value] : current.labels) {
        if (!labels.count(key)) {
            req.mutable_update_mask()->add_paths("labels." + key);
        }
    }
    TRY_ASSIGN(auto resp,
               unaryCall<v1::namespaces::UpdateNamespaceResponse>(
                   scope_, fmt::format("updating namespace {}", name), [&](auto* ctx, auto* out) {
                       return scope_.conn->namespaces->Update(ctx, req, out);
                   }));
    return fromProto(resp.namespace_());
}

Result<void> NamespacesApi::remove(const std::string& name) const {
    v1::namespaces::DeleteNamespaceRequest req;
    req.set_name(name);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("deleting namespace {}", name),
        [&](auto* ctx, auto* out) { return scope_.conn->namespaces->Delete(ctx, req, out); }));
    return {};
}

} // namespace faasd::containerd
