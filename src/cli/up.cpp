// faasd up: the daemon in the foreground (src/daemon); here only its flags.

#include "daemon/up.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {
namespace {

Result<void> up(const daemon::UpOptions& options) {
    TRY_ASSIGN(auto c, daemon::upConfig(config::processEnv(), options));
    return daemon::up(c);
}

} // namespace

void addUp(Command& app) {
    auto& cmd = app.subcommand("up", "Run the faasd daemon in the foreground");
    auto options = std::make_shared<daemon::UpOptions>();
    cmd.option("--port", options->port, "gateway port (env FAASD_GATEWAY_PORT, default 8080)");
    cmd.option("--state-dir", options->stateDir, "state directory (env FAASD_STATE_DIR)");
    cmd.option("--containerd-socket", options->containerdSocket,
               "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
    cmd.flag("--no-auth", options->noAuth, "serve /system/* without basic auth");
    cmd.flag("--stop-functions-on-exit", options->stopFunctionsOnExit,
             "remove every function when stopping");
    cmd.option("--cluster", options->cluster,
               "join a cluster: its etcd members, http://host:2379,... (env FAASD_CLUSTER_ETCD)");
    cmd.option("--members", options->members,
               "run this node's etcd member of a cluster: name=host,... one per node "
               "(env FAASD_CLUSTER_MEMBERS)");
    cmd.option("--node", options->node,
               "this node's name in the cluster (env FAASD_CLUSTER_NODE, default the host name)");
    cmd.callback([options] {
        if (auto ran = up(*options); !ran) {
            fmt::print(stderr, "faasd up: {}\n", ran.error().message());
            throw CommandFailed{1};
        }
    });
}

} // namespace faasd::cli
