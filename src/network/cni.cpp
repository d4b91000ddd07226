#include "network/cni.hpp"

#include "network/chain.hpp"
#include "network/logger.hpp"
#include "network/names.hpp"
#include "network/netns.hpp"

#include <algorithm>

namespace faasd::network {

using nlohmann::json;

namespace {

// The namespace an attach or check works in: it must exist, and it must not
// be ours (the bridge plugin would rename and address the host's eth0).
Result<void> usableNetns(const std::string& path) {
    if (path.empty()) {
        return fail(Code::InvalidArgument, "no network namespace given");
    }
    TRY(checkNetns(path));
    if (isOwnNetns(path)) {
        return fail(Code::InvalidArgument, "{} is the host's own network namespace", path);
    }
    return {};
}

Result<void> checkVersions(const PluginRunner& runner, const Conflist& list) {
    for (size_t i = 0; i < list.plugins.size(); ++i) {
        auto type = list.pluginType(i);
        TRY_ASSIGN(auto versions, runner.versions(type, list.cniVersion));
        if (std::find(versions.begin(), versions.end(), list.cniVersion) == versions.end()) {
            return fail(Code::FailedPrecondition,
                        "{} plugin does not support CNI {} (it speaks {})", type, list.cniVersion,
                        fmt::join(versions, ", "));
        }
    }
    return {};
}

} // namespace

Cni::Cni(NetworkConfig config, Conflist conflist)
    : config_(std::move(config)), conflist_(std::move(conflist)), target_(attachTarget(conflist_)),
      runner_(config_.pluginDirs, config_.pluginTimeout), cache_(config_.stateDir / conflist_.name),
      locks_(std::make_unique<IdLocks>()), chained_(std::make_unique<std::mutex>()) {
    if (config_.loopback) {
        loopback_ = loopbackConflist(conflist_.cniVersion);
    }
}

Result<Cni> Cni::load(NetworkConfig config) {
    auto path = config.conflistPath();
    TRY_ASSIGN(auto list, withContext(readConflist(path), "loading the CNI network"));
    return create(std::move(config), std::move(list));
}

Result<Cni> Cni::create(NetworkConfig config, Conflist conflist) {
    const auto context = fmt::format("loading CNI network {}", conflist.name);
    TRY(withContext(validateIfName(config.ifName), context));
    if (config.pluginTimeout.count() <= 0) {
        return fail(Code::InvalidArgument, "{}: the plugin timeout must be positive", context);
    }
    Cni cni(std::move(config), std::move(conflist));
    TRY(withContext(checkVersions(cni.runner_, cni.conflist_), context));
    if (cni.loopback_) {
        TRY(withContext(checkVersions(cni.runner_, *cni.loopback_), context));
    }
    return cni;
}

Invocation Cni::invocation(const std::string& id, const std::string& netns,
                           const std::string& ifName) const {
    return Invocation{.containerId = id, .netns = netns, .ifName = ifName};
}

Result<AttachResult> Cni::attach(const std::string& id, const std::string& netnsPath) {
    return withContext(runAttach(id, netnsPath), fmt::format("attaching {} to {}", id, target_));
}

Result<AttachResult> Cni::runAttach(const std::string& id, const std::string& netnsPath) {
    TRY(validateName("container id", id));
    TRY(usableNetns(netnsPath));
    auto guard = locks_->lock(id);
    TRY_ASSIGN(auto existing, cache_.load(id));
    if (existing) {
        return fail(Code::AlreadyExists, "already attached in {}; detach it first",
                    existing->netns);
    }
    CachedAttachment record{
        .id = id,
        .ifName = config_.ifName,
        .netns = netnsPath,
        .conflist = conflist_.toJson(),
        .result = json(),
    };
    // Written first: a crash from here on leaves a record to clean up by.
    TRY(cache_.save(record));

    json partial;
    auto attached = [&]() -> Result<AttachResult> {
        if (loopback_) {
            TRY(addChain(runner_, *loopback_, invocation(id, netnsPath, "lo")));
        }
        TRY_ASSIGN(auto result,
                   addChain(runner_, conflist_, invocation(id, netnsPath, config_.ifName), &partial,
                            chained_.get()));
        TRY_ASSIGN(auto out, makeAttachResult(id, netnsPath, config_.ifName, result));
        record.result = result;
        TRY(withContext(cache_.save(record), "saving the result"));
        return out;
    }();
    if (!attached) {
        if (auto undone = undo(record, partial); !undone) {
            kLog.error("undoing the half-made attachment of {}: {}", id, undone.error().message());
            return fail(attached.error().code(),
                        "{} (undoing it failed too, {} is left for recovery: {})",
                        attached.error().message(), id, undone.error().message());
        }
        return attached;
    }
    kLog.info("attached {} to {}: {}/{} in {}", id, target_, attached->ip, attached->prefixLength,
              netnsPath);
    return attached;
}

Result<void> Cni::undo(const CachedAttachment& record, const json& partial) {
    TRY(delChain(runner_, conflist_, invocation(record.id, record.netns, record.ifName), partial,
                 chained_.get()));
    if (loopback_) {
        TRY(delChain(runner_, *loopback_, invocation(record.id, record.netns, "lo"), json()));
    }
    return cache_.remove(record.id);
}

Result<void> Cni::detach(const std::string& id, const std::string& netnsPath) {
    return withContext(runDetach(id, netnsPath), fmt::format("detaching {} from {}", id, target_));
}

Result<void> Cni::runDetach(const std::string& id, const std::string& netnsPath) {
    TRY(validateName("container id", id));
    auto guard = locks_->lock(id);
    TRY_ASSIGN(auto record, cache_.load(id));
    Conflist list = conflist_;
    json cached;
    std::string netns = netnsPath;
    std::string ifName = config_.ifName;
    if (record) {
        if (auto cachedList = conflistFromJson(record->conflist)) {
            list = std::move(*cachedList);
        } else {
            // DEL is best effort: the current plugins still free the IP.
            kLog.warn("detaching {} with the current config; the cached one is unusable: {}", id,
                      cachedList.error().message());
        }
        cached = record->result;
        ifName = record->ifName.empty() ? ifName : record->ifName;
        if (netns.empty()) {
            netns = record->netns;
        }
    }
    if (!netns.empty()) {
        if (isOwnNetns(netns)) {
            return fail(Code::InvalidArgument, "{} is the host's own network namespace", netns);
        }
        if (auto usable = checkNetns(netns); !usable) {
            // Gone already: the plugins still release what lives outside it.
            kLog.debug("detaching {} without its namespace: {}", id, usable.error().message());
            netns.clear();
        }
    }
    TRY(delChain(runner_, list, invocation(id, netns, ifName), cached, chained_.get()));
    if (loopback_ && !netns.empty()) {
        TRY(delChain(runner_, *loopback_, invocation(id, netns, "lo"), json()));
    }
    TRY(cache_.remove(id));
    if (record) {
        kLog.info("detached {} from {}", id, target_);
    }
    return {};
}

Result<void> Cni::check(const std::string& id, const std::string& netnsPath) {
    return withContext(runCheck(id, netnsPath), fmt::format("checking {} on {}", id, target_));
}

Result<void> Cni::runCheck(const std::string& id, const std::string& netnsPath) {
    TRY(validateName("container id", id));
    auto guard = locks_->lock(id);
    TRY_ASSIGN(auto record, cache_.load(id));
    if (!record || !record->complete()) {
        return fail(Code::NotFound, "not attached");
    }
    const std::string netns = netnsPath.empty() ? record->netns : netnsPath;
    TRY(usableNetns(netns));
    TRY_ASSIGN(auto list, withContext(conflistFromJson(record->conflist), "cached config"));
    return checkChain(runner_, list, invocation(id, netns, record->ifName), record->result,
                      chained_.get());
}

Result<std::optional<AttachResult>> Cni::lookup(const std::string& id) const {
    TRY_ASSIGN(auto record, cache_.load(id));
    if (!record || !record->complete()) {
        return std::optional<AttachResult>();
    }
    TRY_ASSIGN(auto result, makeAttachResult(id, record->netns, record->ifName, record->result));
    return std::optional<AttachResult>(std::move(result));
}

Result<std::vector<Attachment>> Cni::attachments() const {
    TRY_ASSIGN(auto records, cache_.list());
    std::vector<Attachment> out;
    for (const auto& record : records) {
        Attachment a{.id = record.id, .netns = record.netns};
        if (record.complete()) {
            if (auto result =
                    makeAttachResult(record.id, record.netns, record.ifName, record.result)) {
                a.ip = result->ip;
                a.complete = true;
            }
        }
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace faasd::network
