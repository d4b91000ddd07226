// The OpenFaaS JSON types as the gateway reads them from callers and the
// command line reads them from gateways. The first byte picks the parser;
// what parses is written back and must parse again to the same JSON.
#include "api/json.hpp"
#include "api/validate.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace faasd;

// toJson(parse(toJson(x))) == toJson(x): what we write, we read.
template <typename T, typename Parse> void roundTrip(const Result<T>& parsed, Parse parse) {
    if (!parsed) {
        return;
    }
    const std::string once = api::toJson(*parsed);
    auto again = parse(once);
    if (!again || api::toJson(*again) != once) {
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 12) {
    case 0:
        roundTrip(api::parseFunctionDeployment(text), api::parseFunctionDeployment);
        break;
    case 1:
        roundTrip(api::parseFunctionStatus(text), api::parseFunctionStatus);
        break;
    case 2:
        roundTrip(api::parseFunctionStatusList(text), api::parseFunctionStatusList);
        break;
    case 3:
        roundTrip(api::parseScaleRequest(text), api::parseScaleRequest);
        break;
    case 4:
        roundTrip(api::parseDeleteRequest(text), api::parseDeleteRequest);
        break;
    case 5:
        roundTrip(api::parseSecret(text), api::parseSecret);
        break;
    case 6:
        (void)api::parseSecretList(text);
        break;
    case 7:
        roundTrip(api::parseNamespaceRequest(text), api::parseNamespaceRequest);
        (void)api::parseNamespaceList(text);
        break;
    case 8:
        roundTrip(api::parseLogMessage(text), api::parseLogMessage);
        break;
    case 9:
        roundTrip(api::parseProviderInfo(text), api::parseProviderInfo);
        break;
    case 10:
        roundTrip(api::parseTriggerList(text), api::parseTriggerList);
        break;
    case 11:
        if (auto tp = api::parseRfc3339(text)) {
            (void)api::formatRfc3339(*tp);
        }
        (void)api::parseMemory(text);
        (void)api::parseCpu(text);
        (void)api::validateName("name", text);
        break;
    }
    return 0;
}
