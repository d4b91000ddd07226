// The cluster queue against a real etcd on loopback: each "node" is a
// ClusterQueue with its own etcd client, its own lease (a LeaseKeeper) and
// a scripted invoker that records every invocation and callback. A node
// that dies is one whose keeper stops renewing (what kill -9 does to it)
// while its invocation is held in the function.

#include "catch_result.hpp"
#include "cluster/async_queue.hpp"
#include "etcd/client.hpp"
#include "etcd_cluster.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace faasd;
using namespace faasd::cluster;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPrefix = "/t/queue/";

struct Invocation {
    std::string node;
    queue::Job job;
    std::chrono::steady_clock::time_point at;
};

struct Callback {
    std::string node;
    std::string url;
    queue::HeaderList headers;
    std::string body;

    std::string header(const std::string& name) const {
        for (const auto& [k, v] : headers) {
            if (k == name) {
                return v;
            }
        }
        return {};
    }
};

// What every node's invoker did, and the script they follow. Invocations
// on a held node stay in the function until released (or cancelled by
// the node's stop()).
class Recorder {
public:
    // Answers attempt n (1 for the first) of a call id.
    std::function<queue::Outcome(const queue::Job&, int attempt)> answer = [](const queue::Job& job,
                                                                              int) {
        return queue::Outcome{.reached = true,
                              .status = 200,
                              .headers = {{"X-Echo", "1"}},
                              .body = "echo:" + job.body};
    };

    queue::Outcome invoke(const std::string& node, const queue::Job& job) {
        int attempt;
        {
            std::unique_lock lock(mutex_);
            attempt = ++attempts_[job.callId];
            invocations_.push_back({node, job, std::chrono::steady_clock::now()});
            running_[node]++;
            changed_.notify_all();
            // Bounded, so that a test that never releases cannot hang.
            changed_.wait_for(lock, 30s, [&] { return !held_.contains(node); });
            running_[node]--;
        }
        return answer(job, attempt);
    }

    queue::Outcome callback(const std::string& node, const std::string& url,
                            const queue::HeaderList& headers, const std::string& body) {
        std::lock_guard lock(mutex_);
        callbacks_.push_back({node, url, headers, body});
        changed_.notify_all();
        return queue::Outcome{.reached = true, .status = 200};
    }

    void hold(const std::string& node) {
        std::lock_guard lock(mutex_);
        held_.insert(node);
    }
    void release(const std::string& node) {
        {
            std::lock_guard lock(mutex_);
            held_.erase(node);
        }
        changed_.notify_all();
    }

    std::vector<Invocation> invocations() const {
        std::lock_guard lock(mutex_);
        return invocations_;
    }
    std::vector<Invocation> invocationsOf(const std::string& callId) const {
        std::lock_guard lock(mutex_);
        std::vector<Invocation> out;
        for (const auto& i : invocations_) {
            if (i.job.callId == callId) {
                out.push_back(i);
            }
        }
        return out;
    }
    std::vector<Callback> callbacks() const {
        std::lock_guard lock(mutex_);
        return callbacks_;
    }
    size_t callbackCount() const {
        std::lock_guard lock(mutex_);
        return callbacks_.size();
    }
    int running(const std::string& node) const {
        std::lock_guard lock(mutex_);
        auto it = running_.find(node);
        return it == running_.end() ? 0 : it->second;
    }
    bool waitRunning(const std::string& node, int n, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return running_[node] >= n; });
    }
    bool waitCallbacks(size_t n, std::chrono::milliseconds timeout = 15s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return callbacks_.size() >= n; });
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::set<std::string> held_;
    std::map<std::string, int> attempts_;
    std::map<std::string, int> running_;
    std::vector<Invocation> invocations_;
    std::vector<Callback> callbacks_;
};

// One node's invoker: the shared recorder, under the node's name.
class NodeInvoker : public queue::Invoker {
public:
    NodeInvoker(Recorder& recorder, std::string node)
        : recorder_(recorder), node_(std::move(node)) {}
    queue::Outcome invoke(const queue::Job& job) override { return recorder_.invoke(node_, job); }
    queue::Outcome callback(const std::string& url, const queue::HeaderList& headers,
                            const std::string& body) override {
        return recorder_.callback(node_, url, headers, body);
    }
    void cancel() override { recorder_.release(node_); }

private:
    Recorder& recorder_;
    std::string node_;
};

