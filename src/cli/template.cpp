// faasd template list: the function templates faasd new and faasd build use.

#include "build/template.hpp"

#include "cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace faasd::cli {

namespace {

int listTemplates(const std::string& dir) {
    auto found = build::findTemplatesDir(dir);
    if (!found) {
        fmt::print(stderr, "faasd: {}\n", found.error().message());
        return 1;
    }
    auto templates = build::listTemplates(*found);
    if (!templates) {
        fmt::print(stderr, "faasd: {}\n", templates.error().message());
        return 1;
    }
    fmt::print("{:<14} {:<8} {}\n", "LANGUAGE", "MODE", "FPROCESS");
    for (const auto& t : *templates) {
        fmt::print("{:<14} {:<8} {}\n", t.language, t.mode, t.fprocess);
    }
    fmt::print(stderr, "templates in {}\n", found->string());
    return 0;
}

} // namespace

void addTemplate(CLI::App& app) {
    auto* cmd = app.add_subcommand("template", "Function templates");
    cmd->require_subcommand(1);
    auto dir = std::make_shared<std::string>();
    auto* list = cmd->add_subcommand("list", "List the templates faasd new can use");
    list->alias("ls");
    list->add_option("--templates-dir", *dir, "templates folder (env FAASD_TEMPLATES_DIR)");
    list->callback([dir] {
        if (int rc = listTemplates(*dir); rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

} // namespace faasd::cli
