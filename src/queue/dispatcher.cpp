#include "queue/dispatcher.hpp"

#include "queue/clock.hpp"
#include "queue/logger.hpp"

#include <algorithm>

namespace faasd::queue {

namespace {

unsigned positive(const std::map<std::string, std::string>& map, const std::string& key) {
    auto it = map.find(key);
    if (it == map.end() || it->second.empty() || it->second.size() > 6 ||
        it->second.find_first_not_of("0123456789") != std::string::npos) {
        return 0;
    }
    return static_cast<unsigned>(std::stoul(it->second));
}

} // namespace

Dispatcher::Dispatcher(const QueueConfig& config, provider::Provider& provider, Store& store,
                       Writer& writer, std::function<void(uint64_t)> completed)
    : config_(config), provider_(provider), store_(store), writer_(writer),
      completedHook_(std::move(completed)) {}

Dispatcher::~Dispatcher() {
    stop();
}

void Dispatcher::add(Task task, int64_t enqueuedMs) {
    {
        std::lock_guard lock(mutex_);
        unfinished_.emplace(task.id, enqueuedMs);
        functions_[task.function].ready.push_back(std::move(task));
    }
    dispatchCv_.notify_one();
}

void Dispatcher::addDelayed(Task task, int64_t dueMs, int64_t enqueuedMs) {
    {
        std::lock_guard lock(mutex_);
        unfinished_.emplace(task.id, enqueuedMs);
        delayed_.emplace(dueMs, std::move(task));
    }
    dispatchCv_.notify_one();
}

void Dispatcher::start(std::unique_ptr<Invoker> invoker) {
    std::lock_guard lock(mutex_);
    if (state_ != State::Idle) {
        return;
    }
    state_ = State::Running;
    invoker_ = std::move(invoker);
    dispatcher_ = std::thread([this] { dispatchLoop(); });
    for (unsigned i = 0; i < config_.workers; ++i) {
        workers_.emplace_back([this] { workerLoop(); });
    }
}

void Dispatcher::stop() {
    {
        std::unique_lock lock(mutex_);
        if (state_ != State::Stopping) {
            state_ = State::Stopping;
            // Handed out but not started: they stay pending in the database.
            for (const auto& t : handed_) {
                functions_[t.function].running--;
                running_--;
            }
            handed_.clear();
            dispatchCv_.notify_all();
            workCv_.notify_all();
            if (!idleCv_.wait_for(lock, config_.shutdownTimeout, [&] { return running_ == 0; })) {
                kLog.warn("{} asynchronous requests still running after {} ms; they run again "
                          "at the next start",
                          running_, config_.shutdownTimeout.count());
                abort_.raise();
                if (invoker_) {
                    invoker_->cancel();
                }
            }
        }
    }
    if (dispatcher_.joinable()) {
        dispatcher_.join();
    }
    for (auto& w : workers_) {
        if (w.joinable()) {
            w.join();
        }
    }
}

DispatchStats Dispatcher::stats() const {
    std::lock_guard lock(mutex_);
    DispatchStats s;
    for (const auto& [function, st] : functions_) {
        s.depth += st.ready.size();
    }
    s.depth += delayed_.size() + handed_.size();
    s.inFlight = running_ - handed_.size();
    s.completed = completed_;
    s.failed = failed_;
    s.retried = retried_;
    s.callbackFailed = callbackFailed_;
    if (!unfinished_.empty()) {
        s.oldestEnqueuedMs = unfinished_.begin()->second;
    }
    return s;
}

std::map<api::FunctionRef, uint64_t> Dispatcher::depthByFunction() const {
    std::lock_guard lock(mutex_);
    std::map<api::FunctionRef, uint64_t> out;
    for (const auto& [function, st] : functions_) {
        if (!st.ready.empty()) {
            out[function] += st.ready.size();
        }
    }
    for (const auto& [due, task] : delayed_) {
        out[task.function] += 1;
    }
    for (const Task& task : handed_) {
        out[task.function] += 1;
    }
    return out;
}

// --- the dispatcher thread

unsigned Dispatcher::limitFor(const api::FunctionRef& function) {
    auto status = provider_.get(function.name, function.ns);
    if (!status) {
        return 1; // the gateway answers for it (404, 503); the answer is recorded
    }
    if (unsigned fromLabel = positive(status->labels, kConcurrencyLabel); fromLabel > 0) {
        return fromLabel;
    }
    uint64_t ready = status->availableReplicas;
    if (ready == 0) {
        return 1; // one call wakes it
    }
    unsigned perReplica = positive(status->envVars, "max_inflight");
    return static_cast<unsigned>(
        std::min<uint64_t>(ready * (perReplica > 0 ? perReplica : config_.perReplica), 100'000));
}

void Dispatcher::refreshLimits(std::unique_lock<std::mutex>& lock) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<api::FunctionRef> stale;
    for (const auto& [function, st] : functions_) {
        if (!st.ready.empty() && now - st.limitAt >= config_.limitRefresh) {
            stale.push_back(function);
        }
    }
    if (stale.empty()) {
        return;
    }
    // Limits come from the provider's memory; read them without the lock.
    lock.unlock();
    std::vector<unsigned> limits;
    for (const auto& function : stale) {
        limits.push_back(limitFor(function));
    }
    lock.lock();
    for (size_t i = 0; i < stale.size(); ++i) {
        auto& st = functions_[stale[i]];
        st.limit = limits[i];
        st.limitAt = now;
    }
}

bool Dispatcher::handOut() {
    bool handed = false;
    for (bool progress = true; progress && running_ < config_.workers;) {
        progress = false;
        for (auto& [function, st] : functions_) {
            if (running_ >= config_.workers) {
                break;
            }
            if (!st.ready.empty() && st.running < st.limit) {
                handed_.push_back(std::move(st.ready.front()));
                st.ready.pop_front();
                st.running++;
                running_++;
                progress = handed = true;
            }
        }
    }
    return handed;
}

void Dispatcher::dispatchLoop() {
    std::unique_lock lock(mutex_);
    while (state_ != State::Stopping) {
        const int64_t now = nowMs();
        while (!delayed_.empty() && delayed_.begin()->first <= now) {
            auto node = delayed_.extract(delayed_.begin());
            functions_[node.mapped().function].ready.push_back(std::move(node.mapped()));
        }
        refreshLimits(lock);
        if (state_ == State::Stopping) {
            break;
        }
        if (handOut()) {
            workCv_.notify_all();
        }
        std::erase_if(functions_, [](const auto& kv) {
            return kv.second.ready.empty() && kv.second.running == 0;
        });
        int64_t wake = now + 1000;
        if (!delayed_.empty()) {
            wake = std::min(wake, delayed_.begin()->first);
        }
        dispatchCv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wake - now, 1)));
    }
}

