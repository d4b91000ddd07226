// Function logs: each replica's task writes stdout and stderr to
// <state>/logs/<namespace>/<function>/<replica>.log (the shim appends to
// it), rotated to <replica>.log.1 past maxLogBytes. The files hold the raw
// lines, so a line's timestamp is when it was read while following, and the
// file's modification time for lines already there.

#include "provider/containerd_provider.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

namespace faasd::provider {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Source {
    std::string instance;
    fs::path path;
    uintmax_t offset = 0;
    std::string partial;
};

std::chrono::system_clock::time_point modified(const fs::path& path) {
    std::error_code ec;
    auto t = fs::last_write_time(path, ec);
    if (ec) {
        return std::chrono::system_clock::now();
    }
    return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        std::chrono::file_clock::to_sys(t));
}

// Reads path from offset to its end; returns the bytes read.
std::string readFrom(const fs::path& path, uintmax_t offset) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return {};
    }
    in.seekg(static_cast<std::streamoff>(offset));
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Splits complete lines off buffer (keeping a trailing partial line).
std::vector<std::string> takeLines(std::string& buffer) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        out.push_back(buffer.substr(start, nl - start));
    }
    buffer.erase(0, start);
    return out;
}

} // namespace

Result<void> ContainerdProvider::logs(const api::LogRequest& request, const LogSink& sink,
                                      const std::atomic<bool>& stop) {
    const std::string ns = request.ns.empty() ? config_.defaultNamespace : request.ns;
    {
        std::lock_guard lock(mu_);
        if (!functions_.contains(api::FunctionRefView{request.name, ns})) {
            return fail(Code::NotFound, "logs: function {} not found in namespace {}", request.name,
                        ns);
        }
    }
    const auto dir = logDir(ns, request.name);
    std::map<std::string, Source> sources;
    auto scan = [&] {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.path().extension() != ".log") {
                continue;
            }
            auto instance = entry.path().stem().string();
            if (!request.instance.empty() && instance != request.instance) {
                continue;
            }
            sources.try_emplace(instance, Source{instance, entry.path()});
        }
    };
    auto message = [&](const std::string& instance, std::string text,
                       std::chrono::system_clock::time_point ts) {
        return api::LogMessage{.name = request.name,
                               .ns = ns,
                               .instance = instance,
                               .timestamp = ts,
                               .text = std::move(text)};
    };

    scan();
    std::vector<api::LogMessage> backlog;
    for (auto& [instance, src] : sources) {
        auto rotated = src.path;
        rotated += ".1";
        std::string old = readFrom(rotated, 0);
        std::string cur = readFrom(src.path, 0);
        src.offset = cur.size();
        for (auto& line : takeLines(old)) {
            backlog.push_back(message(instance, std::move(line), modified(rotated)));
        }
        for (auto& line : takeLines(cur)) {
            backlog.push_back(message(instance, std::move(line), modified(src.path)));
        }
        src.partial = std::move(cur);
    }
    std::stable_sort(backlog.begin(), backlog.end(),
                     [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
    if (request.since) {
        std::erase_if(backlog, [&](const auto& m) { return m.timestamp < *request.since; });
    }
    size_t first = 0;
    if (request.tail && *request.tail >= 0 && static_cast<size_t>(*request.tail) < backlog.size()) {
        first = backlog.size() - static_cast<size_t>(*request.tail);
    }
    for (size_t i = first; i < backlog.size(); ++i) {
        if (!sink(backlog[i])) {
            return {};
        }
    }
    while (request.follow && !stop) {
        std::this_thread::sleep_for(100ms);
        scan();
        for (auto& [instance, src] : sources) {
            std::error_code ec;
            auto size = fs::file_size(src.path, ec);
            if (ec) {
                continue;
            }
            if (size < src.offset) { // rotated: truncated in place
                src.offset = 0;
            }
            if (size == src.offset) {
                continue;
            }
            std::string fresh = readFrom(src.path, src.offset);
            src.offset += fresh.size();
            src.partial += fresh;
            for (auto& line : takeLines(src.partial)) {
                if (!sink(message(instance, std::move(line), std::chrono::system_clock::now()))) {
                    return {};
                }
            }
        }
    }
    return {};
}

} // namespace faasd::provider
