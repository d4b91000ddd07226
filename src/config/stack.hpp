#pragma once

// stack.yml, OpenFaaS's schema (version 1.0): parsed with yaml-cpp into
// plain structs. `${VAR}`, `${VAR:-default}` and `${VAR-default}` are
// substituted from the given environment inside every scalar (keys and
// values), so locations stay exact. Every error reads
// "FILE:LINE:COLUMN: FIELD: reason", e.g.
// "say.yml:7:12: functions.say.limits.memory: must be a string, not a map".

#include "api/types.hpp"
#include "common/error.hpp"
#include "config/daemon_config.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::config {

// Where something is in a file; line and column count from 1.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
};

// "file:line:column: field: message" as an InvalidArgument error.
Error locatedError(const Location& at, std::string_view field, std::string_view message);

struct StackFunction {
    std::string name;
    std::string lang;    // template name; empty for a prebuilt image
    std::string handler; // as written, relative to Stack::dir
    std::string image;
    std::string fprocess;
    // Inline `environment` merged over the `environment_file`s (later wins).
    api::StringMap environment;
    std::vector<std::string> environmentFiles; // as written
    std::vector<std::string> secrets;
    api::StringMap labels;
    api::StringMap annotations;
    std::optional<api::Resources> limits;
    std::optional<api::Resources> requests;
    bool readOnlyRootFilesystem = false;
    api::StringMap buildArgs;
    std::vector<std::string> buildOptions; // the template's named package sets
    std::string ns;                        // empty: the gateway's default
    bool skipBuild = false;
    std::vector<std::string> constraints;

    // Where the function's key is, and where each field given is, by its
    // stack.yml name ("lang", "handler", "limits.memory", ...).
    Location location;
    std::map<std::string, Location> fieldLocations;

    // The location of a field, or of the function when the field is absent.
    const Location& locate(std::string_view field) const;
    // An error located at field: "file:l:c: functions.NAME.FIELD: message".
    Error error(std::string_view field, std::string_view message) const;
};

struct StackProvider {
    std::string name;    // "openfaas"
    std::string gateway; // empty when not given
};

struct Stack {
    std::string file;          // path as given
    std::filesystem::path dir; // directory of the file; handlers and env files are relative to it
    std::string version;
    StackProvider provider;
    std::vector<StackFunction> functions; // in file order
    // Fields we know but do not use, and unknown fields: "file:l:c: field: ignored".
    std::vector<std::string> warnings;

    const StackFunction* find(std::string_view name) const;
};

// Parses stack.yml text; fileName is used in messages, dir resolves
// environment_file entries (read from disk).
Result<Stack> parseStack(std::string_view text, const std::string& fileName,
                         const std::filesystem::path& dir, const Env& env);

// Reads and parses a stack file.
Result<Stack> loadStack(const std::filesystem::path& path, const Env& env);

// Substitutes ${VAR}, ${VAR:-default} (default when unset or empty) and
// ${VAR-default} (default when unset); an unset variable without a default
// becomes empty; "$${" is a literal "${". Other '$' are kept as they are.
Result<std::string> substituteEnv(std::string_view text, const Env& env);

// The functions that --filter (a shell wildcard, fnmatch(3)) or --regex (an
// ECMAScript regular expression searched in the name) select; both empty
// selects all. Giving both, a bad regex, or selecting nothing is an error.
Result<std::vector<StackFunction>> selectFunctions(const Stack& stack, std::string_view filter,
                                                   std::string_view regex);

// The deployment the gateway receives for a stack function: envProcess from
// fprocess, envVars from environment, and the rest field for field.
api::FunctionDeployment toDeployment(const StackFunction& fn);

} // namespace faasd::config
