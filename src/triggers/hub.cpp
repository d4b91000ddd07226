#include "triggers/hub.hpp"

#include "common/random.hpp"
#include "common/strings.hpp"
#include "triggers/logger.hpp"
#include "triggers/topics.hpp"
#include "triggers/trigger.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace faasd::triggers {

Hub::Hub(HubConfig config, provider::Provider& provider, gateway::AsyncQueue* queue,
         SyncCall syncCall)
    : config_(std::move(config)), provider_(provider), queue_(queue),
      syncCall_(std::move(syncCall)) {
    if (queue_) {
        queue_->setFinishedListener([this](const gateway::AsyncFinished& f) { finished(f); });
    }
}

Hub::~Hub() {
    stop();
}

void Hub::add(std::unique_ptr<Source> source) {
    sources_.push_back(std::move(source));
}

bool Hub::serves(const std::string& ns) const {
    return config_.namespaces.empty() ||
           std::find(config_.namespaces.begin(), config_.namespaces.end(), ns) !=
               config_.namespaces.end();
}

void Hub::start() {
    if (!resync()) {
        kLog.warn("the functions could not be listed; their triggers start once they can");
    }
    for (auto& source : sources_) {
        source->start();
    }
    std::lock_guard lock(mutex_);
    for (unsigned i = 0; i < std::max(1u, config_.syncWorkers); ++i) {
        workers_.emplace_back([this] { syncWorker(); });
    }
    resyncThread_ = std::thread([this] { resyncLoop(); });
}

void Hub::stop() {
    for (auto& source : sources_) {
        source->stop();
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        syncRuns_.clear();
    }
    cv_.notify_all();
    syncCv_.notify_all();
    if (resyncThread_.joinable()) {
        resyncThread_.join();
    }
    for (auto& w : workers_) {
        w.join();
    }
    workers_.clear();
}

Result<void> Hub::check(const api::FunctionDeployment& d) {
    bool any = false;
    for (const auto& source : sources_) {
        TRY_ASSIGN(bool has, source->check(d.annotations));
        any = any || has;
    }
    // Without a broker there is no MQTT source to refuse its topics.
    TRY_ASSIGN(auto topics, mqttTopics(d.annotations));
    TRY(syncMode(d.annotations));
    if (!topics.empty() && !config_.mqttBroker) {
        return fail(Code::InvalidArgument,
                    "{}: \"{}\" is an MQTT topic, and no MQTT broker is configured "
                    "(FAASD_MQTT_BROKER)",
                    kTopicAnnotation, topics.front());
    }
    if ((any || !topics.empty()) && !serves(d.ns)) {
        return fail(Code::InvalidArgument,
                    "{}: triggers are not enabled in namespace {} (FAASD_TRIGGER_NAMESPACES: {})",
                    kTopicAnnotation, d.ns, fmt::join(config_.namespaces, ","));
    }
    return {};
}

void Hub::deployed(const api::FunctionDeployment&) {
    if (resync()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        changed_ = true;
    }
    cv_.notify_all();
}

void Hub::removed(const std::string& name, const std::string& ns) {
    api::FunctionRef ref{name, ns};
    for (auto& source : sources_) {
        source->forget(ref);
    }
}

std::vector<gateway::TriggerInfo> Hub::list(const std::string& ns) {
    std::vector<gateway::TriggerInfo> out;
    for (const auto& source : sources_) {
        for (auto& info : source->list()) {
            if (ns.empty() || info.ns == ns) {
                out.push_back(std::move(info));
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.ns, a.function, a.kind, a.spec) <
               std::tie(b.ns, b.function, b.kind, b.spec);
    });
    return out;
}

