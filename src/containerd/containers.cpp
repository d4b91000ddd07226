#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

namespace faasd::containerd {
namespace {

Container fromProto(const v1::containers::Container& c) {
    Container out;
    out.id = c.id();
    out.labels = containerd::fromProto(c.labels());
    out.image = c.image();
    out.runtime = c.runtime().name();
    out.spec = c.spec().value();
    out.snapshotter = c.snapshotter();
    out.snapshotKey = c.snapshot_key();
    out.createdAt = containerd::fromProto(c.created_at());
    out.updatedAt = containerd::fromProto(c.updated_at());
    return out;
}

void toProto(const Container& c, v1::containers::Container* out) {
    out->set_id(c.id);
    containerd::toProto(c.labels, out->mutable_labels());
    out->set_image(c.image);
    out->mutable_runtime()->set_name(c.runtime);
    if (!c.spec.empty()) {
        out->mutable_spec()->set_type_url(kSpecTypeUrl);
        out->mutable_spec()->set_value(c.spec);
    }
    out->set_snapshotter(c.snapshotter);
    out->set_snapshot_key(c.snapshotKey);
}

} // namespace

Result<Container> ContainersApi::create(const Container& container) const {
    if (container.id.empty()) {
        return fail(Code::InvalidArgument, "creating a container: empty id");
    }
    v1::containers::CreateContainerRequest req;
    toProto(container, req.mutable_container());
    TRY_ASSIGN(auto resp, unaryCall<v1::containers::CreateContainerResponse>(
                              scope_, fmt::format("creating container {}", container.id),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->containers->Create(ctx, req, out);
                              }));
    return fromProto(resp.container());
}

Result<Container> ContainersApi::get(const std::string& id) const {
    v1::containers::GetContainerRequest req;
    req.set_id(id);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::containers::GetContainerResponse>(
                   scope_, fmt::format("getting container {}", id), [&](auto* ctx, auto* out) {
                       return scope_.conn->containers->Get(ctx, req, out);
                   }));
    return fromProto(resp.container());
}

Result<std::vector<Container>> ContainersApi::list(const std::vector<std::string>& filters) const {
    v1::containers::ListContainersRequest req;
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    TRY_ASSIGN(auto resp, unaryCall<v1::containers::ListContainersResponse>(
                              scope_, "listing containers", [&](auto* ctx, auto* out) {
                                  return scope_.conn->containers->List(ctx, req, out);
                              }));
    std::vector<Container> out;
    for (const auto& c : resp.containers()) {
        out.push_back(fromProto(c));
    }
    return out;
}

Result<Container> ContainersApi::update(const Container& container,
                                        const std::vector<std::string>& fields) const {
    v1::containers::UpdateContainerRequest req;
    toProto(container, req.mutable_container());
    for (const auto& f : fields) {
        req.mutable_update_mask()->add_paths(f);
    }
    TRY_ASSIGN(auto resp, unaryCall<v1::containers::UpdateContainerResponse>(
                              scope_, fmt::format("updating container {}", container.id),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->containers->Update(ctx, req, out);
                              }));
    return fromProto(resp.container());
}

Result<void> ContainersApi::remove(const std::string& id) const {
    v1::containers::DeleteContainerRequest req;
    req.set_id(id);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("deleting container {}", id),
        [&](auto* ctx, auto* out) { return scope_.conn->containers->Delete(ctx, req, out); }));
    return {};
}

} // namespace faasd::containerd
