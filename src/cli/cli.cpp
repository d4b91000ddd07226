#include "cli/cli.hpp"

#include "cli/command.hpp"
#include "common/log.hpp"

#include <cstdlib>
#include <faasd_version.h>

namespace faasd::cli {

int run(int argc, char** argv) {
    Command app("faasd", "faasd: OpenFaaS functions on one machine, on containerd");
    app.requireSubcommand();
    app.version(FAASD_VERSION);
    std::string level = "info";
    if (const char* env = std::getenv("FAASD_LOG_LEVEL")) {
        level = env;
    }
    app.option("--log-level", level, "debug, info, warn, error (env FAASD_LOG_LEVEL)");
    app.onParsed([&]() -> std::string {
        auto parsed = parseLogLevel(level);
        if (!parsed) {
            return "--log-level " + level + ": unknown level (debug, info, warn, error)";
        }
        setLogLevel(*parsed);
        return {};
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
    addTriggers(app);
    addCluster(app);
    addLogin(app);
    addTemplate(app);
    addNew(app);
    addBuild(app);
    addPush(app);

    return app.run(argc, argv);
}

} // namespace faasd::cli
