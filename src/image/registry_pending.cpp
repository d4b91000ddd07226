// Placeholder definition until the registry client lands.
#include "image/pull.hpp"

namespace faasd::image {

Result<ResolvedImage> pullImage(const containerd::Client&, const Reference& reference,
                                const RegistryOptions&) {
    return fail(Code::Unimplemented, "pulling {}: registry pulls are not available yet",
                reference.str());
}

} // namespace faasd::image
