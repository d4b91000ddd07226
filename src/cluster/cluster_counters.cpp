#include "cluster/cluster_counters.hpp"

#include "cluster/cluster.hpp"
#include "cluster/logger.hpp"

#include <future>
#include <httplib.h>
#include <set>

namespace faasd::cluster {

std::vector<Peer> peersOf(const Snapshot& s, const std::string& self) {
    std::vector<Peer> out;
    for (const auto& [name, node] : s.nodes) {
        if (name != self && !node.address.empty()) {
            out.push_back({.node = name, .host = node.address, .port = node.gatewayPort});
        }
    }
    return out;
}

std::function<std::vector<Peer>()> peersOf(const Cluster& cluster) {
    return [&cluster] { return peersOf(*cluster.state().snapshot(), cluster.nodeName()); };
}

ClusterCounters::ClusterCounters(const gateway::InvocationCounters& local, Peers peers,
                                 ClusterCountersConfig config, Fetch fetch, Now now)
    : local_(local), peers_(std::move(peers)), config_(std::move(config)), fetch_(std::move(fetch)),
      now_(std::move(now)), merge_(config_.forgetAfter) {
    if (!fetch_) {
        fetch_ = [this](const Peer& peer) { return fetchOverHttp(peer, config_); };
    }
    if (!now_) {
        now_ = [] { return std::chrono::steady_clock::now(); };
    }
}

Result<CounterTable> ClusterCounters::fetchOverHttp(const Peer& peer,
                                                    const ClusterCountersConfig& config) {
    httplib::Client client(peer.host, peer.port);
    const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(config.timeout);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    client.set_basic_auth(config.user, config.password);
    auto res = client.Get("/system/function-counters");
    if (!res) {
        return fail(Code::Unavailable, "{}:{}: {}", peer.host, peer.port,
                    httplib::to_string(res.error()));
    }
    if (res->status != 200) {
        return fail(Code::Unavailable, "{}:{}: status {}", peer.host, peer.port, res->status);
    }
    return withContext(parseFunctionCounters(res->body),
                       fmt::format("{}:{}", peer.host, peer.port));
}

void ClusterCounters::refresh(std::chrono::steady_clock::time_point now) const {
    if (askedAt_ && now - *askedAt_ < config_.refresh) {
        return;
    }
    const std::vector<Peer> peers = peers_();
    std::vector<std::future<Result<CounterTable>>> answers;
    answers.reserve(peers.size());
    for (const auto& peer : peers) {
        answers.push_back(std::async(std::launch::async, fetch_, peer));
    }
    std::set<std::string> live;
    for (size_t i = 0; i < peers.size(); ++i) {
        const std::string& node = peers[i].node;
        live.insert(node);
        auto answer = answers[i].get();
        if (!answer) {
            const std::string& why = answer.error().message();
            auto [it, first] = failing_.try_emplace(node, why);
            if (first) {
                kLog.warn("node {}: no invocation counters, skipped until it answers: {}", node,
                          why);
            } else {
                kLog.debug("node {}: no invocation counters: {}", node, why);
            }
            continue;
        }
        if (failing_.erase(node) > 0) {
            kLog.info("node {}: invocation counters answer again", node);
        }
        merge_.observe(node, *answer, now);
    }
    std::erase_if(failing_, [&](const auto& entry) { return !live.contains(entry.first); });
    merge_.retain(live, now);
    askedAt_ = now;
}

std::map<api::FunctionRef, ClusterCounters::Snapshot> ClusterCounters::all() const {
    std::lock_guard lock(mu_);
    const auto now = now_();
    refresh(now);
    return merge_.merged(local_.all(), now);
}

std::optional<ClusterCounters::Snapshot> ClusterCounters::get(api::FunctionRefView function) const {
    std::lock_guard lock(mu_);
    const auto now = now_();
    refresh(now);
    return merge_.merged(function, local_.get(function), now);
}

} // namespace faasd::cluster
