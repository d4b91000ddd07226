#include "cli/cli.hpp"

#include "common/log.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <faasd_version.h>

namespace faasd::cli {

int run(int argc, char** argv) {
    CLI::App app{"faasd: OpenFaaS functions on one machine, on containerd"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(FAASD_VERSION));
    std::string level = "info";
    if (const char* env = std::getenv("FAASD_LOG_LEVEL")) {
        level = env;
    }
    app.add_option("--log-level", level, "debug, info, warn, error (env FAASD_LOG_LEVEL)");
    app.parse_complete_callback([&] {
        if (auto parsed = parseLogLevel(level)) {
            setLogLevel(*parsed);
        } else {
            throw CLI::ValidationError("--log-level", "unknown level " + level);
        }
    });

    addUp(app);
    addInstall(app);
    addVersion(app);
    addDeploy(app);
    addList(app);
    addDescribe(app);
    addInvoke(app);
    addRemove(app);
    addLogs(app);
    addSecret(app);
    addNamespace(app);
    addLogin(app);
    addTemplate(app);
    addNew(app);
    addBuild(app);
    addPush(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::RuntimeError& e) {
        return e.get_exit_code(); // the subcommand has said why
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}

} // namespace faasd::cli
