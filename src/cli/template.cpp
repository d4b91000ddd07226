// faasd template list: the templates faasd new and faasd build see from
// here (./template first, as faas-cli reads it, then the installed ones).
// faasd template pull [SOURCE]: fills ./template from a git repository, a
// folder or a tarball (faas-cli template pull), or with faasd's own.

#include "build/template.hpp"

#include "build/template_repo.hpp"
#include "cli/cli.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>

namespace faasd::cli {

namespace {

struct TemplateFlags {
    std::string templatesDir;
    std::string source;
    bool overwrite = false;
};

int listTemplates(const TemplateFlags& f) {
    auto listings = build::listVisibleTemplates(".", f.templatesDir);
    if (!listings) {
        fmt::print(stderr, "faasd: {}\n", listings.error().message());
        return 1;
    }
    fmt::print("{}", build::formatTemplateTable(*listings));
    return 0;
}

int pullTemplates(const TemplateFlags& f) {
    build::PullOptions options;
    options.source = f.source;
    options.templatesDir = f.templatesDir;
    options.destDir = std::filesystem::path(build::kLocalTemplatesFolder);
    options.overwrite = f.overwrite;
    auto pulled = build::pullTemplates(options);
    if (!pulled) {
        fmt::print(stderr, "faasd: {}\n", pulled.error().message());
        return 1;
    }
    if (!pulled->written.empty()) {
        fmt::print("Fetched {} template(s): [{}] from {}\n", pulled->written.size(),
                   fmt::join(pulled->written, " "), pulled->source);
    }
    if (!pulled->skipped.empty()) {
        fmt::print("Kept {} template(s) already in ./{}: [{}] (--overwrite replaces them)\n",
                   pulled->skipped.size(), build::kLocalTemplatesFolder,
                   fmt::join(pulled->skipped, " "));
    }
    return 0;
}

template <typename F> void runOrFail(Command& cmd, std::shared_ptr<TemplateFlags> f, F verb) {
    cmd.callback([f, verb] {
        if (int rc = verb(*f); rc != 0) {
            throw CommandFailed{rc};
        }
    });
}

} // namespace

void addTemplate(Command& app) {
    auto& cmd = app.subcommand("template", "Function templates");
    cmd.requireSubcommand();
    auto f = std::make_shared<TemplateFlags>();

    auto& list = cmd.subcommand(
        "list", "List the templates faasd new can use (./template first, then the installed ones)");
    list.alias("ls");
    list.option("--templates-dir", f->templatesDir,
                "installed templates folder (env FAASD_TEMPLATES_DIR)");
    runOrFail(list, f, listTemplates);

    auto& pull = cmd.subcommand(
        "pull", "Copy templates into ./template from a git URL (#ref for a branch or tag), a "
                "folder or a .tar/.tar.gz/.tgz; without SOURCE, faasd's installed templates");
    pull.positional("source", f->source, "git URL, folder or tarball");
    pull.flag("--overwrite", f->overwrite, "replace templates ./template already has");
    pull.option("--templates-dir", f->templatesDir,
                "installed templates folder, pulled when SOURCE is not given "
                "(env FAASD_TEMPLATES_DIR)");
    runOrFail(pull, f, pullTemplates);
}

} // namespace faasd::cli
