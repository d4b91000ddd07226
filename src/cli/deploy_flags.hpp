#pragma once

// What `faasd deploy` makes of its flags: one deployment from --image and
// --name, or changes applied on top of each stack function. Pure, so unit
// tests feed it values.

#include "api/types.hpp"
#include "common/error.hpp"

#include <string>
#include <vector>

namespace faasd::cli {

struct DeployOverrides {
    std::string fprocess;
    std::vector<std::string> env;         // KEY=VALUE
    std::vector<std::string> labels;      // KEY=VALUE
    std::vector<std::string> annotations; // KEY=VALUE
    std::vector<std::string> secrets;
    std::vector<std::string> constraints;
    std::string memoryLimit;
    std::string cpuLimit;
    std::string memoryRequest;
    std::string cpuRequest;
    bool readOnly = false;
    std::string ns;
};

// Merges the overrides into d: maps by key (the flag wins), secrets without
// duplicates, limits and requests field by field; a bad KEY=VALUE, quantity,
// secret or namespace is InvalidArgument naming the flag.
Result<void> applyOverrides(const DeployOverrides& o, api::FunctionDeployment& d);

// A deployment from --image and --name plus the overrides.
Result<api::FunctionDeployment>
deploymentFromFlags(const std::string& image, const std::string& name, const DeployOverrides& o);

} // namespace faasd::cli
