// The network integration tests run the real plugins from Debian's
// containernetworking-plugins as root. Without root or the plugins they
// exit 77, which meson reports as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <iostream>
#include <unistd.h>

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::cerr << "network integration tests need root: skipped\n";
        return 77;
    }
    for (const char* need : {"/usr/lib/cni/bridge", "/usr/lib/cni/host-local",
                             "/usr/lib/cni/loopback", "/usr/lib/cni/firewall", "/bin/busybox"}) {
        if (::access(need, X_OK) != 0) {
            std::cerr << need << " is missing (hack/install-deps.sh installs it): skipped\n";
            return 77;
        }
    }
    return Catch::Session().run(argc, argv);
}
