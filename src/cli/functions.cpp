// faasd list, describe and remove: the functions the gateway knows.

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
    std::string yaml;
    std::string filter;
    std::string regex;
};

KeyValues namespaceQuery(const std::string& ns) {
    return ns.empty() ? KeyValues{} : KeyValues{{"namespace", ns}};
}

std::string showNamespace(const std::string& ns) {
    return ns.empty() ? "the default namespace" : "namespace " + ns;
}

// A 404 about a named function reads "function NAME not found in ...".
Error functionError(const GatewayAnswer& answer, const std::string& what, const std::string& name,
                    const std::string& ns, const std::string& gateway) {
    if (answer.status == 404) {
        return Error(Code::NotFound,
                     fmt::format("{}: function {} not found in {}", what, name, showNamespace(ns)));
    }
    return answerError(answer, what, gateway);
}

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

Result<void> removeOne(GatewayClient& client, const std::string& name, const std::string& ns) {
    TRY(api::validateName("function name", name));
    fmt::print("Deleting: {}.\n", name);
    std::fflush(stdout);
    api::DeleteRequest req{.functionName = name, .ns = ns};
    TRY_ASSIGN(auto answer, client.send({.method = "DELETE",
                                         .path = "/system/functions",
                                         .query = namespaceQuery(ns),
                                         .body = api::toJson(req),
                                         .contentType = "application/json"}));
    if (!answer.ok()) {
        return fail(functionError(answer, "removing " + name, name, ns, client.url()));
    }
    fmt::print("Removed: {}.\n", name);
    return {};
}

Result<void> removeFunctions(const FunctionFlags& f) {
    if (!f.name.empty()) {
        if (!f.yaml.empty()) {
            return fail(Code::InvalidArgument, "give a function name or -f, not both");
        }
        TRY_ASSIGN(auto client, connectGateway(f.gateway));
        return removeOne(client, f.name, f.ns);
    }
    TRY_ASSIGN(auto s,
               loadSelected(f.yaml, f.filter, f.regex, "give a function name, or -f stack.yml"));
    const config::Stack& stack = s.stack;
    const auto& selected = s.functions;
    TRY_ASSIGN(auto client, connectGateway(f.gateway, stack.provider.gateway));
    size_t failed = 0;
    for (const auto& fn : selected) {
        auto r = removeOne(client, fn.name, f.ns.empty() ? fn.ns : f.ns);
        if (!r) {
            if (selected.size() == 1 || r.error().code() == Code::Unavailable ||
                r.error().code() == Code::PermissionDenied) {
                return r;
            }
            ++failed;
            std::fflush(stdout);
            fmt::print(stderr, "faasd: {}\n", r.error().message());
        }
    }
    if (failed > 0) {
        return fail(Code::Internal, "{} of {} functions could not be removed", failed,
                    selected.size());
    }
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

void addRemove(Command& app) {
    auto& cmd = app.subcommand("remove", "Remove a function, or a stack file's functions");
    cmd.alias("rm");
    auto f = std::make_shared<FunctionFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.positional("name", f->name, "function name");
    cmd.option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd.option("--filter", f->filter, "remove the functions whose name matches a wildcard");
    cmd.option("--regex", f->regex, "remove the functions whose name matches a regex");
    cmd.option("-n,--namespace", f->ns, "namespace (default: the function's or the gateway's)");
    cmd.callback([f] { runVerb([&] { return removeFunctions(*f); }); });
}

} // namespace faasd::cli
