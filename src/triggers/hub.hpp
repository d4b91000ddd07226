#pragma once

// The triggers' hub: the gateway's FunctionTriggers and the sources'
// Delivery. It checks trigger annotations at deploy, keeps every source in
// step with the functions deployed (re-read from the provider after each
// change and every `resync`), and starts runs: an async run is a request in
// the durable queue (its X-Call-Id the run's), a sync run a call made by
// one of a few workers.
//
//   Hub hub(config, provider, queue, syncCall);  // before the queue starts
//   hub.add(std::make_unique<CronSource>(cronConfig, hub));
//   hub.start();   // reads the functions, starts the sources
//   gateway.setFunctionTriggers(&hub);
//   ...
//   hub.stop();

#include "ports/async_queue.hpp"
#include "ports/function_triggers.hpp"
#include "provider/provider.hpp"
#include "triggers/source.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace faasd::triggers {

// Makes a sync run's call and returns how it ended (status 0 when the
// function was not reached). Called from the hub's workers.
using SyncCall = std::function<RunEnd(const Fire& fire, const std::string& callId)>;

struct HubConfig {
    // The namespaces whose functions may have triggers; empty: all. A trigger
    // annotation in another namespace is refused at deploy.
    std::vector<std::string> namespaces;
    // Named in the error that refuses an MQTT topic without a broker.
    bool mqttBroker = false;
    std::chrono::milliseconds resync{5'000};
    unsigned syncWorkers = 4;    // sync runs at once
    size_t maxSyncBacklog = 256; // sync runs waiting for a worker; more fail
};

class Hub : public gateway::FunctionTriggers, public Delivery {
public:
    // queue: null when the daemon runs without one (every run is sync).
    // Sets the queue's finished listener.
    Hub(HubConfig config, provider::Provider& provider, gateway::AsyncQueue* queue,
        SyncCall syncCall);
    ~Hub() override;
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // Before start().
    void add(std::unique_ptr<Source> source);

    // Syncs the sources with the functions deployed, then starts them, the
    // sync workers and the resync thread.
    void start();
    // Stops the sources first (no more runs), then the workers (running
    // sync calls end first). Idempotent.
    void stop();

    Result<void> check(const api::FunctionDeployment& deployment) override;
    // Syncs before it returns, so a deploy's triggers are listed (and
    // scheduled) when the deploy answers; the resync thread tries again
    // when the functions cannot be listed.
    void deployed(const api::FunctionDeployment& deployment) override;
    void removed(const std::string& name, const std::string& ns) override;
    std::vector<gateway::TriggerInfo> list(const std::string& ns) override;

    Result<std::string> deliver(Fire fire, RunEnded ended) override;

    // faasd_trigger_* series: per trigger runs, skips, misses and failures,
    // then each source's own.
    std::string prometheusText() const;

private:
    bool serves(const std::string& ns) const;
    // Lists every served namespace's functions and syncs the sources; false
    // (and nothing synced) when any listing fails. One at a time, so an
    // older list is never applied over a newer one.
    bool resync();
    void resyncLoop();
    void syncWorker();
    void finished(const gateway::AsyncFinished& done);

    HubConfig config_;
    provider::Provider& provider_;
    gateway::AsyncQueue* queue_;
    SyncCall syncCall_;
    std::vector<std::unique_ptr<Source>> sources_;

    std::mutex resyncMutex_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool changed_ = false;                    // a deploy or an update: resync now
    std::map<std::string, RunEnded> pending_; // async runs by call id
    struct SyncRun {
        Fire fire;
        std::string callId;
        RunEnded ended;
    };
    std::deque<SyncRun> syncRuns_;
    std::condition_variable syncCv_;
    std::thread resyncThread_;
    std::vector<std::thread> workers_;
};

} // namespace faasd::triggers
