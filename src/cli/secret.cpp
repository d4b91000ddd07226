// faasd secret create|update|list|remove: /system/secrets. Values come from
// --from-literal, --from-file (sent as rawValue, so any bytes) or stdin.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"
#include "common/files.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct SecretFlags {
    GatewayFlags gateway;
    std::string name;
    std::string ns;
    std::optional<std::string> literal;
    std::string file;
    bool noTrim = false;
};

std::string trim(std::string text) {
    const char* space = " \t\r\n";
    auto end = text.find_last_not_of(space);
    if (end == std::string::npos) {
        return {};
    }
    text.erase(end + 1);
    text.erase(0, text.find_first_not_of(space));
    return text;
}

Result<api::Secret> secretFromFlags(const SecretFlags& f) {
    TRY(api::validateSecretName(f.name));
    if (!f.ns.empty()) {
        TRY(api::validateName("namespace", f.ns));
    }
    if (f.literal && !f.file.empty()) {
        return fail(Code::InvalidArgument, "give --from-literal or --from-file, not both");
    }
    api::Secret secret{.name = f.name, .ns = f.ns};
    if (!f.file.empty()) {
        TRY_ASSIGN(auto bytes, readFile(f.file));
        secret.rawValue = std::move(bytes);
    } else if (f.literal) {
        secret.value = f.noTrim ? *f.literal : trim(*f.literal);
    } else {
        TRY_ASSIGN(auto input, readStdin("Reading from STDIN - hit (Control + D) to stop."));
        secret.value = f.noTrim ? input : trim(input);
    }
    if (secret.bytes().empty()) {
        return fail(Code::InvalidArgument, "secret {} has an empty value", f.name);
    }
    return secret;
}

Result<void> writeSecret(const SecretFlags& f, bool update) {
    TRY_ASSIGN(auto secret, secretFromFlags(f));
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    fmt::print("{} secret: {}\n", update ? "Updating" : "Creating", f.name);
    std::fflush(stdout);
    TRY_ASSIGN(auto answer, client.send({.method = update ? "PUT" : "POST",
                                         .path = "/system/secrets",
                                         .body = api::toJson(secret),
                                         .contentType = "application/json"}));
    const std::string what = (update ? "updating secret " : "creating secret ") + f.name;
    if (answer.status == 404 && update) {
        return fail(Code::NotFound, "{}: no secret {} to update; create it first", what, f.name);
    }
    if (answer.status == 409) {
        return fail(Code::AlreadyExists, "{}: it exists already; use faasd secret update", what);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    fmt::print("{}: {}\n", update ? "Updated" : "Created", f.name);
    return {};
}

Result<void> listSecrets(const SecretFlags& f) {
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    KeyValues query;
    if (!f.ns.empty()) {
        query.emplace_back("namespace", f.ns);
    }
    TRY_ASSIGN(auto answer, client.send({.path = "/system/secrets", .query = query}));
    if (!answer.ok()) {
        return fail(answerError(answer, "listing secrets", client.url()));
    }
    TRY_ASSIGN(auto secrets,
               withContext(api::parseSecretList(answer.body), "the gateway's secret list"));
    fmt::print("NAME\n");
    for (const auto& s : secrets) {
        fmt::print("{}\n", s.name);
    }
    return {};
}

Result<void> removeSecret(const SecretFlags& f) {
    TRY(api::validateSecretName(f.name));
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    api::Secret secret{.name = f.name, .ns = f.ns};
    KeyValues query;
    if (!f.ns.empty()) {
        query.emplace_back("namespace", f.ns);
    }
    TRY_ASSIGN(auto answer, client.send({.method = "DELETE",
                                         .path = "/system/secrets",
                                         .query = query,
                                         .body = api::toJson(secret),
                                         .contentType = "application/json"}));
    const std::string what = "removing secret " + f.name;
    if (answer.status == 404) {
        return fail(Code::NotFound, "{}: no such secret", what);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    fmt::print("Removed: {}\n", f.name);
    return {};
}

Command& secretVerb(Command& parent, const char* name, const char* help,
                    const std::shared_ptr<SecretFlags>& f) {
    auto& cmd = parent.subcommand(name, help);
    addGatewayFlags(cmd, f->gateway);
    cmd.option("-n,--namespace", f->ns, "namespace (default: the gateway's)");
    return cmd;
}

void addValueFlags(Command& cmd, const std::shared_ptr<SecretFlags>& f) {
    cmd.positional("name", f->name, "secret name").required();
    cmd.option("--from-literal", f->literal, "the value");
    cmd.option("--from-file", f->file, "a file holding the value (any bytes)");
    cmd.flag("--no-trim", f->noTrim,
             "keep leading and trailing whitespace of a literal or stdin value");
}

} // namespace

void addSecret(Command& app) {
    auto& cmd = app.subcommand("secret", "Manage function secrets");
    cmd.requireSubcommand();

    auto create = std::make_shared<SecretFlags>();
    auto& c = secretVerb(cmd, "create", "Create a secret (value from a flag or stdin)", create);
    addValueFlags(c, create);
    c.callback([create] { runVerb([&] { return writeSecret(*create, false); }); });

    auto update = std::make_shared<SecretFlags>();
    auto& u = secretVerb(cmd, "update", "Replace a secret's value", update);
    addValueFlags(u, update);
    u.callback([update] { runVerb([&] { return writeSecret(*update, true); }); });

    auto listed = std::make_shared<SecretFlags>();
    auto& l = secretVerb(cmd, "list", "List secret names (never values)", listed);
    l.alias("ls");
    l.callback([listed] { runVerb([&] { return listSecrets(*listed); }); });

    auto removed = std::make_shared<SecretFlags>();
    auto& r = secretVerb(cmd, "remove", "Remove a secret", removed);
    r.alias("rm");
    r.positional("name", removed->name, "secret name").required();
    r.callback([removed] { runVerb([&] { return removeSecret(*removed); }); });
}

} // namespace faasd::cli
