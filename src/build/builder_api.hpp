#pragma once

// The function builder API (faas-cli build|publish|up --remote-builder):
// a signed tar in, an image in containerd (and pushed) out, answered as
// {"log":[…],"image":"…","status":"success|failed"}.
//
//   RemoteBuilder builder(config);          // buildContext() does the work
//   BuilderAnswer a = builder.handle(body, signatureHeader);
//
// In order: the HMAC (401), the size (413), a free build slot (429, never
// queued), the tar (400), the build (500 with its log on failure). The
// upload is extracted into a fresh folder under buildsDir that is removed
// whatever happens. It knows nothing of HTTP beyond the status it answers.

#include "build/context_build.hpp"
#include "common/error.hpp"
#include "image/reference.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::build {

struct RemoteBuilderConfig {
    std::string payloadSecret;       // the HMAC key; surrounding whitespace is ignored
    std::filesystem::path buildsDir; // where uploads are extracted (see prepareBuildsDir)
    uint64_t maxBytes = 32ull << 20; // the body, and what it unpacks to
    unsigned concurrency = 1;        // builds at once; more are answered 429
    std::string ns = "openfaas-fn";  // containerd namespace images go into
    BuildEnvironment env;            // templates, fwatchdog, registry, buildah
};

struct BuilderAnswer {
    unsigned httpStatus = 200;
    std::string status; // "success" or "failed"
    std::string image;  // as the config named it; empty before it is read
    std::vector<std::string> log;
};

// {"log":[…],"image":"…","status":"…"}
std::string answerJson(const BuilderAnswer& answer);
// The same as NDJSON: one {"status":"in_progress"} object per log line,
// then the final status (a failure's object carries its last line, the
// error).
std::string answerNdjson(const BuilderAnswer& answer);

// A function's name from its image: the repository's last path component,
// lowercase, runs of anything but [a-z0-9] as one '-', at most 63
// characters; "function" when nothing is left.
std::string functionNameFor(const image::Reference& reference);

// Creates buildsDir (mode 0700) and removes what is in it: uploads a
// previous daemon left when it died mid-build.
Result<void> prepareBuildsDir(const std::filesystem::path& buildsDir);

using ContextBuilder = std::function<Result<ContextBuildResult>(
    const ContextBuild&, const BuildEnvironment&, const BuildLog&)>;

class RemoteBuilder {
public:
    // build is buildContext() but for tests.
    explicit RemoteBuilder(RemoteBuilderConfig config, ContextBuilder build = buildContext);
    RemoteBuilder(const RemoteBuilder&) = delete;
    RemoteBuilder& operator=(const RemoteBuilder&) = delete;

    // Blocking for as long as the build; call it off any event loop.
    // signature is the X-Build-Signature header, when sent.
    BuilderAnswer handle(std::string_view body, const std::optional<std::string>& signature);

    // Builds running now.
    unsigned running() const { return running_.load(); }
    const RemoteBuilderConfig& config() const { return config_; }

private:
    BuilderAnswer build(std::string_view body);

    RemoteBuilderConfig config_;
    std::string key_;
    ContextBuilder build_;
    std::atomic<unsigned> running_{0};
};

} // namespace faasd::build
