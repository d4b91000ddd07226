// etcd's own write rate, the floor of what the cluster's writes cost: N
// threads, each putting small values through one etcd::Client (the
// project's), for a bounded time. Prints "puts_per_s N".
//
//   bench_etcd ENDPOINTS THREADS SECONDS   (ENDPOINTS: http://a:2379,...)

#include "etcd/client.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bench_etcd ENDPOINTS THREADS SECONDS\n");
        return 2;
    }
    faasd::etcd::ClientConfig config;
    std::string list = argv[1];
    for (size_t start = 0; start <= list.size();) {
        auto comma = list.find(',', start);
        config.endpoints.push_back(list.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    const int threads = std::atoi(argv[2]);
    const auto duration = std::chrono::seconds(std::atoi(argv[3]));
    auto client = faasd::etcd::Client::connect(config);
    if (!client) {
        std::fprintf(stderr, "%s\n", client.error().message().c_str());
        return 1;
    }
    std::atomic<uint64_t> puts{0}, failures{0};
    const auto end = std::chrono::steady_clock::now() + duration;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (uint64_t n = 0; std::chrono::steady_clock::now() < end; ++n) {
                auto key = "/bench-etcd/" + std::to_string(t) + "/" + std::to_string(n % 100);
                if ((*client)->put(key, std::string(64, 'x'))) {
                    puts++;
                } else {
                    failures++;
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    (void)(*client)->removePrefix("/bench-etcd/");
    std::printf("puts_per_s %.0f\nfailures %llu\n",
                static_cast<double>(puts.load()) / static_cast<double>(duration.count()),
                static_cast<unsigned long long>(failures.load()));
    return 0;
}
