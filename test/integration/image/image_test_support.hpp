#pragma once

// Helpers for the image integration tests: a private containerd namespace,
// "nothing left behind" checks, and running an image to its exit.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "image/store.hpp"

#include <string>

namespace faasd::testing {

// A client in a namespace of its own, purged when the test ends.
struct Ns {
    Ns();
    ~Ns();
    std::string name;
    containerd::Client client;
};

// Waits (a few seconds at most) for gc to empty the content store and the
// snapshotter of the namespace.
void waitForEmpty(const containerd::Client& client);

// Checks, after gc had its chance, that no image, lease, content, ingest,
// snapshot, container or task is left in the namespace.
void checkNothingLeft(const containerd::Client& client);

struct RunResult {
    uint32_t exitCode = 0;
    std::string output;
};

// Unpacks the image, runs its command in a container and removes the
// container, its snapshot and lease again.
Result<RunResult> runImage(const containerd::Client& client, const image::ResolvedImage& image);

// A loopback port nothing listens on.
int closedPort();

} // namespace faasd::testing