ClusterQueueConfig testConfig(const std::string& node) {
    return ClusterQueueConfig{
        .prefix = kPrefix,
        .node = node,
        .workers = 2,
        .retry = {.maxAttempts = 3, .retryDelay = 100ms, .maxRetryDelay = 1s},
        .callback = {.attempts = 2, .retryDelay = 50ms},
        .shutdownTimeout = 5s,
        .keepCompleted = 60s,
        .foreignDelay = 50ms,
    };
}

// A node: its own client, lease and queue.
struct Node {
    std::string name;
    std::unique_ptr<etcd::Client> client;
    std::unique_ptr<etcd::LeaseKeeper> keeper;
    std::unique_ptr<ClusterQueue> queue;
    std::vector<gateway::AsyncFinished> finished; // what its listener heard
    std::mutex finishedMutex;

    void start(Recorder& recorder) { queue->start(std::make_unique<NodeInvoker>(recorder, name)); }
    size_t finishedCount() {
        std::lock_guard lock(finishedMutex);
        return finished.size();
    }
};

// A fresh etcd per test, and nodes on it.
struct Fixture {
    Fixture() {
        auto started = faasd::testing::EtcdCluster::start(1);
        REQUIRE(started);
        etcd = std::move(*started);
        admin = connect();
    }
    ~Fixture() {
        for (auto& n : nodes) {
            if (n->queue) {
                n->queue->stop(2s);
            }
        }
    }

    std::unique_ptr<etcd::Client> connect() {
        auto client = etcd::Client::connect({.endpoints = etcd->clientUrls()});
        REQUIRE(client);
        return std::move(*client);
    }

    Node& node(const std::string& name, ClusterQueueConfig config, std::chrono::seconds ttl = 10s) {
        auto n = std::make_unique<Node>();
        n->name = name;
        n->client = connect();
        auto keeper = etcd::LeaseKeeper::start(*n->client, ttl, [] {});
        REQUIRE(keeper);
        n->keeper = std::move(*keeper);
        etcd::LeaseKeeper* k = n->keeper.get();
        auto q = ClusterQueue::open(std::move(config), *n->client,
                                    [k] { return k->alive() ? k->id() : 0; });
        REQUIRE(q);
        n->queue = std::move(*q);
        Node* self = n.get();
        n->queue->setFinishedListener([self](const gateway::AsyncFinished& f) {
            std::lock_guard lock(self->finishedMutex);
            self->finished.push_back(f);
        });
        nodes.push_back(std::move(n));
        return *nodes.back();
    }
    Node& node(const std::string& name) { return node(name, testConfig(name)); }

    size_t keys(const std::string& under) {
        auto got = admin->getPrefix(std::string(kPrefix) + under);
        REQUIRE(got);
        return got->kvs.size();
    }

    std::unique_ptr<faasd::testing::EtcdCluster> etcd;
    std::unique_ptr<etcd::Client> admin;
    std::vector<std::unique_ptr<Node>> nodes;
};

gateway::AsyncRequest request(const std::string& callId, std::string body = "hi",
                              std::string callbackUrl = "http://hooks.test/done") {
    return gateway::AsyncRequest{.callId = callId,
                                 .name = "echo",
                                 .ns = "openfaas-fn",
                                 .method = "POST",
                                 .path = "/sub",
                                 .query = "a=1",
                                 .headers = {{"Content-Type", "text/plain"}, {"X-Trace", "t-1"}},
                                 .body = std::move(body),
                                 .callbackUrl = std::move(callbackUrl)};
}

std::optional<gateway::AsyncRequestInfo> listed(ClusterQueue& q, const std::string& callId) {
    auto all = q.list({.limit = 1000});
    REQUIRE(all);
    for (auto& i : *all) {
        if (i.callId == callId) {
            return i;
        }
    }
    return std::nullopt;
}

} // namespace

