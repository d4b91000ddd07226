#include "daemon/builder_adapter.hpp"

#include "build/function_build.hpp"
#include "build/template.hpp"
#include "daemon/component_config.hpp"

namespace faasd::daemon {

build::RemoteBuilderConfig builderConfigFrom(const config::DaemonConfig& c,
                                             const std::string& payloadSecret,
                                             std::vector<std::string>& warnings) {
    build::RemoteBuilderConfig b;
    b.payloadSecret = payloadSecret;
    b.buildsDir = c.buildsDir();
    b.maxBytes = c.builder.maxBytes;
    b.concurrency = static_cast<unsigned>(c.builder.concurrency);
    b.ns = "openfaas-fn";
    if (auto templates = build::findTemplatesDir(""); templates) {
        b.env.templatesDir = *templates;
    } else {
        warnings.push_back(templates.error().message());
    }
    if (auto watchdog = build::findWatchdog(); watchdog) {
        b.env.watchdog = *watchdog;
    } else {
        warnings.push_back(watchdog.error().message());
    }
    b.env.containerdSocket = c.containerdSocket;
    b.env.registry = providerConfigFrom(c).registry;
    b.env.buildahRoot = c.builder.buildahRoot;
    return b;
}

gateway::BuildAnswer GatewayBuilder::build(const gateway::BuildCall& call) {
    auto answer = builder_.handle(call.body, call.signature);
    if (call.accept.find("application/x-ndjson") != std::string::npos) {
        // A streaming client reads the outcome from the last line; a build
        // that ran and failed is told there (faas-cli shows its error),
        // while refusals keep their status code.
        const unsigned status = answer.httpStatus == 500 ? 200 : answer.httpStatus;
        return {status, "application/x-ndjson", build::answerNdjson(answer)};
    }
    return {answer.httpStatus, "application/json", build::answerJson(answer)};
}

} // namespace faasd::daemon
