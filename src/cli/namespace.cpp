// faasd namespace list|create|remove: /system/namespaces and
// /system/namespace/{ns}.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct NamespaceFlags {
    GatewayFlags gateway;
    std::string name;
    std::vector<std::string> labels;
    std::vector<std::string> annotations;
};

Result<void> listNamespaces(const NamespaceFlags& f) {
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer, client.send({.path = "/system/namespaces"}));
    if (!answer.ok()) {
        return fail(answerError(answer, "listing namespaces", client.url()));
    }
    TRY_ASSIGN(auto names,
               withContext(api::parseNamespaceList(answer.body), "the gateway's namespace list"));
    for (const auto& name : names) {
        fmt::print("{}\n", name);
    }
    return {};
}

Result<void> createNamespace(const NamespaceFlags& f) {
    TRY(api::validateName("namespace", f.name));
    api::NamespaceRequest req{.name = f.name};
    for (const auto& l : f.labels) {
        TRY_ASSIGN(auto kv, splitKeyValue(l, "--label"));
        req.labels[kv.first] = kv.second;
    }
    for (const auto& a : f.annotations) {
        TRY_ASSIGN(auto kv, splitKeyValue(a, "--annotation"));
        req.annotations[kv.first] = kv.second;
    }
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer, client.send({.method = "POST",
                                         .path = "/system/namespace/" + f.name,
                                         .body = api::toJson(req),
                                         .contentType = "application/json"}));
    const std::string what = "creating namespace " + f.name;
    if (answer.status == 409) {
        return fail(Code::AlreadyExists, "{}: it exists already", what);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    fmt::print("Created namespace: {}\n", f.name);
    return {};
}

Result<void> removeNamespace(const NamespaceFlags& f) {
    TRY(api::validateName("namespace", f.name));
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer,
               client.send({.method = "DELETE", .path = "/system/namespace/" + f.name}));
    const std::string what = "removing namespace " + f.name;
    if (answer.status == 404) {
        return fail(Code::NotFound, "{}: no such namespace", what);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    fmt::print("Removed namespace: {}\n", f.name);
    return {};
}

} // namespace

void addNamespace(Command& app) {
    auto& cmd = app.subcommand("namespace", "Manage function namespaces");
    cmd.alias("ns");
    cmd.requireSubcommand();

    auto listed = std::make_shared<NamespaceFlags>();
    auto& l = cmd.subcommand("list", "List function namespaces, the default first");
    l.alias("ls");
    addGatewayFlags(l, listed->gateway);
    l.callback([listed] { runVerb([&] { return listNamespaces(*listed); }); });

    auto created = std::make_shared<NamespaceFlags>();
    auto& c = cmd.subcommand("create", "Create a function namespace");
    addGatewayFlags(c, created->gateway);
    c.positional("name", created->name, "namespace").required();
    c.option("-l,--label", created->labels, "label KEY=VALUE (repeatable)");
    c.option("--annotation", created->annotations, "annotation KEY=VALUE (repeatable)");
    c.callback([created] { runVerb([&] { return createNamespace(*created); }); });

    auto removed = std::make_shared<NamespaceFlags>();
    auto& r = cmd.subcommand("remove", "Remove a function namespace");
    r.alias("rm");
    addGatewayFlags(r, removed->gateway);
    r.positional("name", removed->name, "namespace").required();
    r.callback([removed] { runVerb([&] { return removeNamespace(*removed); }); });
}

} // namespace faasd::cli
