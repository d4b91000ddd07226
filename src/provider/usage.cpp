#include "provider/usage.hpp"

#include "common/files.hpp"

#include <charconv>
#include <set>
#include <string_view>

namespace faasd::provider {

namespace {

std::optional<uint64_t> readNumber(const std::filesystem::path& file) {
    auto text = readFile(file);
    if (!text) {
        return std::nullopt;
    }
    uint64_t value = 0;
    const char* begin = text->data();
    const char* end = begin + text->size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc{} || ptr == begin) {
        return std::nullopt;
    }
    return value;
}

// "usage_usec N" from a cgroup v2 cpu.stat.
std::optional<uint64_t> usageUsec(const std::filesystem::path& file) {
    auto text = readFile(file);
    if (!text) {
        return std::nullopt;
    }
    constexpr std::string_view kKey = "usage_usec ";
    std::string_view rest(*text);
    size_t at = rest.find(kKey);
    if (at == std::string_view::npos || (at != 0 && rest[at - 1] != '\n')) {
        return std::nullopt;
    }
    rest.remove_prefix(at + kKey.size());
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc{} || ptr == rest.data()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::optional<CgroupSample> readCgroup(const std::filesystem::path& root,
                                       const std::string& cgroupPath) {
    std::string_view relative(cgroupPath);
    while (!relative.empty() && relative.front() == '/') {
        relative.remove_prefix(1);
    }
    std::error_code ec;
    if (std::filesystem::exists(root / "cgroup.controllers", ec)) { // v2
        const auto dir = root / relative;
        auto memory = readNumber(dir / "memory.current");
        auto cpu = usageUsec(dir / "cpu.stat");
        if (!memory || !cpu) {
            return std::nullopt;
        }
        return CgroupSample{*memory, std::chrono::microseconds(*cpu)};
    }
    auto memory = readNumber(root / "memory" / relative / "memory.usage_in_bytes");
    auto cpu = readNumber(root / "cpuacct" / relative / "cpuacct.usage");
    if (!memory || !cpu) {
        return std::nullopt;
    }
    return CgroupSample{*memory, std::chrono::nanoseconds(*cpu)};
}

api::FunctionUsage UsageMeter::measure(const std::vector<std::string>& cgroupPaths,
                                       Clock::time_point now) {
    api::FunctionUsage usage;
    std::lock_guard lock(mu_);
    std::erase_if(last_, [&](const auto& kv) { return now - kv.second.seen > kForget; });
    for (const auto& path : cgroupPaths) {
        auto sample = readCgroup(root_, path);
        if (!sample) {
            continue;
        }
        usage.totalMemoryBytes += sample->memoryBytes;
        auto [it, inserted] = last_.try_emplace(path, Last{*sample, now, now, 0});
        Last& last = it->second;
        last.seen = now;
        // A rate over less than a second is mostly noise: keep the last one.
        if (!inserted && now - last.at >= std::chrono::seconds(1)) {
            const auto spent = sample->cpu - last.sample.cpu;
            const std::chrono::duration<double> elapsed = now - last.at;
            last.cores = spent.count() > 0
                             ? std::chrono::duration<double>(spent).count() / elapsed.count()
                             : 0;
            last.sample = *sample;
            last.at = now;
        }
        usage.cpu += last.cores;
    }
    return usage;
}

} // namespace faasd::provider
