// faasd new --lang LANG NAME: a handler folder from the template and a stack
// file for it (NAME.yml, or one more function in the file given to --append).
// The template is ./template/LANG beside the stack file, copied there from
// the installed templates when missing, as faas-cli expects to find it.

#include "build/scaffold.hpp"
#include "build/template_repo.hpp"
#include "cli/cli.hpp"
#include "cli/command.hpp"

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
    if (f.list) {
        auto listings = build::listVisibleTemplates(".", f.templatesDir);
        if (!listings) {
            fmt::print(stderr, "faasd: {}\n", listings.error().message());
            return 1;
        }
        fmt::print("{}", build::formatTemplateTable(*listings));
        return 0;
    }
    if (f.name.empty() || f.lang.empty()) {
        fmt::print(stderr,
                   "faasd: new needs a function name and --lang (see faasd template list)\n");
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
    options.templatesDir = f.templatesDir;
    auto made = build::scaffoldFunction(f.lang, options);
    if (!made) {
        fmt::print(stderr, "faasd: {}\n", made.error().message());
        return 1;
    }
    if (made->templateCopied) {
        fmt::print("Template copied: {}\n", made->templateDir.string());
    }
    fmt::print("Function created in folder: {}\nStack file written: {}\nImage: {}\n",
               made->handlerDir.string(), made->stackFile.string(), made->image);
    return 0;
}

} // namespace

void addNew(Command& app) {
    auto& cmd = app.subcommand("new", "Create a function from a template");
    auto f = std::make_shared<NewFlags>();
    cmd.positional("name", f->name, "the function's name (a DNS label: lowercase, digits, '-')");
    cmd.option("--lang", f->lang, "the template (see faasd template list)");
    cmd.option("-p,--prefix", f->prefix, "the image's registry and owner, e.g. 127.0.0.1:5000");
    cmd.option("-g,--gateway", f->gateway,
               "the gateway written to the stack file (env OPENFAAS_URL)");
    cmd.option("-a,--append", f->append, "add the function to this existing stack file");
    cmd.option("--templates-dir", f->templatesDir,
               "installed templates folder, copied into ./template when the language is not "
               "there yet (env FAASD_TEMPLATES_DIR)");
    cmd.flag("--list", f->list, "list the templates (as faasd template list)");
    cmd.callback([f] {
        if (int rc = newFunction(*f); rc != 0) {
            throw CommandFailed{rc};
        }
    });
}

} // namespace faasd::cli
