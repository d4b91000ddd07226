#pragma once

// Function templates in OpenFaaS's layout: template/<lang>/ holds a
// template.yml, the files a build starts from (an entry point, a
// Dockerfile, go.mod…) and the handler skeleton (function/) that `new`
// copies. template.yml carries OpenFaaS's keys, which faas-cli reads too,
// and faasd's host-build recipe under one extra key faas-cli ignores:
//
//   language: go
//   fprocess: ./handler          # what the watchdog runs (in /home/app)
//   handler_folder: function     # where the handler goes in the build folder
//   welcome_message: "..."
//   build_options:               # `build_options: [dev]` in a stack file
//     - {name: dev, packages: [make]}   # -> build arg ADDITIONAL_PACKAGE
//   faasd:                       # the host build; absent: a Dockerfile template
//     mode: classic              # fwatchdog's mode
//     busybox: false             # a shell and its tools in the image
//     requires: [go]             # host commands the build needs
//     environment: {}            # more environment in the image
//     build:
//       env: {CGO_ENABLED: "0"}  # for the build commands
//       run: [go build -o handler .]   # sh -c, in the build folder
//     pack:                      # build folder -> image
//       - {from: handler, to: /home/app/handler, layer: function}
//
// The older faasd dialect (the recipe's keys at the top level, `handler:`
// for the handler folder) is read too. Unknown top-level keys are ignored,
// as faas-cli ignores them; unknown keys of the recipe are errors.

#include "common/error.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::build {

struct PackEntry {
    std::string from;               // relative to the build folder
    std::string to;                 // absolute in the image; "/" merges a folder at the root
    std::string layer = "function"; // entries of one name share a layer, in order of first use
};

struct BuildOption {
    std::string name;
    std::vector<std::string> packages;
};

struct Template {
    std::string language;
    std::filesystem::path dir;
    std::string handler = "function"; // handler_folder: the handler's place in the build folder
    std::string fprocess;
    std::string welcomeMessage;
    std::vector<BuildOption> buildOptions;
    // Whether the template has a host-build recipe (below); without one it
    // builds from its Dockerfile.
    bool hostBuild = false;
    std::string mode = "classic";
    bool busybox = false;
    std::vector<std::string> tools;
    std::map<std::string, std::string> environment;
    std::map<std::string, std::string> buildEnv;
    std::vector<std::string> buildRun;
    std::vector<PackEntry> pack;
};

// Parses the text of a template.yml; file names it in errors, which read
// "file:line:column: field: what is wrong". dir is the template's folder.
Result<Template> parseTemplate(std::string_view yaml, const std::string& file,
                               const std::filesystem::path& dir);

// A template folder's description, as OpenFaaS names it.
inline constexpr std::string_view kTemplateFile = "template.yml";

// Reads <dir>/template.yml.
Result<Template> loadTemplate(const std::filesystem::path& dir);

// The skeleton folder `new` copies into the handler folder (OpenFaaS's).
inline constexpr std::string_view kSkeletonFolder = "function";

// The packages of the named build options, space-separated, for the
// ADDITIONAL_PACKAGE build argument; InvalidArgument for an unknown name.
Result<std::string> additionalPackages(const Template& tmpl,
                                       const std::vector<std::string>& options);

// Where templates are looked for, first match wins: the explicit folder
// (flag or FAASD_TEMPLATES_DIR), the installed share/faasd/templates, the
// source tree's templates/.
std::vector<std::filesystem::path> templateSearchPath(const std::string& explicitDir);

// The first folder of the search path that exists; NotFound naming them
// all otherwise. An explicit folder that does not exist is an error of its
// own (not silently skipped).
Result<std::filesystem::path> findTemplatesDir(const std::string& explicitDir);

// Every template in dir, sorted by language. A folder with a broken
// template.yml is an error naming it.
Result<std::vector<Template>> listTemplates(const std::filesystem::path& dir);

// The template for lang; NotFound listing the available languages.
Result<Template> findTemplate(const std::filesystem::path& dir, std::string_view lang);

} // namespace faasd::build
