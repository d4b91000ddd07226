#pragma once

// Gives a network namespace its place on the function network: runs the
// conflist's plugins (and loopback for "lo") for ADD, DEL and CHECK on a
// netns path, and remembers every attachment on disk so it can be checked,
// listed and deleted after a restart or a crash. Knows nothing of
// containers: callers bring a netns path and an id.
//
// Thread-safe: calls for different ids run at once (host-local IPAM locks
// its own data dir); calls for the same id run one after another, and so
// do the chained plugins (firewall) of all ids, which race otherwise.

#include "common/error.hpp"
#include "network/cni_result.hpp"
#include "network/conflist.hpp"
#include "network/id_locks.hpp"
#include "network/network_config.hpp"
#include "network/plugin.hpp"
#include "network/result_cache.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace faasd::network {

// An attachment found in the cache.
struct Attachment {
    std::string id;
    std::string netns;
    std::string ip;        // empty when incomplete
    bool complete = false; // false: ADD never finished (a crash mid-attach)
};

class Cni {
public:
    // Reads the conflist at config.conflistPath() and checks that every
    // plugin it names is installed and speaks its cniVersion.
    static Result<Cni> load(NetworkConfig config);
    // The same with a conflist the caller holds.
    static Result<Cni> create(NetworkConfig config, Conflist conflist);

    // Ids follow CNI's container id rule (letters, digits, '_', '.', '-';
    // starting with a letter or digit): they name files in the state dir.
    //
    // ADD: attaches id to the network inside netnsPath, which must be an
    // existing network namespace other than ours. A failure part-way is
    // undone (DEL) before the error is returned. Code::AlreadyExists when
    // id is attached already.
    Result<AttachResult> attach(const std::string& id, const std::string& netnsPath);

    // DEL: detaches id with the conflist and result cached at attach time
    // (the current conflist if none is cached), then forgets it. Succeeds
    // for an id that is not attached. netnsPath defaults to the cached
    // one; a namespace that is gone is fine (plugins still release the
    // IP), but delete the namespace only after detaching: the bridge
    // plugin finds its masquerade rules through the interface inside it.
    Result<void> detach(const std::string& id, const std::string& netnsPath = {});

    // CHECK: asks every plugin whether id's attachment is still as made.
    // Code::NotFound when id is not attached.
    Result<void> check(const std::string& id, const std::string& netnsPath = {});

    // The cached result for id, or nullopt when it is not (fully) attached.
    Result<std::optional<AttachResult>> lookup(const std::string& id) const;

    // Every cached attachment, sorted by id: after a crash, the ones no
    // replica owns are leaks to detach.
    Result<std::vector<Attachment>> attachments() const;

    const NetworkConfig& config() const { return config_; }
    const Conflist& conflist() const { return conflist_; }

private:
    Cni(NetworkConfig config, Conflist conflist);

    Result<AttachResult> runAttach(const std::string& id, const std::string& netnsPath);
    Result<void> runDetach(const std::string& id, const std::string& netnsPath);
    Result<void> runCheck(const std::string& id, const std::string& netnsPath);
    // DEL for a record whose ADD failed; forgets it when that works.
    Result<void> undo(const CachedAttachment& record, const nlohmann::json& partial);
    Invocation invocation(const std::string& id, const std::string& netns,
                          const std::string& ifName) const;

    NetworkConfig config_;
    Conflist conflist_;
    std::optional<Conflist> loopback_;
    std::string target_; // what messages say ids are attached to
    PluginRunner runner_;
    ResultCache cache_;
    std::unique_ptr<IdLocks> locks_;
    // Held while chained plugins run (see chain.hpp).
    std::unique_ptr<std::mutex> chained_;
};

} // namespace faasd::network
