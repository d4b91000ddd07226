#pragma once

namespace faasd::cli {

class Command;

// Parses the command line and runs the chosen subcommand; returns the
// process exit code.
int run(int argc, char** argv);

// One function per subcommand file: adds the subcommand to app.
void addVersion(Command& app);
void addUp(Command& app);
void addInstall(Command& app);
void addDeploy(Command& app);
void addList(Command& app);
void addDescribe(Command& app);
void addInvoke(Command& app);
void addRemove(Command& app);
void addLogs(Command& app);
void addSecret(Command& app);
void addNamespace(Command& app);
void addTriggers(Command& app);
void addCluster(Command& app);
void addLogin(Command& app); // login and logout
void addTemplate(Command& app);
void addNew(Command& app);
void addBuild(Command& app);
void addPush(Command& app);

} // namespace faasd::cli
