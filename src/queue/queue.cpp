#include "queue/queue.hpp"

#include "common/log.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace faasd::queue {

namespace {

const Logger kLog("queue");

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool retryableStatus(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
}

unsigned positive(const std::map<std::string, std::string>& map, const std::string& key) {
    auto it = map.find(key);
    if (it == map.end() || it->second.empty() || it->second.size() > 6 ||
        it->second.find_first_not_of("0123456789") != std::string::npos) {
        return 0;
    }
    return static_cast<unsigned>(std::stoul(it->second));
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

Result<std::unique_ptr<Queue>> Queue::open(QueueConfig config, provider::Provider& provider) {
    if (config.workers == 0 || config.maxAttempts == 0 || config.callbackAttempts == 0) {
        return fail(Code::InvalidArgument, "the queue needs at least one worker and one attempt");
    }
    TRY_ASSIGN(auto store, withContext(Store::open(config.database, config.fullSync),
                                       "opening the async queue"));
    TRY_ASSIGN(auto entries, withContext(store->recover(), "recovering the async queue"));
    std::unique_ptr<Queue> q(new Queue(std::move(config), provider, std::move(store)));
    size_t replayed = 0;
    for (const auto& e : entries) {
        q->items_ += 1;
        q->bytes_ += e.size;
        Task task{{e.id, e.size}, e.function};
        if (e.status == "pending") {
            q->functions_[e.function].ready.push_back(task.item);
        } else if (e.status == "retrying") {
            q->delayed_.emplace(e.nextAtMs, std::move(task));
        } else {
            continue; // failed: only counted
        }
        q->unfinished_.emplace(e.id, e.enqueuedMs);
        ++replayed;
    }
    if (replayed > 0) {
        kLog.info("{} asynchronous requests to run from before the last stop", replayed);
    }
    return q;
}

Queue::Queue(QueueConfig config, provider::Provider& provider, std::unique_ptr<Store> store)
    : config_(std::move(config)), provider_(provider), store_(std::move(store)) {
    writer_ = std::thread([this] { writerLoop(); });
}

Queue::~Queue() {
    stop();
}

void Queue::start(std::unique_ptr<Invoker> invoker) {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) {
        return;
    }
    started_ = true;
    invoker_ = std::move(invoker);
    dispatcher_ = std::thread([this] { dispatchLoop(); });
    for (unsigned i = 0; i < config_.workers; ++i) {
        workers_.emplace_back([this] { workerLoop(); });
    }
}

void Queue::stop() {
    {
        std::unique_lock lock(mutex_);
        accepting_ = false;
        if (!stopping_) {
            stopping_ = true;
            // Handed out but not started: they stay pending in the database.
            for (const auto& t : tasks_) {
                functions_[t.function].running--;
                running_--;
            }
            tasks_.clear();
            dispatchCv_.notify_all();
            workCv_.notify_all();
            if (!idleCv_.wait_for(lock, config_.shutdownTimeout, [&] { return running_ == 0; })) {
                kLog.warn("{} asynchronous requests still running after {} ms; they run again "
                          "at the next start",
                          running_, config_.shutdownTimeout.count());
                aborting_ = true;
                idleCv_.notify_all();
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
    {
        std::lock_guard lock(writeMutex_);
        writerStop_ = true;
    }
    writeCv_.notify_all();
    if (writer_.joinable()) {
        writer_.join();
    }
}

// --- the writer: group commit

Result<void> Queue::write(std::function<Result<void>(Store&)> apply, bool wait) {
    WriteOp op{std::move(apply), nullptr};
    std::future<Result<void>> done;
    if (wait) {
        op.done = std::make_shared<std::promise<Result<void>>>();
        done = op.done->get_future();
    }
    {
        std::lock_guard lock(writeMutex_);
        if (writerStop_) {
            return fail(Code::Unavailable, "the queue is stopped");
        }
        ops_.push_back(std::move(op));
    }
    writeCv_.notify_one();
    if (!wait) {
        return {};
    }
    return done.get();
}

void Queue::writerLoop() {
    auto lastPrune = std::chrono::steady_clock::now();
    std::vector<WriteOp> batch;
    std::vector<Result<void>> results;
    for (;;) {
        {
            std::unique_lock lock(writeMutex_);
            writeCv_.wait_for(lock, std::chrono::seconds(10),
                              [&] { return !ops_.empty() || writerStop_; });
            if (ops_.empty() && writerStop_) {
                return;
            }
            batch.swap(ops_);
        }
        if (!batch.empty()) {
            results.clear();
            auto began = store_->begin();
            if (!began) {
                results.assign(batch.size(), fail(began.error().context("starting a transaction")));
            } else {
                for (auto& op : batch) {
                    results.push_back(op.apply(*store_));
                }
                if (auto committed = store_->commit(); !committed) {
                    store_->rollback();
                    results.assign(batch.size(), fail(committed.error().context("committing")));
                }
            }
            for (size_t i = 0; i < batch.size(); ++i) {
                if (batch[i].done) {
                    batch[i].done->set_value(std::move(results[i]));
                } else if (!results[i]) {
                    kLog.warn("recording a request's state: {}", results[i].error().message());
                }
            }
            batch.clear();
        }
        auto now = std::chrono::steady_clock::now();
        if (now - lastPrune > std::chrono::minutes(1)) {
            lastPrune = now;
            auto pruned = store_->pruneCompleted(nowMs() - config_.keepCompleted.count());
            if (!pruned) {
                kLog.warn("pruning completed requests: {}", pruned.error().message());
            }
        }
    }
}

// --- accepting

Result<std::string> Queue::enqueue(gateway::AsyncRequest request) {
    if (request.body.size() > config_.maxBodyBytes) {
        return fail(Code::InvalidArgument, "the body is larger than the queue's {} bytes",
                    config_.maxBodyBytes);
    }
    const uint64_t size = storedSize(request);
    {
        std::lock_guard lock(mutex_);
        if (!accepting_) {
            return fail(Code::Unavailable, "the queue is shutting down");
        }
        if (items_ + 1 > config_.maxItems) {
            return fail(Code::ResourceExhausted, "the queue is full: {} requests stored",
                        items_);
        }
        if (bytes_ + size > config_.maxBytes) {
            return fail(Code::ResourceExhausted, "the queue is full: {} of {} bytes stored",
                        bytes_, config_.maxBytes);
        }
        items_ += 1;
        bytes_ += size;
    }
    const int64_t now = nowMs();
    std::optional<int64_t> id;
    auto written = write(
        [&](Store& s) -> Result<void> {
            TRY_ASSIGN(id, s.insert(request, now, size));
            return {};
        },
        true);
    std::lock_guard lock(mutex_);
    if (!written || !id) {
        items_ -= 1;
        bytes_ -= size;
        if (!written) {
            return fail(written.error());
        }
        return request.callId; // already stored: accepted once, not twice
    }
    functions_[request.name + "." + request.ns].ready.push_back({*id, size});
    unfinished_.emplace(*id, now);
    dispatchCv_.notify_one();
    return request.callId;
}

// --- scheduling

unsigned Queue::limitFor(const std::string& function) {
    auto dot = function.rfind('.');
    auto status = provider_.get(function.substr(0, dot), function.substr(dot + 1));
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

void Queue::dispatchLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const int64_t now = nowMs();
        while (!delayed_.empty() && delayed_.begin()->first <= now) {
            auto node = delayed_.extract(delayed_.begin());
            functions_[node.mapped().function].ready.push_back(node.mapped().item);
        }
        // Concurrency limits come from the provider's memory; read them
        // without holding the queue's lock.
        const auto steadyNow = std::chrono::steady_clock::now();
        std::vector<std::string> stale;
        for (const auto& [name, st] : functions_) {
            if (!st.ready.empty() && steadyNow - st.limitAt >= config_.limitRefresh) {
                stale.push_back(name);
            }
        }
        if (!stale.empty()) {
            lock.unlock();
            std::vector<unsigned> limits;
            for (const auto& name : stale) {
                limits.push_back(limitFor(name));
            }
            lock.lock();
            for (size_t i = 0; i < stale.size(); ++i) {
                auto& st = functions_[stale[i]];
                st.limit = limits[i];
                st.limitAt = steadyNow;
            }
            if (stopping_) {
                break;
            }
        }
        bool handed = false;
        for (bool progress = true; progress && running_ < config_.workers;) {
            progress = false;
            for (auto& [name, st] : functions_) {
                if (running_ >= config_.workers) {
                    break;
                }
                if (!st.ready.empty() && st.running < st.limit) {
                    tasks_.push_back({st.ready.front(), name});
                    st.ready.pop_front();
                    st.running++;
                    running_++;
                    progress = handed = true;
                }
            }
        }
        if (handed) {
            workCv_.notify_all();
        }
        std::erase_if(functions_,
                      [](const auto& kv) { return kv.second.ready.empty() && kv.second.running == 0; });
        int64_t wake = now + 1000;
        if (!delayed_.empty()) {
            wake = std::min(wake, delayed_.begin()->first);
        }
        dispatchCv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wake - now, 1)));
    }
}