// --- the workers

void Dispatcher::workerLoop() {
    Runner runner(config_, store_, writer_, *invoker_, abort_, &provider_);
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            workCv_.wait(lock, [&] { return !handed_.empty() || state_ == State::Stopping; });
            if (handed_.empty()) {
                return;
            }
            task = std::move(handed_.front());
            handed_.pop_front();
        }
        settle(task, runner.run(task.id));
        dispatchCv_.notify_one();
        idleCv_.notify_all();
    }
}

void Dispatcher::settle(const Task& task, const Verdict& verdict) {
    const bool finished = verdict.kind == Verdict::Kind::Finished;
    if (finished && !verdict.failed && completedHook_) {
        completedHook_(task.size); // its room is free before it counts as completed
    }
    if (finished && finishedHook_) {
        finishedHook_(verdict);
    }
    std::lock_guard lock(mutex_);
    if (verdict.kind == Verdict::Kind::Again) {
        retried_ += verdict.retried ? 1 : 0;
        delayed_.emplace(verdict.dueMs, task);
    } else if (finished) {
        unfinished_.erase(task.id);
        callbackFailed_ += verdict.callbackFailed ? 1 : 0;
        (verdict.failed ? failed_ : completed_)++;
    } // Gone, Aborted: nothing to record
    auto it = functions_.find(task.function);
    if (it != functions_.end() && it->second.running > 0) {
        it->second.running--;
    }
    running_--;
}

} // namespace faasd::queue
