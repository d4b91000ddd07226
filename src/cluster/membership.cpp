#include "cluster/membership.hpp"

#include "cluster/logger.hpp"
#include "common/meminfo.hpp"

#include <thread>

namespace faasd::cluster {

namespace {

bool nameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

} // namespace

Result<void> validateNodeName(std::string_view name) {
    if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back()) ||
        !std::all_of(name.begin(), name.end(), nameChar)) {
        return fail(Code::InvalidArgument,
                    "cluster: node name \"{}\" must be 1 to 63 of a-z, 0-9, '-' and '.', "
                    "starting and ending with a letter or digit (FAASD_CLUSTER_NODE)",
                    name);
    }
    return {};
}

Result<std::unique_ptr<Membership>> Membership::join(etcd::Client& etcd, const Keys& keys,
                                                     MembershipConfig config) {
    TRY(validateNodeName(config.name));
    std::unique_ptr<Membership> m(new Membership(etcd, keys, std::move(config)));
    TRY(m->registerOnce());
    m->thread_ = std::thread([self = m.get()] { self->run(); });
    return m;
}

Membership::~Membership() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    keeper_.reset(); // revokes: the node's keys go at once
}

void Membership::abandon() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    if (keeper_) {
        keeper_->abandon();
    }
}

NodeRecord Membership::record() const {
    NodeRecord r{.name = config_.name,
                 .address = config_.address,
                 .gatewayPort = config_.gatewayPort,
                 .subnet = config_.subnet,
                 .cpus = std::max(1u, std::thread::hardware_concurrency()),
                 .startedAt = startedAt_};
    if (auto mem = readMeminfo()) {
        r.memoryBytes = mem->totalBytes;
        r.freeMemoryBytes = mem->availableBytes;
    }
    return r;
}

Result<void> Membership::registerOnce() {
    const auto nodeKey = keys_.node(config_.name);
    const auto subnetKey = keys_.subnet(config_.subnet);
    TRY_ASSIGN(auto existing, etcd_.get(nodeKey));
    if (existing) {
        auto old = parseNodeRecord(existing->value);
        if (old && old->address != config_.address) {
            return fail(Code::FailedPrecondition,
                        "cluster: node name {} is in use by the node at {}; give this one "
                        "another name (FAASD_CLUSTER_NODE)",
                        config_.name, old->address);
        }
        // Ourselves before a restart: its lease goes, and all it published.
        if (existing->lease != 0) {
            if (auto revoked = etcd_.revokeLease(existing->lease);
                !revoked && revoked.error().code() != Code::NotFound) {
                return fail(revoked.error());
            }
        }
    }
    TRY_ASSIGN(auto subnetOwner, etcd_.get(subnetKey));
    if (subnetOwner && subnetOwner->value != config_.name) {
        return fail(Code::FailedPrecondition,
                    "cluster: function subnet {} is node {}'s; give each node its own "
                    "(FAASD_CNI_SUBNET)",
                    config_.subnet, subnetOwner->value);
    }
    lost_ = false;
    TRY_ASSIGN(keeper_, etcd::LeaseKeeper::start(etcd_, config_.leaseTtl, [this] {
                   lost_ = true;
                   wake_.notify_all();
               }));
    const auto lease = keeper_->id();
    const auto rec = record();
    TRY_ASSIGN(auto txn, etcd_.txn({etcd::Compare::missing(nodeKey)},
                                   {etcd::Operation::put(nodeKey, toJson(rec), lease),
                                    etcd::Operation::put(subnetKey, config_.name, lease)}));
    if (!txn.succeeded) {
        keeper_.reset();
        return fail(Code::AlreadyExists,
                    "cluster: node {} registered at the same time by another process",
                    config_.name);
    }
    publishedFree_ = rec.freeMemoryBytes;
    lease_ = lease;
    generation_++;
    registered_ = true;
    kLog.info("node {} joined the cluster (lease {:x}, subnet {}, address {})", config_.name, lease,
              config_.subnet, config_.address);
    return {};
}

void Membership::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto wait = lost_ ? std::chrono::seconds(1) : config_.refresh;
        wake_.wait_for(lock, wait, [&] { return stopping_ || lost_.load(); });
        if (stopping_) {
            break;
        }
        lock.unlock();
        if (lost_) {
            if (registered_.exchange(false)) {
                kLog.error("node {} lost its lease: etcd unreachable for longer than {} s",
                           config_.name, config_.leaseTtl.count());
            }
            if (auto joined = registerOnce(); !joined) {
                kLog.warn("joining again: {}", joined.error().message());
                lock.lock();
                wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
                continue;
            }
        } else {
            auto rec = record();
            const auto diff = rec.freeMemoryBytes > publishedFree_
                                  ? rec.freeMemoryBytes - publishedFree_
                                  : publishedFree_ - rec.freeMemoryBytes;
            if (diff * 20 > rec.memoryBytes) { // 5% of the host
                if (etcd_.put(keys_.node(config_.name), toJson(rec), lease_.load())) {
                    publishedFree_ = rec.freeMemoryBytes;
                }
            }
        }
        lock.lock();
    }
}

} // namespace faasd::cluster
