// What a CNI plugin chain prints on ADD (and what the result cache keeps
// of it): the typed result and the attachment picked from it.
#include "network/cni_result.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    auto json = nlohmann::json::parse(data, data + size, nullptr, false);
    if (json.is_discarded()) {
        return 0;
    }
    auto result = network::parseCniResult(json);
    if (result) {
        for (const auto& ip : result->ips) {
            (void)network::splitCidr(ip.address);
        }
    }
    (void)network::makeAttachResult("id", "/var/run/netns/fuzz", "eth0", json);
    return 0;
}
