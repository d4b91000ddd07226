#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

namespace faasd::containerd {
namespace {

std::vector<Mount>
mountsOf(const google::protobuf::RepeatedPtrField<::containerd::types::Mount>& ms) {
    std::vector<Mount> out;
    for (const auto& m : ms) {
        out.push_back(containerd::fromProto(m));
    }
    return out;
}

SnapshotInfo fromProto(const v1::snapshots::Info& info) {
    SnapshotKind kind = SnapshotKind::Unknown;
    switch (info.kind()) {
    case v1::snapshots::VIEW:
        kind = SnapshotKind::View;
        break;
    case v1::snapshots::ACTIVE:
        kind = SnapshotKind::Active;
        break;
    case v1::snapshots::COMMITTED:
        kind = SnapshotKind::Committed;
        break;
    default:
        break;
    }
    return SnapshotInfo{info.name(),
                        info.parent(),
                        kind,
                        containerd::fromProto(info.created_at()),
                        containerd::fromProto(info.updated_at()),
                        containerd::fromProto(info.labels())};
}

} // namespace

Result<std::vector<Mount>> SnapshotsApi::prepare(const std::string& key, const std::string& parent,
                                                 const Labels& labels) const {
    v1::snapshots::PrepareSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_key(key);
    req.set_parent(parent);
    toProto(labels, req.mutable_labels());
    TRY_ASSIGN(auto resp,
               unaryCall<v1::snapshots::PrepareSnapshotResponse>(
                   scope_, fmt::format("preparing snapshot {}", key), [&](auto* ctx, auto* out) {
                       return scope_.conn->snapshots->Prepare(ctx, req, out);
                   }));
    return mountsOf(resp.mounts());
}

Result<std::vector<Mount>> SnapshotsApi::view(const std::string& key, const std::string& parent,
                                              const Labels& labels) const {
    v1::snapshots::ViewSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_key(key);
    req.set_parent(parent);
    toProto(labels, req.mutable_labels());
    TRY_ASSIGN(auto resp, unaryCall<v1::snapshots::ViewSnapshotResponse>(
                              scope_, fmt::format("creating view snapshot {}", key),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->snapshots->View(ctx, req, out);
                              }));
    return mountsOf(resp.mounts());
}

Result<std::vector<Mount>> SnapshotsApi::mounts(const std::string& key) const {
    v1::snapshots::MountsRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_key(key);
    TRY_ASSIGN(auto resp, unaryCall<v1::snapshots::MountsResponse>(
                              scope_, fmt::format("getting mounts of snapshot {}", key),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->snapshots->Mounts(ctx, req, out);
                              }));
    return mountsOf(resp.mounts());
}

Result<void> SnapshotsApi::commit(const std::string& name, const std::string& key,
                                  const Labels& labels) const {
    v1::snapshots::CommitSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_name(name);
    req.set_key(key);
    toProto(labels, req.mutable_labels());
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("committing snapshot {} as {}", key, name),
        [&](auto* ctx, auto* out) { return scope_.conn->snapshots->Commit(ctx, req, out); }));
    return {};
}

Result<void> SnapshotsApi::remove(const std::string& key) const {
    v1::snapshots::RemoveSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_key(key);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("removing snapshot {}", key),
        [&](auto* ctx, auto* out) { return scope_.conn->snapshots->Remove(ctx, req, out); }));
    return {};
}

Result<SnapshotInfo> SnapshotsApi::stat(const std::string& key) const {
    v1::snapshots::StatSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_key(key);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::snapshots::StatSnapshotResponse>(
                   scope_, fmt::format("getting snapshot {}", key), [&](auto* ctx, auto* out) {
                       return scope_.conn->snapshots->Stat(ctx, req, out);
                   }));
    return fromProto(resp.info());
}

Result<std::vector<SnapshotInfo>>
SnapshotsApi::list(const std::vector<std::string>& filters) const {
    v1::snapshots::ListSnapshotsRequest req;
    req.set_snapshotter(snapshotter_);
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    grpc::ClientContext ctx;
    prepareContext(ctx, scope_, scope_.timeout);
    auto reader = scope_.conn->snapshots->List(&ctx, req);
    std::vector<SnapshotInfo> out;
    v1::snapshots::ListSnapshotsResponse resp;
    while (reader->Read(&resp)) {
        for (const auto& info : resp.info()) {
            out.push_back(fromProto(info));
        }
    }
    auto status = reader->Finish();
    if (!status.ok()) {
        return fail(toError(status, "listing snapshots", scope_.conn->socket));
    }
    return out;
}

Result<Descriptor> DiffApi::apply(const Descriptor& layer, const std::vector<Mount>& mounts) const {
    v1::diff::ApplyRequest req;
    toProto(layer, req.mutable_diff());
    for (const auto& m : mounts) {
        toProto(m, req.add_mounts());
    }
    CallScope scope = scope_;
    scope.timeout = scope_.streamTimeout; // unpacking a large layer takes a while
    TRY_ASSIGN(auto resp,
               unaryCall<v1::diff::ApplyResponse>(
                   scope, fmt::format("applying layer {}", layer.digest),
                   [&](auto* ctx, auto* out) { return scope_.conn->diff->Apply(ctx, req, out); }));
    return fromProto(resp.applied());
}

} // namespace faasd::containerd
