#pragma once

#include <string>

namespace faasd {

// n random bytes from the kernel, as 2n lowercase hex digits.
std::string randomHex(size_t bytes);

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string uuid4();

} // namespace faasd
