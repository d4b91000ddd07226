#include "image/pull.hpp"

#include <algorithm>

namespace faasd::image {

Result<PullPolicy> parsePullPolicy(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "always") {
        return PullPolicy::Always;
    }
    if (lower == "ifnotpresent" || lower.empty()) {
        return PullPolicy::IfNotPresent;
    }
    if (lower == "never") {
        return PullPolicy::Never;
    }
    return fail(Code::InvalidArgument,
                "pull policy \"{}\" is not one of Always, IfNotPresent, Never", text);
}

Result<ResolvedImage> ensureImage(const containerd::Client& client, std::string_view reference,
                                  PullPolicy policy, const RegistryOptions& options) {
    TRY_ASSIGN(auto ref, parseReference(reference));
    if (policy != PullPolicy::Always) {
        auto local = resolveImage(client, ref.str());
        if (local) {
            return local;
        }
        if (local.error().code() != Code::NotFound) {
            return local;
        }
        if (policy == PullPolicy::Never) {
            return fail(Code::FailedPrecondition,
                        "image {} is not in the local store and the pull policy is Never",
                        ref.str());
        }
    }
    return pullImage(client, ref, options);
}

} // namespace faasd::image
