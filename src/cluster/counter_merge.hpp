#pragma once

// The other nodes' invocation counters folded into one table that only
// grows, for the elected node's scaler (cluster_counters.hpp). Each node's
// gateway counts from its own start, so its totals are not added as they
// are: what is added is what each node counted since its previous answer.
//
// The rule, per node:
//   - its first answer, or its first after more than forgetAfter without
//     one (this node just elected, a node back after a long absence), is
//     only a baseline: what it counted before adds nothing, so a leader
//     change or a gap is not read as a burst of calls;
//   - after that, per function, the differences from its previous answer
//     are added; when any counter of a function went down (the node's
//     gateway restarted, or the function was deployed again), all it
//     counts now is new and is added whole; a function new in its answer
//     is added whole too;
//   - its calls in flight count from its latest answer while it is in the
//     cluster and that answer is not older than forgetAfter;
//   - a node that leaves adds nothing more; what it added stays.
// Hence started, completed and byCode of the result never go down (given
// the local counters' do not). A node's calls between a restart and its
// first answer after it are missed when its totals by then have not
// reached those of its previous answer: undercounted, never twice.
//
// Pure bookkeeping, not thread-safe: ClusterCounters holds its lock.

#include "api/function_ref.hpp"
#include "common/error.hpp"
#include "ports/invocation_counters.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace faasd::cluster {

using CounterTable = std::map<api::FunctionRef, gateway::InvocationSnapshot>;

class CounterMerge {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit CounterMerge(std::chrono::milliseconds forgetAfter) : forgetAfter_(forgetAfter) {}

    // A node's answer (its gateway's own counters), read at now.
    void observe(const std::string& node, const CounterTable& answer, TimePoint now);
    // The other nodes in the cluster now: the rest stop counting in
    // flight; a gone node's previous answer is dropped after forgetAfter.
    void retain(const std::set<std::string>& live, TimePoint now);

    // The local counters plus what the other nodes added, and their calls
    // in flight. replicas is the local one's.
    CounterTable merged(const CounterTable& local, TimePoint now) const;
    std::optional<gateway::InvocationSnapshot>
    merged(api::FunctionRefView function, std::optional<gateway::InvocationSnapshot> local,
           TimePoint now) const;

private:
    struct Node {
        CounterTable last; // its latest answer
        TimePoint at{};    // when it came
        bool live = true;
    };
    // Whether node's latest answer still counts in flight at now.
    bool counts(const Node& node, TimePoint now) const;

    const std::chrono::milliseconds forgetAfter_;
    std::map<std::string, Node> nodes_;
    CounterTable added_; // per function, what the other nodes counted (no gauges)
};

// The JSON of GET /system/function-counters (docs/API.md).
Result<CounterTable> parseFunctionCounters(std::string_view json);

} // namespace faasd::cluster