TEST_CASE("an accepted request runs once with its call id, and its callback is delivered",
          "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    Node& a = f.node("a");
    REQUIRE(a.queue->enqueue(request("call-1")) == std::string("call-1"));
    CHECK(f.keys("q/items/") == 1);
    CHECK(f.keys("bodies/") == 1);
    a.start(recorder);

    REQUIRE(recorder.waitCallbacks(1));
    auto runs = recorder.invocationsOf("call-1");
    REQUIRE(runs.size() == 1);
    const queue::Job& job = runs[0].job;
    CHECK(job.function == api::FunctionRef{"echo", "openfaas-fn"});
    CHECK(job.method == "POST");
    CHECK(job.path == "/sub");
    CHECK(job.query == "a=1");
    CHECK(job.body == "hi");
    CHECK(job.attempts == 1);
    CHECK(job.headers == queue::HeaderList{{"Content-Type", "text/plain"}, {"X-Trace", "t-1"}});

    auto cb = recorder.callbacks().at(0);
    CHECK(cb.url == "http://hooks.test/done");
    CHECK(cb.header("X-Call-Id") == "call-1");
    CHECK(cb.header("X-Function-Status") == "200");
    CHECK(cb.header("X-Function-Name") == "echo");
    CHECK(cb.header("X-Echo") == "1");
    CHECK_FALSE(cb.header("X-Duration-Seconds").empty());
    CHECK(cb.body == "echo:hi");

    // Recorded: the item, body and claim gone, a done record listed.
    REQUIRE(waitUntil([&] { return a.finishedCount() == 1; }, 5s));
    CHECK(a.finished[0].callId == "call-1");
    CHECK_FALSE(a.finished[0].failed);
    CHECK(a.finished[0].status == 200);
    CHECK(a.finished[0].body == "echo:hi");
    CHECK(f.keys("q/") == 0);
    CHECK(f.keys("bodies/") == 0);
    CHECK(f.keys("done/") == 1);
    auto info = listed(*a.queue, "call-1");
    REQUIRE(info);
    CHECK(info->status == "completed");
    CHECK(info->callbackStatus == "delivered");
    CHECK(info->attempts == 1);
    CHECK(a.queue->stats().completed == 1);
    CHECK(a.queue->prometheusText().find("faasd_cluster_queue_completed_total 1\n") !=
          std::string::npos);
}

TEST_CASE("a call id accepted twice is stored once and runs once, even after it completed",
          "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    auto config = testConfig("a");
    config.workers = 1; // oldest first: a second copy would run before "after"
    Node& a = f.node("a", config);
    REQUIRE(a.queue->enqueue(request("dup", "first")) == std::string("dup"));
    REQUIRE(a.queue->enqueue(request("dup", "second")) == std::string("dup"));
    CHECK(f.keys("q/items/") == 1);
    a.start(recorder);
    REQUIRE(recorder.waitCallbacks(1));

    REQUIRE(waitUntil([&] { return f.keys("done/") == 1; }, 5s));
    REQUIRE(a.queue->enqueue(request("dup", "third")) == std::string("dup")); // completed already
    REQUIRE(a.queue->enqueue(request("after")));
    REQUIRE(recorder.waitCallbacks(2));
    auto runs = recorder.invocationsOf("dup");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].job.body == "first");
    CHECK(recorder.invocationsOf("after").size() == 1);
    CHECK(recorder.callbackCount() == 2);
}

TEST_CASE("503 is retried with backoff, then the answer is delivered", "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    recorder.answer = [](const queue::Job&, int attempt) {
        if (attempt < 3) {
            return queue::Outcome{.reached = true, .status = 503, .body = "busy"};
        }
        return queue::Outcome{.reached = true, .status = 200, .body = "done"};
    };
    Node& a = f.node("a");
    REQUIRE(a.queue->enqueue(request("retry-me")));
    a.start(recorder);
    REQUIRE(recorder.waitCallbacks(1));

    auto runs = recorder.invocationsOf("retry-me");
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].job.attempts == 1);
    CHECK(runs[2].job.attempts == 3);
    CHECK(runs[1].at - runs[0].at >= 100ms); // retryDelay, doubled
    CHECK(runs[2].at - runs[1].at >= 200ms);
    auto cb = recorder.callbacks().at(0);
    CHECK(cb.header("X-Function-Status") == "200");
    CHECK(cb.body == "done");
    REQUIRE(waitUntil([&] { return a.queue->stats().completed == 1; }, 5s));
    CHECK(a.queue->stats().retried == 2);
}

