// main() of every integration test binary: starts a private containerd for
// the run, or exits 77 (meson's "skipped") when the machine cannot run it.

#define CATCH_CONFIG_RUNNER
#include "containerd_daemon.hpp"

#include <catch2/catch.hpp>
#include <cstdio>

int main(int argc, char** argv) {
    if (auto reason = faasd::testing::integrationSkipReason(); !reason.empty()) {
        std::fprintf(stderr, "SKIP: %s\n", reason.c_str());
        return 77;
    }
    auto daemon = faasd::testing::ContainerdDaemon::start();
    if (!daemon) {
        std::fprintf(stderr, "cannot start containerd: %s\n", daemon.error().message().c_str());
        return 1;
    }
    int rc = Catch::Session().run(argc, argv);
    daemon->reset();
    return rc;
}
