#pragma once

// A network namespace other than ours, without root: a child process in a
// new user and network namespace (`unshare -Urn sleep`), addressed as
// /proc/<pid>/ns/net, killed and reaped when the test is done.

#include "common/subprocess.hpp"

#include <string>

namespace faasd::network::testing {

class SpareNetns {
public:
    SpareNetns();

    const std::string& path() const { return path_; }

private:
    Subprocess child_;
    std::string path_;
};

} // namespace faasd::network::testing
