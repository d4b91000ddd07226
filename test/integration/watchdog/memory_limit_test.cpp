// fwatchdog serves under a 5 MiB memory limit: a memory cgroup (v1, or v2
// where v1 is not mounted) holds the watchdog and every process it starts.
// Needs root; exits 77 (skipped) without it.

#include "../../support/wait.hpp"
#include "../../unit/watchdog/watchdog_process.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::watchdog::test;
using namespace std::chrono_literals;

namespace {

constexpr long limitBytes = 5L << 20;

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    out.flush();
    return static_cast<bool>(out);
}

// A memory cgroup removed (after its processes are gone) on destruction.
class MemoryCgroup {
public:
    MemoryCgroup() {
        std::string name = "faasd-test-watchdog-" + std::to_string(::getpid());
        if (::access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0) {
            path_ = "/sys/fs/cgroup/memory/" + name;
            v1_ = true;
        } else {
            std::string root = ::access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0
                                   ? "/sys/fs/cgroup/unified/"
                                   : "/sys/fs/cgroup/";
            path_ = root + name;
        }
        REQUIRE(::mkdir(path_.c_str(), 0755) == 0);
        std::string limit = std::to_string(limitBytes);
        REQUIRE(writeText(path_ + (v1_ ? "/memory.limit_in_bytes" : "/memory.max"), limit));
        if (!v1_) {
            writeText(path_ + "/memory.swap.max", "0");
        }
    }
    ~MemoryCgroup() {
        // The cgroup can go once the kernel has seen its last process leave.
        waitUntil([&] { return ::rmdir(path_.c_str()) == 0; }, 10s, 100ms);
    }
    const std::string& path() const { return path_; }
    long peak() const {
        std::string file = v1_ ? "/memory.max_usage_in_bytes" : "/memory.peak";
        std::string text = readText(path_ + file);
        return text.empty() ? -1 : std::stol(text);
    }
    std::string oomKills() const {
        std::string events = readText(path_ + (v1_ ? "/memory.oom_control" : "/memory.events"));
        size_t at = events.find("oom_kill ");
        return at == std::string::npos ? "0"
                                       : events.substr(at + 9, events.find('\n', at) - at - 9);
    }
    // Runs fwatchdog inside: a shell moves itself in, then execs it.
    std::vector<std::string> wrapper() const {
        return {"/bin/sh", "-c", "echo $$ > " + path_ + "/cgroup.procs && exec \"$0\""};
    }

private:
    std::string path_;
    bool v1_ = false;
};

void requireRoot() {
    if (::geteuid() != 0) {
        std::fprintf(stderr, "memory limit test: needs root (cgroups); skipped\n");
        std::exit(77);
    }
}

} // namespace

TEST_CASE("classic mode serves under a 5 MiB memory limit", "[memory]") {
    requireRoot();
    MemoryCgroup cgroup;
    {
        auto w = WatchdogProcess::start({{"fprocess", "busybox cat"}}, true, cgroup.wrapper());
        std::string body(64 << 10, 'm');
        auto worker = [&] {
            auto client = w->client();
            int ok = 0;
            for (int i = 0; i < 60; ++i) {
                auto res = client.Post("/", body, "application/octet-stream");
                ok += res && res->status == 200 && res->body.size() == body.size();
            }
            return ok;
        };
        std::vector<std::future<int>> workers;
        for (int i = 0; i < 4; ++i) {
            workers.push_back(std::async(std::launch::async, worker));
        }
        int ok = 0;
        for (auto& f : workers) {
            ok += f.get();
        }
        CHECK(ok == 240);
        auto status = w->terminate(10s);
        REQUIRE(status);
        CHECK(*status == 0);
    }
    INFO("peak usage " << cgroup.peak() << " bytes");
    CHECK(cgroup.peak() <= limitBytes);
    CHECK(cgroup.oomKills() == "0");
    std::printf("classic: peak memory of the cgroup %ld KiB (limit %ld KiB)\n",
                cgroup.peak() / 1024, limitBytes / 1024);
}

TEST_CASE("http mode serves under a 5 MiB memory limit", "[memory]") {
    requireRoot();
    MemoryCgroup cgroup;
    {
        int port = freePort();
        auto w = WatchdogProcess::start(
            {{"mode", "http"},
             {"fprocess", builtPath("UPSTREAM_OK") + " " + std::to_string(port)},
             {"upstream_url", "http://127.0.0.1:" + std::to_string(port)}},
            true, cgroup.wrapper());
        auto worker = [&] {
            auto client = w->client();
            int ok = 0;
            for (int i = 0; i < 500; ++i) {
                auto res = client.Get("/");
                ok += res && res->status == 200 && res->body == "ok";
            }
            return ok;
        };
        std::vector<std::future<int>> workers;
        for (int i = 0; i < 8; ++i) {
            workers.push_back(std::async(std::launch::async, worker));
        }
        int ok = 0;
        for (auto& f : workers) {
            ok += f.get();
        }
        CHECK(ok == 4000);
        auto status = w->terminate(10s);
        REQUIRE(status);
        CHECK(*status == 0);
    }
    CHECK(cgroup.peak() <= limitBytes);
    CHECK(cgroup.oomKills() == "0");
    std::printf("http: peak memory of the cgroup %ld KiB (limit %ld KiB)\n", cgroup.peak() / 1024,
                limitBytes / 1024);
}
