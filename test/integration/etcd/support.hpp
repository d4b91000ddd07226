#pragma once

// Shared by the etcd integration tests: a cluster and a client on it, and
// a recorder of what a watch delivers.

#include "catch_result.hpp"
#include "etcd/client.hpp"
#include "etcd_cluster.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <mutex>

namespace faasd::etcd::testing {

using namespace std::chrono_literals;

inline std::unique_ptr<Client> connectTo(std::vector<std::string> endpoints) {
    auto client = Client::connect({.endpoints = std::move(endpoints)});
    REQUIRE(client);
    return std::move(*client);
}

// A cluster of `size` members and a client of all of them.
struct Cluster {
    explicit Cluster(size_t size = 1) {
        auto started = faasd::testing::EtcdCluster::start(size);
        REQUIRE(started);
        etcd = std::move(*started);
        client = connectTo(etcd->clientUrls());
    }
    std::unique_ptr<faasd::testing::EtcdCluster> etcd;
    std::unique_ptr<Client> client;
};

// What a watch delivered, in order; thread-safe.
class Recorder {
public:
    WatchHandlers handlers() {
        return WatchHandlers{
            .events =
                [this](const std::vector<Event>& events, int64_t revision) {
                    std::lock_guard lock(mu_);
                    for (const auto& e : events) {
                        // Catch's assertions are for the test's thread.
                        outOfBatch_ = outOfBatch_ || e.kv.modRevision > revision;
                        events_.push_back(e);
                    }
                },
            .reset =
                [this](int64_t revision) {
                    std::lock_guard lock(mu_);
                    resets_.push_back(revision);
                },
        };
    }

    std::vector<Event> events() const {
        std::lock_guard lock(mu_);
        return events_;
    }
    std::vector<int64_t> resets() const {
        std::lock_guard lock(mu_);
        return resets_;
    }
    // Whether an event came with a batch revision below its own.
    bool outOfBatch() const {
        std::lock_guard lock(mu_);
        return outOfBatch_;
    }
    size_t count() const {
        std::lock_guard lock(mu_);
        return events_.size();
    }
    // Waits until an event for key has come.
    bool waitFor(const std::string& key, std::chrono::milliseconds timeout = 10s) const {
        return waitUntil(
            [&] {
                std::lock_guard lock(mu_);
                for (const auto& e : events_) {
                    if (e.kv.key == key) {
                        return true;
                    }
                }
                return false;
            },
            timeout);
    }
    std::vector<std::string> keys() const {
        std::lock_guard lock(mu_);
        std::vector<std::string> out;
        for (const auto& e : events_) {
            out.push_back(e.kv.key);
        }
        return out;
    }

private:
    mutable std::mutex mu_;
    std::vector<Event> events_;
    bool outOfBatch_ = false;
    std::vector<int64_t> resets_;
};

} // namespace faasd::etcd::testing
