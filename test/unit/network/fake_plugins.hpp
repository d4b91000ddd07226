#pragma once

// Fake CNI plugins for tests: one shell script, installed under several
// names in a temp plugin dir. Every run appends "COMMAND name" to
// calls.log (and its start and end to spans.log) and keeps its stdin and
// environment; what it prints, whether it
// fails and how long it sleeps are set by files the test leaves beside it.

#include "common/files.hpp"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace faasd::network::testing {

class FakePlugins {
public:
    FakePlugins();

    const std::filesystem::path& dir() const { return dir_.path(); }

    // Installs the fake as plugin name.
    void install(const std::string& name);
    // What name prints for ADD (anything else prints nothing).
    void setResult(const std::string& name, const nlohmann::json& result);
    // name prints error (a CNI error object) and exits 1 for command.
    void setError(const std::string& name, const std::string& command, const nlohmann::json& error);
    // name writes text to stderr and exits 2 for command.
    void setStderrFailure(const std::string& name, const std::string& command,
                          const std::string& text);
    // name sleeps this long for command, then exits printing nothing.
    void setSleep(const std::string& name, const std::string& command, int seconds);
    // name sleeps this long (seconds, "0.2") for command, then goes on.
    void setDelay(const std::string& name, const std::string& command, const std::string& seconds);
    // What name answers to VERSION.
    void setVersions(const std::string& name, const std::vector<std::string>& versions);

    // "ADD bridge", "DEL firewall", ... in the order they ran.
    std::vector<std::string> calls() const;
    // The calls other than VERSION.
    std::vector<std::string> attachmentCalls() const;
    // "start bridge ADD" and "end bridge ADD" as runs begin and finish.
    std::vector<std::string> spans() const;
    // Forgets the calls so far.
    void clearCalls();
    // The stdin and environment of call index (counting every call).
    nlohmann::json stdinOf(size_t index) const;
    std::map<std::string, std::string> envOf(size_t index) const;
    // The index of the first call equal to call ("DEL bridge").
    size_t indexOf(const std::string& call) const;

private:
    void write(const std::string& file, const std::string& content) const;

    TempDir dir_;
};

// A result like the bridge plugin's: host bridge and veth, eth0 in netns.
nlohmann::json bridgeResult(const std::string& version, const std::string& netns,
                            const std::string& cidr, const std::string& gateway);

} // namespace faasd::network::testing
