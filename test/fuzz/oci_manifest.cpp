// OCI (and Docker v2) manifests, indexes and image configs, as registries
// and image archives hand them over, and a `docker save` archive's
// manifest.json. The first byte picks the document ('0' to '3'); a parsed
// manifest, index or config is written back and must read the same.
#include "image/oci.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace faasd;

template <typename T, typename Parse> void roundTrip(const Result<T>& parsed, Parse parse) {
    if (!parsed) {
        return;
    }
    const std::string once = image::toJson(*parsed);
    auto again = parse(once);
    if (!again || image::toJson(*again) != once) {
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: {
        auto manifest = image::parseManifest(text);
        roundTrip(manifest, image::parseManifest);
        break;
    }
    case 1: {
        auto index = image::parseIndex(text);
        roundTrip(index, image::parseIndex);
        if (index) {
            (void)image::selectManifest(*index, image::Platform{});
            (void)image::selectManifest(*index, image::Platform{"linux", "arm", "v7"});
        }
        break;
    }
    case 2: {
        auto config = image::parseImageConfig(text);
        roundTrip(config, image::parseImageConfig);
        if (config) {
            (void)image::chainIds(config->diffIds);
        }
        break;
    }
    case 3: {
        auto saved = image::parseDockerSaveManifest(text);
        if (saved && saved->layers.size() > text.size()) {
            __builtin_trap();
        }
        break;
    }
    }
    return 0;
}
