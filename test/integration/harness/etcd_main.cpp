// The main of every integration test on etcd (the client, the cluster, the
// daemon's member): they start their own etcd members on loopback
// (/usr/bin/etcd, from Debian's etcd-server); without it they exit 77,
// which meson reports as skipped. They need neither root nor containerd.
#define CATCH_CONFIG_RUNNER
#include "etcd_cluster.hpp"

#include <catch2/catch.hpp>
#include <cstdio>

int main(int argc, char** argv) {
    if (auto reason = faasd::testing::etcdSkipReason(); !reason.empty()) {
        std::fprintf(stderr, "SKIP: %s\n", reason.c_str());
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
