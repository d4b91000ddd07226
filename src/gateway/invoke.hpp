#pragma once

// The parts of /function/ and /async-function/ that do not touch sockets.

#include "api/function_ref.hpp"
#include "common/error.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace faasd::gateway {

struct InvokeTarget {
    api::FunctionRef function;
    std::string path; // forwarded path, "/" by default
};

// The call's own headers, set by the gateway on requests and answers.
inline constexpr std::string_view kCallIdHeader = "X-Call-Id";
inline constexpr std::string_view kStartTimeHeader = "X-Start-Time";

// "say.dev/a/b" -> {say, dev, /a/b}; the namespace split is at the last '.'
// of the first segment. Invalid names are NotFound (nothing can be there).
Result<InvokeTarget> parseInvokeTarget(std::string_view target, const std::string& defaultNs);
// The same into out (whose strings keep their capacity); false when the
// name or namespace is invalid, which invalidTarget() then describes.
bool parseInvokeTarget(std::string_view target, const std::string& defaultNs, InvokeTarget& out);
Error invalidTarget(std::string_view target);

// Decimal Unix nanoseconds, as X-Start-Time carries them.
std::string unixNanos(std::chrono::system_clock::time_point tp);
void appendUnixNanos(std::string& out, std::chrono::system_clock::time_point tp);

// Does text look like an absolute http(s) URL with a host?
bool isCallbackUrl(std::string_view text);

} // namespace faasd::gateway
