// faasd login / logout: basic-auth credentials for a gateway, checked
// against it (GET /system/functions, as faas-cli does) and kept in
// faas-cli's config file, 0600.

#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct LoginFlags {
    GatewayFlags gateway;
    std::string user = "admin";
    std::string password;
    bool passwordStdin = false;
};

Result<void> login(const LoginFlags& f) {
    std::string password = f.password;
    if (f.passwordStdin) {
        if (!password.empty()) {
            return fail(Code::InvalidArgument, "give --password or --password-stdin, not both");
        }
        TRY_ASSIGN(password, readStdin(""));
        while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
            password.pop_back();
        }
    } else if (password.empty()) {
        return fail(Code::InvalidArgument, "give the password with --password-stdin");
    } else {
        fmt::print(stderr, "faasd: warning: --password is visible to other users of this "
                           "machine; prefer --password-stdin\n");
    }
    if (password.empty()) {
        return fail(Code::InvalidArgument, "the password is empty");
    }
    if (f.user.empty() || f.user.find(':') != std::string::npos) {
        return fail(Code::InvalidArgument, "user \"{}\": must be non-empty, without ':'", f.user);
    }
    const auto env = config::processEnv();
    TRY_ASSIGN(auto options, gatewayOptions(f.gateway, "", env));
    options.credentials = Credentials{f.user, password};
    GatewayClient client(options);
    TRY_ASSIGN(auto answer, client.send({.path = "/system/functions"}));
    if (answer.status == 401) {
        return fail(Code::PermissionDenied, "logging in to {}: the user or password is wrong (401)",
                    options.url);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, "logging in to " + options.url, options.url));
    }
    TRY_ASSIGN(auto file, credentialsFile(env));
    TRY(saveCredentials(file, options.url, *options.credentials));
    fmt::print("Credentials saved for {} {} in {}\n", f.user, options.url, file.string());
    return {};
}

Result<void> logout(const GatewayFlags& f) {
    const auto env = config::processEnv();
    const std::string url = resolveGateway(f.gateway, "", env);
    TRY_ASSIGN(auto file, credentialsFile(env));
    TRY(removeCredentials(file, url));
    fmt::print("Credentials removed for {}\n", url);
    return {};
}

} // namespace

void addLogin(Command& app) {
    auto& cmd = app.subcommand("login", "Check and store a gateway's credentials");
    auto f = std::make_shared<LoginFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.option("-u,--username", f->user, "user (default admin)");
    cmd.option("-p,--password", f->password, "password (visible in ps; prefer stdin)");
    cmd.flag("-s,--password-stdin", f->passwordStdin, "read the password from stdin");
    cmd.callback([f] { runVerb([&] { return login(*f); }); });

    auto& out = app.subcommand("logout", "Forget a gateway's stored credentials");
    auto g = std::make_shared<GatewayFlags>();
    addGatewayFlags(out, *g);
    out.callback([g] { runVerb([&] { return logout(*g); }); });
}

} // namespace faasd::cli
