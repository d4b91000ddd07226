// Benchmark helper for bench/queue/run.sh, two roles:
//   bench_queue gateway UPSTREAM_PORT DB full|normal workers|no-workers
//       a Gateway (2 I/O threads) with the durable queue on DB; function
//       "echo" (max_inflight 64) resolves to 127.0.0.1:UPSTREAM_PORT.
//       Prints "port <n>", serves until SIGINT/SIGTERM, stops the queue.
//   bench_queue commits DB full|normal N
//       the floor without grouping: N inserts, one transaction (and, with
//       full, one fsync) each, on the same schema; prints "<n>/s".

#include "fake_provider.hpp"
#include "gateway/gateway.hpp"
#include "queue/queue.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace faasd;

namespace {

int commits(const char* db, bool full, int n) {
    auto store = queue::Store::open(db, full);
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message().c_str());
        return 1;
    }
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        gateway::AsyncRequest r{"raw-" + std::to_string(i),
                                "echo",
                                "openfaas-fn",
                                "POST",
                                "/",
                                "",
                                {{"Content-Type", "text/plain"}},
                                "hello",
                                ""};
        auto tx = (*store)->begin();
        if (!tx || !(*store)->insert(r, 0, queue::storedSize(r)) || !tx->commit()) {
            std::fprintf(stderr, "insert failed\n");
            return 1;
        }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.0f/s\n", n / s);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    if (argc == 5 && std::strcmp(argv[1], "commits") == 0) {
        return commits(argv[2], std::strcmp(argv[3], "full") == 0, std::atoi(argv[4]));
    }
    if (argc != 6 || std::strcmp(argv[1], "gateway") != 0) {
        std::fprintf(stderr,
                     "usage: %s gateway UPSTREAM_PORT DB full|normal workers|no-workers\n"
                     "       %s commits DB full|normal N\n",
                     argv[0], argv[0]);
        return 2;
    }
    gateway::test::FakeProvider provider;
    provider.addFunction("echo", "openfaas-fn", "bench");
    {
        std::lock_guard lock(provider.mutex);
        provider.functions["echo.openfaas-fn"].envVars["max_inflight"] = "64";
    }
    provider.setEndpoints("echo", "openfaas-fn",
                          {{"echo-0", "127.0.0.1", static_cast<uint16_t>(std::atoi(argv[2]))}});
    queue::QueueConfig qc;
    qc.database = argv[3];
    qc.fullSync = std::strcmp(argv[4], "full") == 0;
    qc.maxItems = 10'000'000;
    qc.maxBytes = 1ull << 34;
    auto q = queue::Queue::open(qc, provider);
    if (!q) {
        std::fprintf(stderr, "%s\n", q.error().message().c_str());
        return 1;
    }
    gateway::GatewayConfig config;
    config.bindAddress = "127.0.0.1";
    config.port = 0;
    config.ioThreads = 2;
    config.blockingThreads = 64; // as faasd up sets it (FAASD_QUEUE_ACCEPT_THREADS)
    gateway::Gateway gw(config, provider);
    gw.setAsyncQueue(q->get());
    if (auto started = gw.start(); !started) {
        std::fprintf(stderr, "%s\n", started.error().message().c_str());
        return 1;
    }
    if (std::strcmp(argv[5], "workers") == 0) {
        (*q)->start(std::make_unique<queue::HttpInvoker>(
            queue::HttpInvokerConfig{.gatewayPort = gw.port()}));
    }
    std::printf("port %u\n", gw.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    (*q)->stop();
    gw.stop();
    return 0;
}
