#pragma once

// Validation of what users send, with messages that say what is wrong.

#include "common/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace faasd::api {

// A function or namespace name: a DNS-1123 label (lowercase letters, digits
// and '-', starting and ending with a letter or digit, at most 63 chars).
Result<void> validateName(std::string_view what, std::string_view name);
// Whether validateName() would accept name, without building a message.
bool isValidName(std::string_view name);

// A secret name: a DNS-1123 subdomain-like name without '/' or "..".
Result<void> validateSecretName(std::string_view name);

// "128Mi", "1Gi", "512M", "1000000" -> bytes.
Result<int64_t> parseMemory(std::string_view text);
// "100m", "0.5", "2" -> millicores.
Result<int64_t> parseCpu(std::string_view text);

} // namespace faasd::api
