#include "build/builder_api.hpp"

#include "build/context_tar.hpp"
#include "common/hmac.hpp"
#include "common/log.hpp"
#include "common/scope_exit.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace faasd::build {
namespace {

namespace fs = std::filesystem;

const Logger kLog("builder");

constexpr size_t kMaxNameLength = 63;

BuilderAnswer refuse(unsigned httpStatus, std::string message, std::string image = {}) {
    return {.httpStatus = httpStatus,
            .status = "failed",
            .image = std::move(image),
            .log = {std::move(message)}};
}

std::string dump(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Holds one of the builder's slots, if one was free.
class BuildSlot {
public:
    BuildSlot(std::atomic<unsigned>& running, unsigned limit) : running_(running) {
        unsigned now = running_.load();
        while (now < limit) {
            if (running_.compare_exchange_weak(now, now + 1)) {
                held_ = true;
                return;
            }
        }
    }
    ~BuildSlot() {
        if (held_) {
            running_.fetch_sub(1);
        }
    }
    BuildSlot(const BuildSlot&) = delete;
    BuildSlot& operator=(const BuildSlot&) = delete;
    explicit operator bool() const { return held_; }

private:
    std::atomic<unsigned>& running_;
    bool held_ = false;
};

// A fresh folder under base, removed with what is in it on destruction.
class UploadDir {
public:
    static Result<UploadDir> create(const fs::path& base) {
        std::string templ = (base / "build-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) {
            return fail(systemError(fmt::format("creating a folder in {}", base.string()), errno));
        }
        return UploadDir(templ);
    }
    UploadDir(UploadDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    UploadDir& operator=(UploadDir&&) = delete;
    ~UploadDir() {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove_all(path_, ec);
            if (ec) {
                kLog.warn("removing {}: {}", path_.string(), ec.message());
            }
        }
    }
    const fs::path& path() const { return path_; }

private:
    explicit UploadDir(fs::path path) : path_(std::move(path)) {}
    fs::path path_;
};

} // namespace

namespace {

// The answer's JSON object; a failed one names its error (the last log
// line), which faas-cli prints.
nlohmann::json answerObject(const BuilderAnswer& a, nlohmann::json log, const std::string& status) {
    nlohmann::json out = {{"log", std::move(log)}, {"image", a.image}, {"status", status}};
    if (status == "failed" && !a.log.empty()) {
        out["error"] = a.log.back();
    }
    return out;
}

} // namespace

std::string answerJson(const BuilderAnswer& a) {
    return dump(answerObject(a, a.log, a.status));
}

std::string answerNdjson(const BuilderAnswer& a) {
    std::string out;
    const bool failed = a.status != "success";
    const size_t progress = failed && !a.log.empty() ? a.log.size() - 1 : a.log.size();
    for (size_t i = 0; i < progress; ++i) {
        out += dump(answerObject(a, {a.log[i]}, "in_progress"));
        out += '\n';
    }
    auto last = nlohmann::json::array();
    if (progress < a.log.size()) {
        last.push_back(a.log.back());
    }
    out += dump(answerObject(a, std::move(last), a.status));
    out += '\n';
    return out;
}

std::string functionNameFor(const image::Reference& reference) {
    std::string_view path = reference.path;
    if (auto slash = path.rfind('/'); slash != std::string_view::npos) {
        path.remove_prefix(slash + 1);
    }
    std::string name;
    for (char c : path) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            name += c;
        } else if (!name.empty() && name.back() != '-') {
            name += '-';
        }
    }
    if (name.size() > kMaxNameLength) {
        name.resize(kMaxNameLength);
    }
    while (!name.empty() && name.back() == '-') {
        name.pop_back();
    }
    return name.empty() ? "function" : name;
}

Result<void> prepareBuildsDir(const fs::path& buildsDir) {
    std::error_code ec;
    fs::create_directories(buildsDir, ec);
    if (ec) {
        return fail(Code::PermissionDenied, "creating {}: {}", buildsDir.string(), ec.message());
    }
    fs::permissions(buildsDir, fs::perms::owner_all, ec);
    for (fs::directory_iterator it(buildsDir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code removed;
        fs::remove_all(it->path(), removed);
        if (removed) {
            return fail(Code::Internal, "removing {}: {}", it->path().string(), removed.message());
        }
        kLog.info("removed {}, left by an earlier run", it->path().string());
    }
    if (ec) {
        return fail(Code::Internal, "listing {}: {}", buildsDir.string(), ec.message());
    }
    return {};
}

RemoteBuilder::RemoteBuilder(RemoteBuilderConfig config, ContextBuilder build)
    : config_(std::move(config)), key_(trimSecret(config_.payloadSecret)),
      build_(std::move(build)) {
    config_.concurrency = std::max(1u, config_.concurrency);
}

BuilderAnswer RemoteBuilder::handle(std::string_view body,
                                    const std::optional<std::string>& signature) {
    if (!signature || signature->empty()) {
        return refuse(401, "the request is not signed: X-Build-Signature is missing");
    }
    if (key_.empty() || !verifySha256Signature(key_, body, *signature)) {
        return refuse(401, "X-Build-Signature does not match the body: sign it with the "
                           "daemon's payload secret");
    }
    if (body.size() > config_.maxBytes) {
        return refuse(413, fmt::format("the upload is {} bytes; this builder takes at most {}",
                                       body.size(), config_.maxBytes));
    }
    BuildSlot slot(running_, config_.concurrency);
    if (!slot) {
        return refuse(429, fmt::format("{} build(s) already running, the most this builder runs "
                                       "at once; try again later",
                                       config_.concurrency));
    }
    return build(body);
}

BuilderAnswer RemoteBuilder::build(std::string_view body) {
    auto dir = UploadDir::create(config_.buildsDir);
    if (!dir) {
        kLog.error("{}", dir.error().message());
        return refuse(500, dir.error().message());
    }
    auto extracted = extractContextTar(body, dir->path(), config_.maxBytes);
    if (!extracted) {
        kLog.info("refused an upload: {}", extracted.error().message());
        const unsigned status = extracted.error().code() == Code::InvalidArgument ? 400 : 500;
        return refuse(status, extracted.error().message());
    }
    const BuilderConfig& c = extracted->config;
    auto reference = image::parseReference(c.image); // checked by the extraction
    ContextBuild request{
        .name = reference ? functionNameFor(*reference) : "function",
        .context = extracted->context,
        .image = c.image,
        .buildArgs = c.buildArgs,
        .platforms = c.platforms,
        .ns = config_.ns,
        .push = !c.skipPush,
        .trustContextRecipe = false,
    };
    BuilderAnswer answer{.image = c.image};
    std::mutex logMutex;
    auto log = [&](const std::string& line) {
        std::lock_guard lock(logMutex);
        answer.log.push_back(line);
    };
    kLog.info("building {} ({} entries, {} bytes)", c.image, extracted->entries, extracted->bytes);
    const auto start = std::chrono::steady_clock::now();
    auto built = build_(request, config_.env, log);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    std::lock_guard lock(logMutex);
    if (!built) {
        kLog.warn("building {} failed after {} ms: {}", c.image, ms, built.error().message());
        answer.httpStatus = 500;
        answer.status = "failed";
        answer.log.push_back(built.error().message());
        return answer;
    }
    kLog.info("built {} as {} {} in {} ms{}", c.image, built->image, built->digest, ms,
              built->pushed ? ", pushed" : "");
    answer.httpStatus = 200;
    answer.status = "success";
    return answer;
}

} // namespace faasd::build
