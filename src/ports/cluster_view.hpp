#pragma once

// GET /system/cluster: the nodes of a cluster, their leases, the leader
// and the replicas on each node. Implemented by the cluster; on one VM
// there is none and the route answers 404.

#include "common/error.hpp"

#include <string>

namespace faasd::gateway {

class ClusterView {
public:
    virtual ~ClusterView() = default;
    // The status as a JSON object; Unavailable when etcd does not answer.
    virtual Result<std::string> statusJson() = 0;
};

} // namespace faasd::gateway
