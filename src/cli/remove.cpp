// faasd remove: one function by name, or a stack file's functions.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct RemoveFlags {
    GatewayFlags gateway;
    std::string ns;
    std::string name;
    std::string yaml;
    std::string filter;
    std::string regex;
};

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

Result<void> removeFunctions(const RemoveFlags& f) {
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

void addRemove(Command& app) {
    auto& cmd = app.subcommand("remove", "Remove a function, or a stack file's functions");
    cmd.alias("rm");
    auto f = std::make_shared<RemoveFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.positional("name", f->name, "function name");
    cmd.option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd.option("--filter", f->filter, "remove the functions whose name matches a wildcard");
    cmd.option("--regex", f->regex, "remove the functions whose name matches a regex");
    cmd.option("-n,--namespace", f->ns, "namespace (default: the function's or the gateway's)");
    cmd.callback([f] { runVerb([&] { return removeFunctions(*f); }); });
}

} // namespace faasd::cli
