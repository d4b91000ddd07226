#pragma once

#include <string>

namespace faasd {

// n random bytes from the kernel, as 2n lowercase hex digits.
std::string randomHex(size_t bytes);

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", for
// identifiers (call ids), not secrets: it comes from a per-thread generator
// seeded from the kernel, so the invoke path makes no system call for it.
std::string uuid4();
// The same, appended to out.
void appendUuid4(std::string& out);

} // namespace faasd
