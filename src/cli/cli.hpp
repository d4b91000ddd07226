#pragma once

namespace CLI {
class App;
}

namespace faasd::cli {

// Parses the command line and runs the chosen subcommand; returns the
// process exit code.
int run(int argc, char** argv);

// One function per subcommand file: adds the subcommand to app.
void addVersion(CLI::App& app);
void addUp(CLI::App& app);
void addInstall(CLI::App& app);
void addDeploy(CLI::App& app);
void addList(CLI::App& app);
void addDescribe(CLI::App& app);
void addInvoke(CLI::App& app);
void addRemove(CLI::App& app);
void addLogs(CLI::App& app);
void addSecret(CLI::App& app);
void addNamespace(CLI::App& app);
void addLogin(CLI::App& app); // login and logout
void addTemplate(CLI::App& app);
void addNew(CLI::App& app);
void addBuild(CLI::App& app);
void addPush(CLI::App& app);

} // namespace faasd::cli