TEST_CASE("past its attempts a request fails with its callback; the admin API retries and "
          "deletes it",
          "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    std::atomic<bool> healthy = false;
    recorder.answer = [&](const queue::Job&, int) {
        if (healthy) {
            return queue::Outcome{.reached = true, .status = 200, .body = "ok"};
        }
        return queue::Outcome{.error = "connection refused"};
    };
    Node& a = f.node("a");
    REQUIRE(a.queue->enqueue(request("doomed")));
    a.start(recorder);
    REQUIRE(recorder.waitCallbacks(1));
    CHECK(recorder.invocationsOf("doomed").size() == 3);
    auto cb = recorder.callbacks().at(0);
    CHECK(cb.header("X-Call-Id") == "doomed");
    CHECK(cb.header("X-Function-Status") == "503");
    CHECK(cb.body == "connection refused");

    REQUIRE(waitUntil([&] { return a.finishedCount() == 1; }, 5s));
    CHECK(a.finished[0].failed);
    CHECK(a.finished[0].status == 503);
    auto info = listed(*a.queue, "doomed");
    REQUIRE(info);
    CHECK(info->status == "failed");
    CHECK(info->attempts == 3);
    CHECK(info->lastError.find("connection refused") != std::string::npos);
    CHECK(f.keys("bodies/") == 1); // kept for a retry
    auto failedOnly = a.queue->list({.status = "failed"});
    REQUIRE(failedOnly);
    CHECK(failedOnly->size() == 1);

    // retry(): pending again, and it runs.
    CHECK(a.queue->retry("nobody").error().code() == Code::NotFound);
    healthy = true;
    REQUIRE(a.queue->retry("doomed"));
    REQUIRE(recorder.waitCallbacks(2));
    CHECK(recorder.callbacks().at(1).header("X-Function-Status") == "200");
    auto runs = recorder.invocationsOf("doomed");
    REQUIRE(runs.size() == 4);
    CHECK(runs[3].job.attempts == 1);
    CHECK(runs[3].job.body == "hi");
    REQUIRE(waitUntil([&] { return listed(*a.queue, "doomed")->status == "completed"; }, 5s));
    CHECK(a.queue->retry("doomed").error().code() == Code::AlreadyExists);

    // remove(): a completed one goes; unknown is NotFound.
    REQUIRE(a.queue->remove("doomed"));
    CHECK_FALSE(listed(*a.queue, "doomed"));
    CHECK(a.queue->remove("doomed").error().code() == Code::NotFound);
}

TEST_CASE("a pending or running request cannot be deleted; a failed one can", "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    recorder.answer = [](const queue::Job&, int) {
        return queue::Outcome{.reached = true, .status = 429};
    };
    Node& a = f.node("a");
    REQUIRE(a.queue->enqueue(request("held")));
    CHECK(a.queue->remove("held").error().code() == Code::AlreadyExists);
    CHECK(a.queue->retry("held").error().code() == Code::AlreadyExists);
    recorder.hold("a");
    a.start(recorder);
    REQUIRE(recorder.waitRunning("a", 1));
    REQUIRE(waitUntil([&] { return listed(*a.queue, "held")->status == "running"; }, 5s));
    CHECK(a.queue->remove("held").error().code() == Code::AlreadyExists);
    recorder.release("a");
    REQUIRE(recorder.waitCallbacks(1));
    REQUIRE(waitUntil([&] { return listed(*a.queue, "held")->status == "failed"; }, 5s));
    REQUIRE(a.queue->remove("held"));
    CHECK(f.keys("q/") == 0);
    CHECK(f.keys("bodies/") == 0);
}

TEST_CASE("two nodes share the work and each request runs once", "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    Node& a = f.node("a");
    Node& b = f.node("b");
    recorder.hold("a");
    recorder.hold("b");
    a.start(recorder);
    b.start(recorder);
    const int n = 8;
    for (int i = 0; i < n; ++i) {
        Node& via = i % 2 == 0 ? a : b;
        REQUIRE(via.queue->enqueue(request(fmt::format("shared-{}", i))));
    }
    // Each node's two workers busy at once.
    REQUIRE(recorder.waitRunning("a", 2));
    REQUIRE(recorder.waitRunning("b", 2));
    recorder.release("a");
    recorder.release("b");
    REQUIRE(recorder.waitCallbacks(n));
    std::set<std::string> nodes;
    for (int i = 0; i < n; ++i) {
        auto runs = recorder.invocationsOf(fmt::format("shared-{}", i));
        REQUIRE(runs.size() == 1);
        nodes.insert(runs[0].node);
    }
    CHECK(nodes == std::set<std::string>{"a", "b"});
    CHECK(recorder.callbackCount() == n);
    REQUIRE(waitUntil([&] { return f.keys("q/") == 0; }, 5s));
    CHECK(waitUntil([&] { return a.queue->stats().completed + b.queue->stats().completed == n; },
                    5s));
    CHECK(a.queue->stats().lost + b.queue->stats().lost == 0);
}

