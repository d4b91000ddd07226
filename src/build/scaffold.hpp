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
    std::string templatesDir;     // the installed templates (see findTemplatesDir)
};

struct NewFunction {
    std::filesystem::path handlerDir;
    std::filesystem::path stackFile;
    std::string image;
    std::filesystem::path templateDir; // the template the skeleton came from
    bool templateCopied = false;       // copied into ./template by this call
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

// Creates the handler folder (a copy of the template's function/ skeleton)
// and the stack file. Nothing is changed when something is wrong (bad
// name, folder or file already there): the folder goes again if the stack
// file cannot be written.
Result<NewFunction> createFunction(const Template& tmpl, const NewFunctionOptions& options);

// `faasd new --lang LANG NAME`, as faas-cli does it: the template is
// template/LANG beside the stack file, copied there from the installed
// templates when missing (ensureLocalTemplate), so faas-cli's new, build
// and deploy and faasd build all read the same copy. Everything that can
// be checked beforehand (name, prefix, folder, stack file) is checked
// before the template is copied; a template copied on the way stays if
// writing the function then fails (it is a plain copy, and the next
// `new` uses it).
Result<NewFunction> scaffoldFunction(std::string_view lang, const NewFunctionOptions& options);

} // namespace faasd::build