void Queue::workerLoop() {
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            workCv_.wait(lock, [&] { return !tasks_.empty() || stopping_; });
            if (tasks_.empty()) {
                return;
            }
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        run(task);
        {
            std::lock_guard lock(mutex_);
            auto it = functions_.find(task.function);
            if (it != functions_.end() && it->second.running > 0) {
                it->second.running--;
            }
            running_--;
        }
        dispatchCv_.notify_one();
        idleCv_.notify_all();
    }
}

bool Queue::pause(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    return !idleCv_.wait_for(lock, delay, [&] { return aborting_; });
}

void Queue::finish(const Task& task, bool failed) {
    std::lock_guard lock(mutex_);
    unfinished_.erase(task.item.id);
    if (failed) {
        failed_++;
    } else {
        completed_++;
        items_ -= 1;
        bytes_ -= task.item.size;
    }
}

// --- running one request

void Queue::run(const Task& task) {
    auto loaded = store_->load(task.item.id);
    if (!loaded) {
        kLog.warn("loading request {}: {}", task.item.id, loaded.error().message());
        // Try again later rather than lose it.
        std::lock_guard lock(mutex_);
        delayed_.emplace(nowMs() + config_.retryDelay.count(), task);
        return;
    }
    if (!*loaded) {
        return; // deleted meanwhile
    }
    Job& job = **loaded;
    job.attempts++;
    const uint64_t attempts = job.attempts;
    const int64_t id = job.id;
    (void)write([id, attempts](Store& s) { return s.markRunning(id, attempts); }, false);

    auto started = std::chrono::steady_clock::now();
    Outcome outcome = invoker_->invoke(job);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    {
        std::lock_guard lock(mutex_);
        if (aborting_) {
            return; // stays running in the database: replayed at the next start
        }
    }
    const bool retryable = !outcome.reached || retryableStatus(outcome.status);
    std::string error;
    if (!outcome.reached) {
        error = "invoking: " + outcome.error;
    } else if (outcome.status >= 400) {
        error = fmt::format("the function answered {}", outcome.status);
    }
    if (retryable && attempts < config_.maxAttempts) {
        auto delay = config_.retryDelay.count() << std::min<uint64_t>(attempts - 1, 20);
        delay = std::min<int64_t>(delay, config_.maxRetryDelay.count());
        const int64_t due = nowMs() + delay;
        (void)write([id, due, error](Store& s) { return s.markRetrying(id, due, error); }, false);
        kLog.debug("{} ({}): attempt {} failed ({}); again in {} ms", job.callId, job.function,
                   attempts, error, delay);
        std::lock_guard lock(mutex_);
        retried_++;
        delayed_.emplace(due, task);
        dispatchCv_.notify_one();
        return;
    }
    const int status = outcome.reached ? outcome.status : 503;
    std::string callbackStatus;
    if (!job.callbackUrl.empty()) {
        std::string callbackError;
        switch (deliver(job, outcome, status, seconds, callbackError)) {
        case Delivery::Aborted:
            return;
        case Delivery::Delivered:
            callbackStatus = "delivered";
            break;
        case Delivery::Failed:
            callbackStatus = "failed";
            error += (error.empty() ? "" : "; ") + callbackError;
            kLog.warn("{} ({}): {}", job.callId, job.function, callbackError);
            std::lock_guard lock(mutex_);
            callbackFailed_++;
            break;
        }
    }
    const std::string final = retryable ? "failed" : "completed";
    if (retryable) {
        kLog.warn("{} ({}): giving up after {} attempts: {}", job.callId, job.function, attempts,
                  error);
    }
    const int64_t now = nowMs();
    // Waited for: once counted as finished, the database says so too.
    auto recorded = write(
        [id, final, status, error, callbackStatus, now](Store& s) {
            return s.markFinished(id, final, status, error, callbackStatus, now);
        },
        true);
    if (!recorded) {
        kLog.warn("{} ({}): recording it {}: {}", job.callId, job.function, final,
                  recorded.error().message());
    }
    finish(task, retryable);
}

