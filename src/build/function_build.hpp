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
