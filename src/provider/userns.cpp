#include "provider/userns.hpp"

#include "common/random.hpp"
#include "common/scope_exit.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace faasd::provider {

namespace fs = std::filesystem;

namespace {

std::optional<uint64_t> parseNumber(std::string_view text) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// Mounts what a snapshotter answered at target: one bind (a single layer)
// or one overlay.
Result<void> mountSnapshot(const std::vector<containerd::Mount>& mounts, const fs::path& target) {
    if (mounts.size() != 1) {
        return fail(Code::Internal, "a snapshot of {} mounts", mounts.size());
    }
    const auto& m = mounts[0];
    if (m.type == "bind" || m.type == "rbind") {
        if (::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
            return fail(systemError(fmt::format("bind-mounting {}", m.source), errno));
        }
        return {};
    }
    std::string data;
    for (const auto& option : m.options) {
        if (option == "rw" || option == "ro") {
            continue;
        }
        data += (data.empty() ? "" : ",") + option;
    }
    if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), 0, data.c_str()) != 0) {
        return fail(systemError(fmt::format("mounting the {} snapshot", m.type), errno));
    }
    return {};
}

thread_local uint32_t gOffset = 0; // nftw's callback takes no context
thread_local int gError = 0;

int shiftOne(const char* path, const struct stat* st, int, struct FTW*) {
    if (::lchown(path, st->st_uid + gOffset, st->st_gid + gOffset) != 0) {
        gError = errno;
        return 1;
    }
    if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) != 0 &&
        ::chmod(path, st->st_mode & 07777) != 0) {
        gError = errno;
        return 1;
    }
    return 0;
}

} // namespace

Result<IdRange> parseIdRange(std::string_view text) {
    auto colon = text.find(':');
    auto start = parseNumber(text.substr(0, colon));
    auto count =
        colon == std::string_view::npos ? std::nullopt : parseNumber(text.substr(colon + 1));
    if (!start || !count || *start == 0 || *count < 65536 || *start + *count > 0xFFFFFFFFull) {
        return fail(Code::InvalidArgument,
                    "\"{}\" is not START:COUNT host ids (START at least 1, COUNT at least 65536)",
                    text);
    }
    return IdRange{static_cast<uint32_t>(*start), static_cast<uint32_t>(*count)};
}

std::string remappedName(const std::string& parent, IdRange range) {
    return fmt::format("{}-userns-{}-{}", parent, range.hostStart, range.count);
}

Result<void> shiftOwners(const fs::path& root, uint32_t offset) {
    gOffset = offset;
    gError = 0;
    if (::nftw(root.c_str(), shiftOne, 32, FTW_PHYS | FTW_MOUNT) != 0) {
        return fail(systemError(fmt::format("shifting the owners under {}", root.string()),
                                gError != 0 ? gError : errno));
    }
    return {};
}

Result<std::string> remappedSnapshot(const containerd::SnapshotsApi& snapshots,
                                     const std::string& parent, IdRange range,
                                     const fs::path& scratch) {
    const std::string name = remappedName(parent, range);
    if (snapshots.stat(name)) {
        return name;
    }
    const std::string key = name + "-making-" + randomHex(4);
    TRY_ASSIGN(auto mounts, withContext(snapshots.prepare(key, parent), "preparing its copy"));
    bool committed = false;
    ScopeExit keyGuard([&] {
        if (!committed) {
            (void)snapshots.remove(key);
        }
    });
    const fs::path target = scratch / key;
    std::error_code ec;
    fs::create_directories(target, ec);
    if (ec) {
        return fail(systemError(fmt::format("creating {}", target.string()), ec.value()));
    }
    ScopeExit dirGuard([&] { fs::remove(target, ec); });
    TRY(mountSnapshot(mounts, target));
    {
        ScopeExit mountGuard([&] { ::umount2(target.c_str(), MNT_DETACH); });
        TRY(shiftOwners(target, range.hostStart));
    }
    auto commit = snapshots.commit(name, key);
    if (!commit && commit.error().code() != Code::AlreadyExists) {
        return fail(commit.error().context("committing the copy"));
    }
    committed = static_cast<bool>(commit); // another replica's copy won: ours goes
    return name;
}

} // namespace faasd::provider
