#include "build/scaffold.hpp"

#include "api/validate.hpp"
#include "build/template_repo.hpp"
#include "common/files.hpp"
#include "common/scope_exit.hpp"
#include "image/reference.hpp"

#include <regex>
#include <yaml-cpp/yaml.h>

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> splitLines(std::string_view text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

bool blankOrComment(const std::string& line) {
    auto pos = line.find_first_not_of(" \t\r");
    return pos == std::string::npos || line[pos] == '#';
}

std::string functionBlock(const std::string& indent, const std::string& name,
                          const std::string& lang, const std::string& handler,
                          const std::string& image) {
    return fmt::format("{0}{1}:\n{0}{0}lang: {2}\n{0}{0}handler: {3}\n{0}{0}image: {4}\n", indent,
                       name, lang, handler, image);
}

// Copies the skeleton folder; files keep their permission bits.
Result<void> copySkeleton(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) {
        return fail(Code::Internal, "copying {} to {}: {}", from.string(), to.string(),
                    ec.message());
    }
    return {};
}

} // namespace

std::string imageName(const std::string& prefix, const std::string& name) {
    std::string p = prefix;
    while (!p.empty() && p.back() == '/') {
        p.pop_back();
    }
    return p.empty() ? name + ":latest" : p + "/" + name + ":latest";
}

std::string stackFileText(const std::string& gateway, const std::string& name,
                          const std::string& lang, const std::string& handler,
                          const std::string& image) {
    return fmt::format("version: 1.0\nprovider:\n  name: openfaas\n  gateway: {}\nfunctions:\n{}",
                       gateway, functionBlock("  ", name, lang, handler, image));
}

Result<std::string> appendFunction(std::string_view text, const std::string& file,
                                   const std::string& name, const std::string& lang,
                                   const std::string& handler, const std::string& image) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return fail(Code::InvalidArgument, "{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1,
                    e.msg);
    }
    if (!root.IsMap()) {
        return fail(Code::InvalidArgument, "{}: not a stack file (no map of fields)", file);
    }
    if (auto functions = root["functions"]; functions && functions.IsMap()) {
        for (const auto& kv : functions) {
            if (kv.first.IsScalar() && kv.first.Scalar() == name) {
                return fail(Code::AlreadyExists, "{}:{}: functions: {} is already there", file,
                            kv.first.Mark().line + 1, name);
            }
        }
    }

    auto lines = splitLines(text);
    static const std::regex header(R"(^functions:\s*(#.*)?$)");
    size_t at = lines.size();
    for (size_t i = 0; i < lines.size(); ++i) {
        if (std::regex_match(lines[i], header)) {
            at = i;
            break;
        }
        if (lines[i].rfind("functions:", 0) == 0) {
            return fail(Code::InvalidArgument,
                        "{}:{}: functions: is written inline; cannot add to it", file, i + 1);
        }
    }
    std::string out;
    if (at == lines.size()) { // no functions: section yet
        out = std::string(text);
        if (!out.empty() && out.back() != '\n') {
            out += '\n';
        }
        return out + "functions:\n" + functionBlock("  ", name, lang, handler, image);
    }
    // The section runs until the next line at column 0; entries keep the
    // indentation of the first one.
    std::string indent = "  ";
    size_t end = at + 1;
    size_t lastContent = at;
    bool indentSeen = false;
    for (; end < lines.size(); ++end) {
        const std::string& line = lines[end];
        if (blankOrComment(line)) {
            continue;
        }
        if (line[0] != ' ' && line[0] != '\t') {
            break;
        }
        if (!indentSeen) {
            indent = line.substr(0, line.find_first_not_of(' '));
            indentSeen = true;
        }
        lastContent = end;
    }
    for (size_t i = 0; i <= lastContent; ++i) {
        out += lines[i] + "\n";
    }
    out += functionBlock(indent.empty() ? "  " : indent, name, lang, handler, image);
    for (size_t i = lastContent + 1; i < lines.size(); ++i) {
        out += lines[i] + "\n";
    }
    return out;
}

namespace {

// A function ready to be written: everything checked, the stack file's
// new text made.
struct Plan {
    NewFunction out;
    std::string stack;
};

Result<Plan> plan(std::string_view lang, const NewFunctionOptions& options) {
    TRY(api::validateName("function name", options.name));
    Plan p;
    NewFunction& out = p.out;
    out.handlerDir = options.dir / options.name;
    out.stackFile = options.append.empty() ? options.dir / (options.name + ".yml") : options.append;
    out.image = imageName(options.prefix, options.name);
    if (auto ref = image::parseReference(out.image); !ref) {
        return fail(ref.error().context(fmt::format("--prefix {}", options.prefix)));
    }

    std::error_code ec;
    if (fs::exists(out.handlerDir, ec)) {
        return fail(Code::AlreadyExists, "{} already exists", out.handlerDir.string());
    }
    const std::string handlerRef = "./" + options.name;
    const std::string language(lang);
    if (options.append.empty()) {
        if (fs::exists(out.stackFile, ec)) {
            return fail(Code::AlreadyExists, "{} already exists (use --append to add to it)",
                        out.stackFile.string());
        }
        p.stack = stackFileText(options.gateway, options.name, language, handlerRef, out.image);
    } else {
        TRY_ASSIGN(auto text, readFile(out.stackFile));
        TRY_ASSIGN(p.stack, appendFunction(text, out.stackFile.string(), options.name, language,
                                           handlerRef, out.image));
    }
    return p;
}

Result<NewFunction> write(Plan p, const Template& tmpl) {
    NewFunction& out = p.out;
    const fs::path skeleton = tmpl.dir / kSkeletonFolder;
    std::error_code ec;
    if (!fs::is_directory(skeleton, ec)) {
        return fail(Code::FailedPrecondition, "template {} has no {}/ skeleton ({})", tmpl.language,
                    kSkeletonFolder, tmpl.dir.string());
    }
    out.templateDir = tmpl.dir;
    // Both or neither: the folder goes again if the stack file cannot be written.
    TRY(copySkeleton(skeleton, out.handlerDir));
    ScopeExit removeHandler([&] {
        std::error_code ignored;
        fs::remove_all(out.handlerDir, ignored);
    });
    TRY(writeFileAtomic(out.stackFile, p.stack));
    removeHandler.release();
    return std::move(out);
}

} // namespace

Result<NewFunction> createFunction(const Template& tmpl, const NewFunctionOptions& options) {
    TRY_ASSIGN(auto p, plan(tmpl.language, options));
    return write(std::move(p), tmpl);
}

Result<NewFunction> scaffoldFunction(std::string_view lang, const NewFunctionOptions& options) {
    TRY_ASSIGN(auto p, plan(lang, options));
    fs::path stackDir = p.out.stackFile.parent_path();
    if (stackDir.empty()) {
        stackDir = ".";
    }
    std::error_code ec;
    const bool hadTemplate = fs::is_directory(stackDir / kLocalTemplatesFolder / lang, ec);
    TRY_ASSIGN(auto tmpl, ensureLocalTemplate(stackDir, lang, options.templatesDir));
    auto made = write(std::move(p), tmpl);
    if (made) {
        made->templateCopied = !hadTemplate;
    }
    return made;
}

} // namespace faasd::build
