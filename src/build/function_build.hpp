#pragma once

// Building one function: its template's files and the user's handler are
// staged in a build folder (<stack dir>/build/<name>, as faas-cli does), the
// template's build commands run there on the host, and what the template
// packs goes into a reproducible OCI image with fwatchdog.

#include "build/template.hpp"
#include "common/error.hpp"
#include "image/builder.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace faasd::build {

struct FunctionSource {
    std::string name;
    std::string lang;
    std::filesystem::path handler;                // the handler folder
    std::string image;                            // the image's name
    std::map<std::string, std::string> buildArgs; // environment of the build commands
};

// The language whose build context is the handler folder itself (its own
// Dockerfile), as in faas-cli.
inline constexpr std::string_view kDockerfileLanguage = "dockerfile";

// Stages dir as faas-cli's shrinkwrap does: every file of the template,
// then the user's handler laid over the handler folder (without its own
// build/ and template/); for `lang: dockerfile`, the handler folder alone.
// dir is emptied first.
Result<void> stageContext(const Template& tmpl, const std::filesystem::path& handler,
                          const std::filesystem::path& dir);

// What a host recipe needs from the machine: its tools and busybox.
Result<void> checkRecipeTools(const Template& recipe, const std::filesystem::path& busybox);

// Runs recipe's build commands in the staged folder dir (their output is in
// the error when one fails) and packs what recipe says into an image with
// fwatchdog. buildArgs join the commands' environment.
Result<image::BuiltImage> runHostRecipe(const Template& recipe, const std::filesystem::path& dir,
                                        const std::string& name,
                                        const std::map<std::string, std::string>& buildArgs,
                                        const std::filesystem::path& watchdog,
                                        const std::filesystem::path& busybox,
                                        std::chrono::milliseconds timeout,
                                        const std::function<void(const std::string&)>& progress);

struct BuildOptions {
    std::filesystem::path templatesDir;
    std::filesystem::path watchdog;                   // see findWatchdog()
    std::filesystem::path busybox = "/bin/busybox";   // from busybox-static
    std::filesystem::path buildRoot = "build";        // build/<name> is staged here
    std::chrono::milliseconds timeout{600'000};       // per build command
    std::function<void(const std::string&)> progress; // one line per step
};

// The fwatchdog to pack: FAASD_WATCHDOG_PATH, else the one installed next
// to this faasd, else the one of the build tree faasd was built in.
Result<std::filesystem::path> findWatchdog();

// Stages, runs the template's build commands (their output is in the error
// when one fails) and packs the image. Nothing outside buildRoot/<name> is
// written.
Result<image::BuiltImage> buildFunction(const FunctionSource& source, const BuildOptions& options);

} // namespace faasd::build