bool Hub::resync() {
    std::lock_guard serial(resyncMutex_);
    auto namespaces = provider_.listNamespaces();
    if (!namespaces) {
        kLog.debug("resync: {}", namespaces.error().message());
        return false;
    }
    std::vector<FunctionAnnotations> functions;
    for (const auto& ns : *namespaces) {
        if (!serves(ns)) {
            continue;
        }
        auto listed = provider_.list(ns);
        if (!listed) {
            kLog.debug("resync: {}", listed.error().message());
            return false; // a partial list would drop the others' triggers
        }
        for (auto& fn : *listed) {
            functions.push_back({{fn.name, fn.ns}, std::move(fn.annotations)});
        }
    }
    for (auto& source : sources_) {
        source->sync(functions);
    }
    return true;
}

void Hub::resyncLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        cv_.wait_for(lock, config_.resync, [&] { return stopping_ || changed_; });
        if (stopping_) {
            return;
        }
        changed_ = false;
        lock.unlock();
        resync();
        lock.lock();
    }
}

Result<std::string> Hub::deliver(Fire fire, RunEnded ended) {
    std::string callId = uuid4();
    if (!fire.sync && queue_) {
        {
            std::lock_guard lock(mutex_);
            pending_.emplace(callId, std::move(ended));
        }
        gateway::AsyncRequest request{.callId = callId,
                                      .name = fire.function.name,
                                      .ns = fire.function.ns,
                                      .method = "POST",
                                      .path = "/",
                                      .headers = std::move(fire.headers),
                                      .body = std::move(fire.body)};
        auto queued = queue_->enqueue(std::move(request));
        if (!queued) {
            std::lock_guard lock(mutex_);
            pending_.erase(callId);
            return fail(queued.error());
        }
        return callId;
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
        return fail(Code::Unavailable, "the daemon is stopping");
    }
    if (syncRuns_.size() >= config_.maxSyncBacklog) {
        return fail(Code::ResourceExhausted, "{} sync runs are already waiting", syncRuns_.size());
    }
    syncRuns_.push_back({std::move(fire), callId, std::move(ended)});
    syncCv_.notify_one();
    return callId;
}

void Hub::finished(const gateway::AsyncFinished& done) {
    RunEnded ended;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(done.callId);
        if (it == pending_.end()) {
            return;
        }
        ended = std::move(it->second);
        pending_.erase(it);
    }
    ended({.callId = done.callId, .failed = done.failed, .status = done.status, .body = done.body});
}

void Hub::syncWorker() {
    std::unique_lock lock(mutex_);
    for (;;) {
        syncCv_.wait(lock, [&] { return stopping_ || !syncRuns_.empty(); });
        if (stopping_) {
            return;
        }
        SyncRun run = std::move(syncRuns_.front());
        syncRuns_.pop_front();
        lock.unlock();
        RunEnd end = syncCall_(run.fire, run.callId);
        end.callId = run.callId;
        run.ended(end);
        lock.lock();
    }
}

std::string Hub::prometheusText() const {
    std::vector<gateway::TriggerInfo> all;
    for (const auto& source : sources_) {
        auto some = source->list();
        all.insert(all.end(), some.begin(), some.end());
    }
    std::string out;
    auto series = [&](std::string_view name, std::string_view help, auto value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
        for (const auto& t : all) {
            out += fmt::format("{}{{kind=\"{}\",function=\"{}.{}\",trigger=\"{}\"}} {}\n", name,
                               t.kind, prometheusLabelValue(t.function), prometheusLabelValue(t.ns),
                               prometheusLabelValue(t.spec), value(t));
        }
    };
    series("faasd_trigger_runs_total", "Trigger runs started.",
           [](const gateway::TriggerInfo& t) { return t.runs; });
    series("faasd_trigger_skipped_total", "Trigger runs skipped: the last one still ran.",
           [](const gateway::TriggerInfo& t) { return t.skipped; });
    series("faasd_trigger_missed_total", "Trigger runs missed and not caught up.",
           [](const gateway::TriggerInfo& t) { return t.missed; });
    series("faasd_trigger_failures_total", "Trigger runs that failed to start or ended failed.",
           [](const gateway::TriggerInfo& t) { return t.failed; });
    for (const auto& source : sources_) {
        out += source->prometheusText();
    }
    return out;
}

} // namespace faasd::triggers
