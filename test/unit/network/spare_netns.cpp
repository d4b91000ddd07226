#include "spare_netns.hpp"

#include "../../support/wait.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

namespace faasd::network::testing {

namespace {

ino_t inodeOf(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

Subprocess spawnHolder() {
    auto child = Subprocess::spawn({
        .argv = {"unshare", "--user", "--map-root-user", "--net", "sleep", "120"},
        .out = Stdio::Null,
        .err = Stdio::Pipe,
        .newSession = true,
    });
    REQUIRE(child);
    return std::move(*child);
}

} // namespace

SpareNetns::SpareNetns() : child_(spawnHolder()) {
    path_ = "/proc/" + std::to_string(child_.pid()) + "/ns/net";
    const ino_t ours = inodeOf("/proc/self/ns/net");
    bool exited = false;
    const bool entered = waitUntil(
        [&] {
            const ino_t theirs = inodeOf(path_);
            if (theirs != 0 && theirs != ours) {
                return true;
            }
            exited = child_.poll().has_value();
            return exited;
        },
        std::chrono::seconds(10));
    if (exited) {
        FAIL("unshare -Urn could not make a network namespace (user namespaces disabled?)");
    }
    if (!entered) {
        FAIL("unshare -Urn did not enter a new network namespace in time");
    }
}

} // namespace faasd::network::testing
