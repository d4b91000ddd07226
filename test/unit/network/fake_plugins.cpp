#include "fake_plugins.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <sys/stat.h>

namespace faasd::network::testing {

using nlohmann::json;

namespace {

// Runs are numbered by the lines of calls.log; a lock dir keeps concurrent
// runs from taking the same number.
constexpr const char* kScript = R"SH(#!/bin/sh
dir=$(dirname "$0")
name=$(basename "$0")
input=$(cat)
until mkdir "$dir/lock" 2>/dev/null; do sleep 0.01; done
n=$(wc -l < "$dir/calls.log")
echo "$CNI_COMMAND $name" >> "$dir/calls.log"
rmdir "$dir/lock"
echo "start $name $CNI_COMMAND" >> "$dir/spans.log"
trap 'echo "end $name $CNI_COMMAND" >> "$dir/spans.log"' EXIT
printf '%s' "$input" > "$dir/stdin.$n"
env > "$dir/env.$n"
if [ -f "$dir/$name.sleep.$CNI_COMMAND" ]; then exec sleep "$(cat "$dir/$name.sleep.$CNI_COMMAND")"; fi
if [ -f "$dir/$name.delay.$CNI_COMMAND" ]; then sleep "$(cat "$dir/$name.delay.$CNI_COMMAND")"; fi
if [ -f "$dir/$name.error.$CNI_COMMAND" ]; then cat "$dir/$name.error.$CNI_COMMAND"; exit 1; fi
if [ -f "$dir/$name.stderr.$CNI_COMMAND" ]; then cat "$dir/$name.stderr.$CNI_COMMAND" >&2; exit 2; fi
case "$CNI_COMMAND" in
VERSION)
  if [ -f "$dir/$name.versions" ]; then cat "$dir/$name.versions"
  else echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}'; fi ;;
ADD)
  if [ -f "$dir/$name.result" ]; then cat "$dir/$name.result"; fi ;;
esac
exit 0
)SH";

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

} // namespace

FakePlugins::FakePlugins() : dir_(TempDir::create("faasd-fake-cni-").value()) {
    write("calls.log", "");
}

void FakePlugins::write(const std::string& file, const std::string& content) const {
    REQUIRE(writeFileAtomic(dir() / file, content, 0644));
}

void FakePlugins::install(const std::string& name) {
    REQUIRE(writeFileAtomic(dir() / name, kScript, 0755));
}

void FakePlugins::setResult(const std::string& name, const json& result) {
    write(name + ".result", result.dump());
}

void FakePlugins::setError(const std::string& name, const std::string& command, const json& error) {
    write(name + ".error." + command, error.dump());
}

void FakePlugins::setStderrFailure(const std::string& name, const std::string& command,
                                   const std::string& text) {
    write(name + ".stderr." + command, text);
}

void FakePlugins::setSleep(const std::string& name, const std::string& command, int seconds) {
    write(name + ".sleep." + command, std::to_string(seconds));
}

void FakePlugins::setDelay(const std::string& name, const std::string& command,
                           const std::string& seconds) {
    write(name + ".delay." + command, seconds);
}

std::vector<std::string> FakePlugins::spans() const {
    auto text = readFile(dir() / "spans.log");
    return text ? lines(*text) : std::vector<std::string>();
}

void FakePlugins::setVersions(const std::string& name, const std::vector<std::string>& versions) {
    write(name + ".versions",
          json{{"cniVersion", "1.0.0"}, {"supportedVersions", versions}}.dump());
}

std::vector<std::string> FakePlugins::calls() const {
    auto text = readFile(dir() / "calls.log");
    REQUIRE(text);
    return lines(*text);
}

std::vector<std::string> FakePlugins::attachmentCalls() const {
    std::vector<std::string> out;
    for (auto& call : calls()) {
        if (!call.starts_with("VERSION ")) {
            out.push_back(call);
        }
    }
    return out;
}

void FakePlugins::clearCalls() {
    for (size_t i = 0; i < calls().size(); ++i) {
        std::filesystem::remove(dir() / ("stdin." + std::to_string(i)));
        std::filesystem::remove(dir() / ("env." + std::to_string(i)));
    }
    write("calls.log", "");
}

json FakePlugins::stdinOf(size_t index) const {
    auto text = readFile(dir() / ("stdin." + std::to_string(index)));
    REQUIRE(text);
    return json::parse(*text);
}

std::map<std::string, std::string> FakePlugins::envOf(size_t index) const {
    auto text = readFile(dir() / ("env." + std::to_string(index)));
    REQUIRE(text);
    std::map<std::string, std::string> env;
    for (const auto& line : lines(*text)) {
        auto eq = line.find('=');
        if (eq != std::string::npos) {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return env;
}

size_t FakePlugins::indexOf(const std::string& call) const {
    auto all = calls();
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i] == call) {
            return i;
        }
    }
    FAIL("no call " << call);
    return 0;
}

json bridgeResult(const std::string& version, const std::string& netns, const std::string& cidr,
                  const std::string& gateway) {
    json ip = {{"address", cidr}, {"gateway", gateway}, {"interface", 2}};
    if (version != "1.0.0") {
        ip["version"] = "4";
    }
    return {
        {"cniVersion", version},
        {"interfaces",
         {
             {{"name", "fk0"}, {"mac", "6e:4e:c1:1a:00:01"}},
             {{"name", "veth1234"}, {"mac", "6e:4e:c1:1a:00:02"}},
             {{"name", "eth0"}, {"mac", "6e:4e:c1:1a:00:03"}, {"sandbox", netns}},
         }},
        {"ips", {ip}},
        {"routes", {{{"dst", "0.0.0.0/0"}}}},
        {"dns", json::object()},
    };
}

} // namespace faasd::network::testing
