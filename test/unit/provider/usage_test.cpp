#include "common/files.hpp"
#include "provider/usage.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::provider;
using namespace std::chrono_literals;

namespace {

void write(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    REQUIRE(writeFileAtomic(file, text, 0644));
}

} // namespace

TEST_CASE("readCgroup reads cgroup v1: memory and cpuacct hierarchies") {
    auto dir = TempDir::create("faasd-usage-v1").value();
    write(dir.path() / "memory/faasd/fn/say-1/memory.usage_in_bytes", "4096\n");
    write(dir.path() / "cpuacct/faasd/fn/say-1/cpuacct.usage", "2500000000\n");
    auto s = readCgroup(dir.path(), "/faasd/fn/say-1");
    REQUIRE(s);
    CHECK(s->memoryBytes == 4096);
    CHECK(s->cpu == 2500ms);
    CHECK_FALSE(readCgroup(dir.path(), "/faasd/fn/gone"));
}

TEST_CASE("readCgroup reads cgroup v2: memory.current and cpu.stat") {
    auto dir = TempDir::create("faasd-usage-v2").value();
    write(dir.path() / "cgroup.controllers", "cpu memory pids\n");
    write(dir.path() / "faasd/fn/say-1/memory.current", "8192\n");
    write(dir.path() / "faasd/fn/say-1/cpu.stat", "usage_usec 1500000\nuser_usec 1000000\n");
    auto s = readCgroup(dir.path(), "/faasd/fn/say-1");
    REQUIRE(s);
    CHECK(s->memoryBytes == 8192);
    CHECK(s->cpu == 1500ms);
}

TEST_CASE("UsageMeter sums replicas: memory now, CPU as cores between readings") {
    auto dir = TempDir::create("faasd-usage-meter").value();
    auto set = [&](const std::string& id, uint64_t memory, uint64_t cpuNs) {
        write(dir.path() / "memory/faasd/fn" / id / "memory.usage_in_bytes",
              std::to_string(memory));
        write(dir.path() / "cpuacct/faasd/fn" / id / "cpuacct.usage", std::to_string(cpuNs));
    };
    UsageMeter meter(dir.path());
    const std::vector<std::string> both = {"/faasd/fn/a", "/faasd/fn/b"};
    auto t0 = UsageMeter::Clock::time_point(100s);
    set("a", 1000, 0);
    set("b", 2000, 0);
    auto first = meter.measure(both, t0);
    CHECK(first.totalMemoryBytes == 3000);
    CHECK(first.cpu == 0); // nothing to compare with yet

    set("a", 1000, 500'000'000);   // half a core over 1 s
    set("b", 2000, 1'000'000'000); // one core over 1 s
    auto second = meter.measure(both, t0 + 1s);
    CHECK(second.cpu == Approx(1.5));

    // Under a second later: the last rate stands.
    set("a", 1000, 600'000'000);
    CHECK(meter.measure(both, t0 + 1500ms).cpu == Approx(1.5));

    // A replica that went is no longer counted.
    auto one = meter.measure({"/faasd/fn/a"}, t0 + 3s);
    CHECK(one.totalMemoryBytes == 1000);
    CHECK(one.cpu == Approx(0.05)); // 0.1 s over 2 s
}

TEST_CASE("UsageMeter keeps each function's rate when functions are measured in turn") {
    auto dir = TempDir::create("faasd-usage-turns").value();
    auto set = [&](const std::string& id, uint64_t cpuNs) {
        write(dir.path() / "memory/faasd/fn" / id / "memory.usage_in_bytes", "1000");
        write(dir.path() / "cpuacct/faasd/fn" / id / "cpuacct.usage", std::to_string(cpuNs));
    };
    UsageMeter meter(dir.path());
    auto t0 = UsageMeter::Clock::time_point(100s);
    set("a", 0);
    set("b", 0);
    // A listing measures one function, then the next.
    CHECK(meter.measure({"/faasd/fn/a"}, t0).cpu == 0);
    CHECK(meter.measure({"/faasd/fn/b"}, t0).cpu == 0);
    set("a", 250'000'000);
    set("b", 2'000'000'000);
    CHECK(meter.measure({"/faasd/fn/a"}, t0 + 1s).cpu == Approx(0.25));
    CHECK(meter.measure({"/faasd/fn/b"}, t0 + 1s).cpu == Approx(2.0));

    // A cgroup nobody asks for is forgotten after a while: read again, it
    // starts over.
    set("b", 3'000'000'000);
    CHECK(meter.measure({"/faasd/fn/a"}, t0 + 1s + UsageMeter::kForget + 1s).cpu == 0);
    CHECK(meter.measure({"/faasd/fn/b"}, t0 + 1s + UsageMeter::kForget + 1s).cpu == 0);
}
