#pragma once

// Function templates: a folder per language (templates/<lang>/) holding a
// template.yml, the files the build starts from (an entry point, go.mod…)
// and the handler skeleton `faasd new` copies. template.yml says how the
// function is built on the host and what goes into its image:
//
//   language: go
//   handler: function          # the skeleton; the user's handler goes here
//   fprocess: ./handler        # what fwatchdog runs (in /home/app)
//   mode: classic              # fwatchdog's mode
//   busybox: false             # a shell and its tools in the image
//   requires: [go]             # host commands the build needs
//   environment: {}            # more environment in the image
//   build:
//     env: {CGO_ENABLED: "0"}  # for the build commands
//     run: [go build -o handler .]   # sh -c, in the build folder
//   pack:                      # build folder -> image
//     - {from: handler, to: /home/app/handler}

#include "common/error.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::build {

struct PackEntry {
    std::string from; // relative to the build folder
    std::string to;   // absolute in the image
};

struct Template {
    std::string language;
    std::filesystem::path dir;
    std::string handler = "function";
    std::string fprocess;
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

// Reads <dir>/template.yml.
Result<Template> loadTemplate(const std::filesystem::path& dir);

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
