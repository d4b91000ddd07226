// GET /system/cluster: the cluster's nodes, leases, leader and replicas per
// node (docs/API.md). On one VM: 404.

#include "gateway/services.hpp"

namespace faasd::gateway {

namespace {

Result<Response> clusterStatus(const Services& s, const Request&) {
    if (s.cluster == nullptr) {
        return fail(Code::NotFound, "this faasd is not part of a cluster (FAASD_CLUSTER_ETCD)");
    }
    TRY_ASSIGN(auto json, s.cluster->statusJson());
    return Response::json(200, std::move(json));
}

} // namespace

void addClusterRoutes(Router& router, const Services& s) {
    router.add({"/system/cluster", {"GET"}, true, RouteKind::Blocking, wrap(s, clusterStatus)});
}

} // namespace faasd::gateway
