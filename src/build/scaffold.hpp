#pragma once

// `faasd new`: a handler folder copied from a template's skeleton, and a
// stack file naming the function (a new NAME.yml, or one more entry under
// `functions:` of an existing file).

#include "build/template.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <string>

namespace faasd::build {

struct NewFunctionOptions {
    std::string name;
    std::filesystem::path dir = "."; // where NAME/ and NAME.yml go
    std::string prefix;              // image registry/owner: "127.0.0.1:5000"
    std::string gateway = "http://127.0.0.1:8080";
    std::filesystem::path append; // an existing stack file to add to; empty: NAME.yml
};

struct NewFunction {
    std::filesystem::path handlerDir;
    std::filesystem::path stackFile;
    std::string image;
};

// "prefix/name:latest", or "name:latest" without a prefix.
std::string imageName(const std::string& prefix, const std::string& name);

// The stack file's text for one function.
std::string stackFileText(const std::string& gateway, const std::string& name,
                          const std::string& lang, const std::string& handler,
                          const std::string& image);

// Adds a function entry to the functions: section of a stack file's text,
// keeping everything else (comments included). InvalidArgument when the
// text is not a stack file or already has the function.
Result<std::string> appendFunction(std::string_view text, const std::string& file,
                                   const std::string& name, const std::string& lang,
                                   const std::string& handler, const std::string& image);

// Creates the handler folder and the stack file. Nothing is changed when
// something is wrong (bad name, folder or file already there).
Result<NewFunction> createFunction(const Template& tmpl, const NewFunctionOptions& options);

} // namespace faasd::build
