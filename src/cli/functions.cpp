// faasd list and describe: the functions the gateway knows.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct FunctionFlags {
    GatewayFlags gateway;
    std::string ns;
    bool verbose = false;
    std::string name;
};

Result<void> listFunctions(const FunctionFlags& f) {
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer,
               client.send({.path = "/system/functions", .query = namespaceQuery(f.ns)}));
    if (!answer.ok()) {
        return fail(answerError(answer, "listing functions", client.url()));
    }
    TRY_ASSIGN(auto functions, withContext(api::parseFunctionStatusList(answer.body),
                                           "the gateway's function list"));
    std::sort(functions.begin(), functions.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    size_t nameWidth = 8;
    size_t imageWidth = 5;
    for (const auto& fn : functions) {
        nameWidth = std::max(nameWidth, fn.name.size());
        imageWidth = std::max(imageWidth, fn.image.size());
    }
    if (f.verbose) {
        fmt::print("{:<{}}  {:<{}}  {:>11}  {:>8}  {:>9}\n", "Function", nameWidth, "Image",
                   imageWidth, "Invocations", "Replicas", "Available");
        for (const auto& fn : functions) {
            fmt::print("{:<{}}  {:<{}}  {:>11}  {:>8}  {:>9}\n", fn.name, nameWidth, fn.image,
                       imageWidth, static_cast<uint64_t>(fn.invocationCount), fn.replicas,
                       fn.availableReplicas);
        }
    } else {
        fmt::print("{:<{}}  {:>11}  {:>8}\n", "Function", nameWidth, "Invocations", "Replicas");
        for (const auto& fn : functions) {
            fmt::print("{:<{}}  {:>11}  {:>8}\n", fn.name, nameWidth,
                       static_cast<uint64_t>(fn.invocationCount), fn.replicas);
        }
    }
    return {};
}

void printMap(std::string_view title, const api::StringMap& map) {
    if (map.empty()) {
        fmt::print("{:<20}<none>\n", fmt::format("{}:", title));
        return;
    }
    fmt::print("{}:\n", title);
    for (const auto& [k, v] : map) {
        fmt::print("  {}: {}\n", k, v);
    }
}

Result<void> describeFunction(const FunctionFlags& f) {
    TRY(api::validateName("function name", f.name));
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    auto query = namespaceQuery(f.ns);
    query.emplace_back("usage", "1");
    TRY_ASSIGN(auto answer,
               client.send({.path = "/system/function/" + percentEncode(f.name), .query = query}));
    const std::string what = "describing " + f.name;
    if (!answer.ok()) {
        return fail(functionError(answer, what, f.name, f.ns, client.url()));
    }
    TRY_ASSIGN(auto fn, withContext(api::parseFunctionStatus(answer.body), what));
    const std::string ns = fn.ns.empty() ? f.ns : fn.ns;
    auto line = [](std::string_view key, const auto& value) {
        fmt::print("{:<20}{}\n", fmt::format("{}:", key), value);
    };
    line("Name", fn.name);
    line("Namespace", ns.empty() ? std::string("-") : ns);
    line("Status", fn.availableReplicas > 0 ? "Ready" : "Not Ready");
    line("Replicas", fn.replicas);
    line("Available replicas", fn.availableReplicas);
    line("Invocations", static_cast<uint64_t>(fn.invocationCount));
    line("Image", fn.image);
    line("Function process", fn.envProcess.empty() ? std::string("-") : fn.envProcess);
    line("URL", functionUrl(client.url(), fn.name, ns));
    line("Async URL", client.url() + "/async-" +
                          functionUrl(client.url(), fn.name, ns).substr(client.url().size() + 1));
    if (fn.createdAt.time_since_epoch().count() != 0) {
        line("Created", api::formatRfc3339(fn.createdAt));
    }
    line("Read-only root", fn.readOnlyRootFilesystem ? "true" : "false");
    if (fn.limits) {
        line("Limits",
             fmt::format("memory={} cpu={}", fn.limits->memory.empty() ? "-" : fn.limits->memory,
                         fn.limits->cpu.empty() ? "-" : fn.limits->cpu));
    }
    if (fn.requests) {
        line("Requests", fmt::format("memory={} cpu={}",
                                     fn.requests->memory.empty() ? "-" : fn.requests->memory,
                                     fn.requests->cpu.empty() ? "-" : fn.requests->cpu));
    }
    if (fn.usage) {
        line("CPU", fmt::format("{:.3f} cores", fn.usage->cpu));
        line("Memory", fmt::format("{:.1f} MiB",
                                   static_cast<double>(fn.usage->totalMemoryBytes) / (1 << 20)));
    }
    line("Secrets", fn.secrets.empty() ? std::string("<none>")
                                       : fmt::format("{}", fmt::join(fn.secrets, ", ")));
    printMap("Environment", fn.envVars);
    printMap("Labels", fn.labels);
    printMap("Annotations", fn.annotations);
    return {};
}

} // namespace

void addList(Command& app) {
    auto& cmd = app.subcommand("list", "List the functions the gateway runs");
    cmd.alias("ls");
    auto f = std::make_shared<FunctionFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.option("-n,--namespace", f->ns, "namespace (default: the gateway's)");
    cmd.flag("-v,--verbose", f->verbose, "show images and available replicas");
    cmd.callback([f] { runVerb([&] { return listFunctions(*f); }); });
}

void addDescribe(Command& app) {
    auto& cmd = app.subcommand("describe", "Show one function's status and settings");
    auto f = std::make_shared<FunctionFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.positional("name", f->name, "function name").required();
    cmd.option("-n,--namespace", f->ns, "namespace (default: the gateway's)");
    cmd.callback([f] { runVerb([&] { return describeFunction(*f); }); });
}

} // namespace faasd::cli
