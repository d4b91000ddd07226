#include "network/result_cache.hpp"

#include "common/files.hpp"
#include "network/logger.hpp"
#include "network/names.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <unistd.h>

namespace faasd::network {

using nlohmann::json;

namespace {

constexpr std::string_view kKind = "faasd.cni.attachment/v1";
constexpr std::string_view kSuffix = ".json";

} // namespace

json toJson(const CachedAttachment& a) {
    return {
        {"kind", kKind},    {"containerId", a.id},  {"ifName", a.ifName},
        {"netns", a.netns}, {"config", a.conflist}, {"result", a.result},
    };
}

Result<CachedAttachment> cachedAttachmentFromJson(const json& in) {
    auto str = [&](const char* key) -> std::string {
        auto it = in.find(key);
        return it != in.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (!in.is_object() || str("kind") != kKind) {
        return fail(Code::InvalidArgument, "not an attachment record");
    }
    CachedAttachment a{
        .id = str("containerId"),
        .ifName = str("ifName"),
        .netns = str("netns"),
        .conflist = in.value("config", json()),
        .result = in.value("result", json()),
    };
    TRY(validateName("container id", a.id));
    if (!a.conflist.is_object()) {
        return fail(Code::InvalidArgument, "attachment record {} has no config", a.id);
    }
    return a;
}

std::filesystem::path ResultCache::pathFor(const std::string& id) const {
    return dir_ / (id + std::string(kSuffix));
}

Result<void> ResultCache::save(const CachedAttachment& attachment) const {
    TRY(validateName("container id", attachment.id));
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        return fail(systemError(fmt::format("creating {}", dir_.string()), ec.value()));
    }
    return writeFileAtomic(pathFor(attachment.id), toJson(attachment).dump() + "\n", 0600);
}

Result<std::optional<CachedAttachment>> ResultCache::load(const std::string& id) const {
    TRY(validateName("container id", id));
    const auto path = pathFor(id);
    auto text = readFile(path);
    if (!text) {
        if (text.error().code() == Code::NotFound) {
            return std::optional<CachedAttachment>();
        }
        return fail(text.error());
    }
    json in = json::parse(*text, nullptr, false);
    if (in.is_discarded()) {
        return fail(Code::InvalidArgument, "{}: not valid JSON", path.string());
    }
    TRY_ASSIGN(auto attachment, withContext(cachedAttachmentFromJson(in), path.string()));
    if (attachment.id != id) {
        return fail(Code::InvalidArgument, "{}: holds id {}", path.string(), attachment.id);
    }
    return std::optional<CachedAttachment>(std::move(attachment));
}

Result<void> ResultCache::remove(const std::string& id) const {
    TRY(validateName("container id", id));
    const auto path = pathFor(id);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail(systemError(fmt::format("removing {}", path.string()), errno));
    }
    return {};
}

Result<std::vector<CachedAttachment>> ResultCache::list() const {
    std::vector<CachedAttachment> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir_, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            return out;
        }
        return fail(systemError(fmt::format("listing {}", dir_.string()), ec.value()));
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) {
            return fail(systemError(fmt::format("listing {}", dir_.string()), ec.value()));
        }
        auto name = it->path().filename().string();
        if (!name.ends_with(kSuffix)) {
            continue; // e.g. a temporary file left by a crash mid-write
        }
        auto id = name.substr(0, name.size() - kSuffix.size());
        if (!validateName("container id", id)) {
            continue;
        }
        auto attachment = load(id);
        if (!attachment) {
            kLog.warn("skipping attachment record: {}", attachment.error().message());
            continue;
        }
        if (*attachment) {
            out.push_back(std::move(**attachment));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

} // namespace faasd::network
