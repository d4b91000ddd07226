#include "triggers/source.hpp"

#include "common/strings.hpp"

namespace faasd::triggers {

Result<bool> syncMode(const api::StringMap& annotations) {
    auto it = annotations.find(std::string(kModeAnnotation));
    if (it == annotations.end()) {
        return false;
    }
    auto mode = asciiLower(trimBlank(it->second));
    if (mode.empty() || mode == "async") {
        return false;
    }
    if (mode == "sync") {
        return true;
    }
    return fail(Code::InvalidArgument, "{}: \"{}\" is not one of async, sync", kModeAnnotation,
                it->second);
}

} // namespace faasd::triggers
