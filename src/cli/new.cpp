// faasd new --lang LANG NAME: a handler folder from the template and a stack
// file for it (NAME.yml, or one more function in the file given to --append).

#include "build/scaffold.hpp"
#include "build/template.hpp"
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fmt/format.h>

namespace faasd::cli {

namespace {

struct NewFlags {
    std::string name;
    std::string lang;
    std::string prefix;
    std::string gateway;
    std::string append;
    std::string templatesDir;
    bool list = false;
};

int newFunction(const NewFlags& f) {
    auto dir = build::findTemplatesDir(f.templatesDir);
    if (!dir) {
        fmt::print(stderr, "faasd: {}\n", dir.error().message());
        return 1;
    }
    if (f.list) {
        auto templates = build::listTemplates(*dir);
        if (!templates) {
            fmt::print(stderr, "faasd: {}\n", templates.error().message());
            return 1;
        }
        for (const auto& t : *templates) {
            fmt::print("{}\n", t.language);
        }
        return 0;
    }
    if (f.name.empty() || f.lang.empty()) {
        fmt::print(stderr,
                   "faasd: new needs a function name and --lang (see faasd template list)\n");
        return 1;
    }
    auto tmpl = build::findTemplate(*dir, f.lang);
    if (!tmpl) {
        fmt::print(stderr, "faasd: {}\n", tmpl.error().message());
        return 1;
    }
    build::NewFunctionOptions options;
    options.name = f.name;
    options.prefix = f.prefix;
    if (!f.gateway.empty()) {
        options.gateway = f.gateway;
    } else if (const char* env = std::getenv("OPENFAAS_URL"); env && *env) {
        options.gateway = env;
    }
    options.append = f.append;
    auto made = build::createFunction(*tmpl, options);
    if (!made) {
        fmt::print(stderr, "faasd: {}\n", made.error().message());
        return 1;
    }
    fmt::print("Function created in folder: {}\nStack file written: {}\nImage: {}\n",
               made->handlerDir.string(), made->stackFile.string(), made->image);
    return 0;
}

} // namespace

void addNew(CLI::App& app) {
    auto* cmd = app.add_subcommand("new", "Create a function from a template");
    auto f = std::make_shared<NewFlags>();
    cmd->add_option("name", f->name, "the function's name (a DNS label: lowercase, digits, '-')");
    cmd->add_option("--lang", f->lang, "the template (see faasd template list)");
    cmd->add_option("-p,--prefix", f->prefix,
                    "the image's registry and owner, e.g. 127.0.0.1:5000");
    cmd->add_option("-g,--gateway", f->gateway,
                    "the gateway written to the stack file (env OPENFAAS_URL)");
    cmd->add_option("-a,--append", f->append, "add the function to this existing stack file");
    cmd->add_option("--templates-dir", f->templatesDir,
                    "templates folder (env FAASD_TEMPLATES_DIR)");
    cmd->add_flag("--list", f->list, "list the templates");
    cmd->callback([f] {
        if (int rc = newFunction(*f); rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

} // namespace faasd::cli