TEST_CASE("a node dies with a request running: its lease lapses and another node runs it",
          "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    Node& a = f.node("a", testConfig("a"), 2s);
    Node& b = f.node("b");
    recorder.hold("a");
    a.start(recorder);
    REQUIRE(a.queue->enqueue(request("orphan")));
    REQUIRE(recorder.waitRunning("a", 1));
    CHECK(f.keys("q/claims/") == 1);
    b.start(recorder);

    // What kill -9 does to node a: its lease is no longer renewed.
    a.keeper->abandon();
    REQUIRE(recorder.waitCallbacks(1, 15s));
    auto cb = recorder.callbacks().at(0);
    CHECK(cb.node == "b");
    CHECK(cb.header("X-Call-Id") == "orphan");
    auto runs = recorder.invocationsOf("orphan");
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].node == "a");
    CHECK(runs[1].node == "b");
    CHECK(runs[1].job.attempts == 2); // the dead node's attempt counted
    REQUIRE(waitUntil([&] { return b.queue->stats().completed == 1; }, 5s));

    // Node a's run ends late: its claim is gone, so it records nothing and
    // calls nobody back.
    recorder.release("a");
    REQUIRE(waitUntil([&] { return a.queue->stats().lost == 1; }, 5s));
    CHECK(recorder.callbackCount() == 1);
    CHECK(a.finishedCount() == 0);
    CHECK(b.finishedCount() == 1);
    auto info = listed(*b.queue, "orphan");
    REQUIRE(info);
    CHECK(info->status == "completed");
}

TEST_CASE("stop() gives back the claims of what it did not finish", "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    auto config = testConfig("a");
    config.workers = 1;
    Node& a = f.node("a", config);
    Node& b = f.node("b");
    recorder.hold("a");
    a.start(recorder);
    REQUIRE(a.queue->enqueue(request("handed-over")));
    REQUIRE(a.queue->enqueue(request("never-started")));
    REQUIRE(recorder.waitRunning("a", 1));

    a.queue->stop(300ms); // the held run is aborted, its claim deleted
    CHECK(f.keys("q/claims/") == 0);
    CHECK(f.keys("q/items/") == 2);
    CHECK(a.queue->enqueue(request("late")).error().code() == Code::Unavailable);
    CHECK(a.keeper->alive()); // not by the lease: the node lives on

    b.start(recorder);
    REQUIRE(recorder.waitCallbacks(2));
    for (const auto& cb : recorder.callbacks()) {
        CHECK(cb.node == "b");
    }
    CHECK(recorder.invocationsOf("never-started").size() == 1);
    CHECK(recorder.invocationsOf("handed-over").size() == 2);
}

TEST_CASE("a body over the limit is refused, and a full queue answers ResourceExhausted",
          "[cluster][queue]") {
    Fixture f;
    Recorder recorder;
    auto config = testConfig("a");
    config.maxItems = 4;
    config.maxBytes = (1u << 20) + 100;
    Node& a = f.node("a", config);
    CHECK(a.queue->maxBodyBytes() == 1u << 20);

    auto tooBig = a.queue->enqueue(request("big", std::string((1u << 20) + 1, 'x')));
    REQUIRE_FALSE(tooBig);
    CHECK(tooBig.error().code() == Code::InvalidArgument);
    // At the limit, but with headers etcd would refuse along with it.
    auto heavy = request("heavy", std::string(1u << 20, 'x'));
    heavy.headers.emplace_back("X-Pad", std::string(600'000, 'p'));
    auto refused = a.queue->enqueue(heavy);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Code::InvalidArgument);
    CHECK(f.keys("q/") == 0);

    // A body of the whole limit fits in etcd's default request size.
    REQUIRE(a.queue->enqueue(request("max", std::string(1u << 20, 'x'))));
    REQUIRE(a.queue->enqueue(request("two")));
    REQUIRE(a.queue->enqueue(request("three")));
    REQUIRE(waitUntil([&] { return a.queue->stats().items == 3; }, 5s));
    auto bulky = a.queue->enqueue(request("bulky", std::string(200, 'x'))); // past maxBytes
    REQUIRE_FALSE(bulky);
    CHECK(bulky.error().code() == Code::ResourceExhausted);
    REQUIRE(a.queue->enqueue(request("four")));
    REQUIRE(waitUntil([&] { return a.queue->stats().items == 4; }, 5s));
    auto full = a.queue->enqueue(request("five")); // past maxItems
    REQUIRE_FALSE(full);
    CHECK(full.error().code() == Code::ResourceExhausted);
    CHECK(a.queue->depthByFunction().at(api::FunctionRef{"echo", "openfaas-fn"}) == 4);
    CHECK(a.queue->prometheusText().find("faasd_cluster_queue_pending 4\n") != std::string::npos);

    a.start(recorder);
    REQUIRE(recorder.waitCallbacks(4));
    auto runs = recorder.invocationsOf("max");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].job.body.size() == 1u << 20);
}
