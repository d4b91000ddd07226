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
void addTemplate(CLI::App& app);
void addNew(CLI::App& app);
void addBuild(CLI::App& app);
void addPush(CLI::App& app);

} // namespace faasd::cli
