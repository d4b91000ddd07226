#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

#include <ctime>

namespace faasd::containerd {
namespace {

Lease fromProto(const v1::leases::Lease& l) {
    return Lease{l.id(), containerd::fromProto(l.created_at()), containerd::fromProto(l.labels())};
}

std::string rfc3339(std::chrono::system_clock::time_point tp) {
    std::time_t t = std::chrono::system_clock::to_time_t(tp);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

Result<Lease> LeasesApi::create(const std::string& id, const Labels& labels,
                                std::optional<std::chrono::seconds> expire) const {
    v1::leases::CreateRequest req;
    req.set_id(id);
    Labels all = labels;
    if (expire) {
        all["containerd.io/gc.expire"] = rfc3339(std::chrono::system_clock::now() + *expire);
    }
    toProto(all, req.mutable_labels());
    TRY_ASSIGN(auto resp,
               unaryCall<v1::leases::CreateResponse>(
                   scope_, fmt::format("creating lease {}", id), [&](auto* ctx, auto* out) {
                       return scope_.conn->leases->Create(ctx, req, out);
                   }));
    return fromProto(resp.lease());
}

Result<void> LeasesApi::remove(const std::string& id, bool sync) const {
    v1::leases::DeleteRequest req;
    req.set_id(id);
    req.set_sync(sync);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("deleting lease {}", id),
        [&](auto* ctx, auto* out) { return scope_.conn->leases->Delete(ctx, req, out); }));
    return {};
}

Result<std::vector<Lease>> LeasesApi::list(const std::vector<std::string>& filters) const {
    v1::leases::ListRequest req;
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    TRY_ASSIGN(auto resp, unaryCall<v1::leases::ListResponse>(
                              scope_, "listing leases", [&](auto* ctx, auto* out) {
                                  return scope_.conn->leases->List(ctx, req, out);
                              }));
    std::vector<Lease> out;
    for (const auto& l : resp.leases()) {
        out.push_back(fromProto(l));
    }
    return out;
}

Result<void> LeasesApi::addResource(const std::string& id, const LeaseResource& resource) const {
    v1::leases::AddResourceRequest req;
    req.set_id(id);
    req.mutable_resource()->set_id(resource.id);
    req.mutable_resource()->set_type(resource.type);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("adding {} {} to lease {}", resource.type, resource.id, id),
        [&](auto* ctx, auto* out) { return scope_.conn->leases->AddResource(ctx, req, out); }));
    return {};
}

Result<std::vector<LeaseResource>> LeasesApi::resources(const std::string& id) const {
    v1::leases::ListResourcesRequest req;
    req.set_id(id);
    TRY_ASSIGN(auto resp, unaryCall<v1::leases::ListResourcesResponse>(
                              scope_, fmt::format("listing resources of lease {}", id),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->leases->ListResources(ctx, req, out);
                              }));
    std::vector<LeaseResource> out;
    for (const auto& r : resp.resources()) {
        out.push_back({r.id(), r.type()});
    }
    return out;
}

} // namespace faasd::containerd