Queue::Delivery Queue::deliver(const Job& job, const Outcome& outcome, int status,
                               double seconds, std::string& error) {
    HeaderList headers;
    for (const auto& [k, v] : outcome.headers) {
        if (!equalsIgnoreCase(k, "X-Call-Id") && !equalsIgnoreCase(k, "X-Function-Status") &&
            !equalsIgnoreCase(k, "X-Function-Name") &&
            !equalsIgnoreCase(k, "X-Duration-Seconds")) {
            headers.emplace_back(k, v);
        }
    }
    headers.emplace_back("X-Call-Id", job.callId);
    headers.emplace_back("X-Function-Status", std::to_string(status));
    headers.emplace_back("X-Function-Name", job.function);
    headers.emplace_back("X-Duration-Seconds", fmt::format("{:.6f}", seconds));
    const std::string& body = outcome.reached ? outcome.body : outcome.error;
    for (unsigned attempt = 1;; ++attempt) {
        Outcome answer = invoker_->callback(job.callbackUrl, headers, body);
        if (answer.reached && answer.status < 300) {
            return Delivery::Delivered;
        }
        error = answer.reached
                    ? fmt::format("callback to {} answered {}", job.callbackUrl, answer.status)
                    : fmt::format("callback to {}: {}", job.callbackUrl, answer.error);
        const bool again = !answer.reached || answer.status >= 500 || answer.status == 429;
        if (!again || attempt >= config_.callbackAttempts) {
            return Delivery::Failed;
        }
        auto delay = config_.callbackRetryDelay * (1 << std::min(attempt - 1, 16u));
        if (!pause(delay)) {
            return Delivery::Aborted;
        }
    }
}

} // namespace faasd::queue
