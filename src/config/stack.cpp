#include "config/stack.hpp"

#include "api/validate.hpp"
#include "common/files.hpp"

#include <algorithm>
#include <fnmatch.h>
#include <functional>
#include <regex>
#include <set>
#include <yaml-cpp/yaml.h>

namespace faasd::config {

Error locatedError(const Location& at, std::string_view field, std::string_view message) {
    if (field.empty()) {
        return Error(Code::InvalidArgument,
                     fmt::format("{}:{}:{}: {}", at.file, at.line, at.column, message));
    }
    return Error(Code::InvalidArgument,
                 fmt::format("{}:{}:{}: {}: {}", at.file, at.line, at.column, field, message));
}

const Location& StackFunction::locate(std::string_view field) const {
    auto it = fieldLocations.find(std::string(field));
    return it == fieldLocations.end() ? location : it->second;
}

Error StackFunction::error(std::string_view field, std::string_view message) const {
    std::string path = fmt::format("functions.{}", name);
    if (!field.empty()) {
        path += ".";
        path += field;
    }
    return locatedError(locate(field), path, message);
}

const StackFunction* Stack::find(std::string_view name) const {
    for (const auto& fn : functions) {
        if (fn.name == name) {
            return &fn;
        }
    }
    return nullptr;
}

Result<std::string> substituteEnv(std::string_view text, const Env& env) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out += text[i++];
            continue;
        }
        size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            return fail(Code::InvalidArgument, "unterminated \"${{\" in \"{}\"", text);
        }
        std::string_view expr = text.substr(i + 2, close - i - 2);
        size_t nameEnd = 0;
        while (nameEnd < expr.size() &&
               (std::isalnum(static_cast<unsigned char>(expr[nameEnd])) || expr[nameEnd] == '_')) {
            ++nameEnd;
        }
        std::string name(expr.substr(0, nameEnd));
        std::string_view rest = expr.substr(nameEnd);
        if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) {
            return fail(Code::InvalidArgument, "bad variable name in \"${{{}}}\"", expr);
        }
        auto it = env.find(name);
        bool set = it != env.end();
        if (rest.empty()) {
            out += set ? it->second : "";
        } else if (rest.starts_with(":-")) {
            out += set && !it->second.empty() ? it->second : std::string(rest.substr(2));
        } else if (rest.starts_with("-")) {
            out += set ? it->second : std::string(rest.substr(1));
        } else {
            return fail(Code::InvalidArgument,
                        "unsupported \"${{{}}}\": use ${{VAR}}, ${{VAR:-default}} or "
                        "${{VAR-default}}",
                        expr);
        }
        i = close + 1;
    }
    return out;
}

namespace {

std::string_view kindName(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map:
        return "a map";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Scalar:
        return "a scalar";
    case YAML::NodeType::Null:
        return "empty";
    default:
        return "undefined";
    }
}

// Walks one YAML document, keeping the file name and the environment.
class Reader {
public:
    Reader(std::string file, const Env& env) : file_(std::move(file)), env_(env) {}

    Location at(const YAML::Node& node, const Location& fallback) const {
        const auto mark = node.Mark();
        if (mark.line < 0) {
            return fallback;
        }
        return Location{file_, mark.line + 1, mark.column + 1};
    }
    Location at(const YAML::Node& node) const { return at(node, Location{file_, 1, 1}); }

    // A scalar with variables substituted.
    Result<std::string> string(const YAML::Node& node, std::string_view field) const {
        if (!node.IsScalar()) {
            return fail(locatedError(at(node), field,
                                     fmt::format("must be a string, not {}", kindName(node))));
        }
        auto value = substituteEnv(node.Scalar(), env_);
        if (!value) {
            return fail(locatedError(at(node), field, value.error().message()));
        }
        return *value;
    }

    Result<bool> boolean(const YAML::Node& node, std::string_view field) const {
        TRY_ASSIGN(auto text, string(node, field));
        std::string lower = text;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (lower == "true" || lower == "yes" || lower == "on") {
            return true;
        }
        if (lower == "false" || lower == "no" || lower == "off") {
            return false;
        }
        return fail(
            locatedError(at(node), field, fmt::format("must be true or false, not \"{}\"", text)));
    }

    Result<std::vector<std::string>> strings(const YAML::Node& node, std::string_view field) const {
        std::vector<std::string> out;
        if (node.IsNull()) {
            return out;
        }
        if (!node.IsSequence()) {
            return fail(locatedError(
                at(node), field, fmt::format("must be a list of strings, not {}", kindName(node))));
        }
        for (size_t i = 0; i < node.size(); ++i) {
            TRY_ASSIGN(auto value, string(node[i], fmt::format("{}[{}]", field, i)));
            out.push_back(std::move(value));
        }
        return out;
    }

    // Calls visit(key, keyNode, valueNode) for every entry of a map; a
    // duplicate key is an error.
    Result<void> entries(const YAML::Node& node, std::string_view field,
                         const std::function<Result<void>(const std::string&, const YAML::Node&,
                                                          const YAML::Node&)>& visit) const {
        if (node.IsNull()) {
            return {};
        }
        if (!node.IsMap()) {
            return fail(locatedError(at(node), field,
                                     fmt::format("must be a map, not {}", kindName(node))));
        }
        std::set<std::string> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            std::string keyField = field.empty() ? std::string("key") : std::string(field);
            TRY_ASSIGN(auto key, string(it->first, keyField));
            if (!seen.insert(key).second) {
                return fail(locatedError(at(it->first),
                                         field.empty() ? key : fmt::format("{}.{}", field, key),
                                         "given twice"));
            }
            TRY(visit(key, it->first, it->second));
        }
        return {};
    }

    Result<api::StringMap> stringMap(const YAML::Node& node, std::string_view field) const {
        api::StringMap out;
        TRY(entries(node, field,
                    [&](const std::string& key, const YAML::Node&,
                        const YAML::Node& value) -> Result<void> {
                        if (value.IsNull()) {
                            out[key] = "";
                            return {};
                        }
                        TRY_ASSIGN(out[key], string(value, fmt::format("{}.{}", field, key)));
                        return {};
                    }));
        return out;
    }

    const std::string& file() const { return file_; }

private:
    std::string file_;
    const Env& env_;
};

Result<YAML::Node> loadYaml(std::string_view text, const std::string& file) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
        Location at{file, e.mark.line + 1, e.mark.column + 1};
        return fail(locatedError(at, "", fmt::format("YAML syntax error: {}", e.msg)));
    } catch (const YAML::Exception& e) {
        return fail(Code::InvalidArgument, "{}: YAML error: {}", file, e.what());
    }
}

// An environment_file: a YAML file with an `environment:` map.
Result<api::StringMap> readEnvironmentFile(const std::filesystem::path& path,
                                           const std::string& shownName, const Env& env) {
    auto text = readFile(path);
    if (!text) {
        return fail(std::move(text).error());
    }
    TRY_ASSIGN(auto root, loadYaml(*text, shownName));
    Reader reader(shownName, env);
    if (root.IsNull()) {
        return api::StringMap{};
    }
    if (!root.IsMap()) {
        return fail(locatedError(
            reader.at(root), "",
            fmt::format("must be a map with an environment: field, not {}", kindName(root))));
    }
    api::StringMap out;
    TRY(reader.entries(root, "",
                       [&](const std::string& key, const YAML::Node& keyNode,
                           const YAML::Node& value) -> Result<void> {
                           if (key != "environment") {
                               return fail(locatedError(reader.at(keyNode), key,
                                                        "unknown field; an environment file "
                                                        "holds only environment:"));
                           }
                           TRY_ASSIGN(out, reader.stringMap(value, "environment"));
                           return {};
                       }));
    return out;
}

Result<api::Resources> readResources(const Reader& reader, const YAML::Node& node,
                                     const std::string& field, StackFunction& fn,
                                     const std::string& fnField) {
    api::Resources res;
    TRY(reader.entries(
        node, field,
        [&](const std::string& key, const YAML::Node& keyNode,
            const YAML::Node& value) -> Result<void> {
            std::string sub = field + "." + key;
            fn.fieldLocations[fnField + "." + key] = reader.at(value, reader.at(keyNode));
            if (key == "memory") {
                TRY_ASSIGN(res.memory, reader.string(value, sub));
                if (!res.memory.empty()) {
                    if (auto bytes = api::parseMemory(res.memory); !bytes) {
                        return fail(locatedError(reader.at(value), sub, bytes.error().message()));
                    }
                }
            } else if (key == "cpu") {
                TRY_ASSIGN(res.cpu, reader.string(value, sub));
                if (!res.cpu.empty()) {
                    if (auto milli = api::parseCpu(res.cpu); !milli) {
                        return fail(locatedError(reader.at(value), sub, milli.error().message()));
                    }
                }
            } else {
                return fail(locatedError(reader.at(keyNode), sub,
                                         "unknown field; limits and requests take memory and cpu"));
            }
            return {};
        }));
    return res;
}

// A function being read: the struct, and what its fields read into
// besides it.
struct FunctionReading {
    const Reader& reader;
    const std::filesystem::path& dir; // environment_file entries are relative to it
    const Env& env;
    std::vector<std::string>& warnings;
    StackFunction fn;
    api::StringMap inlineEnv; // environment:
    api::StringMap fileEnv;   // environment_file:, merged in order
};

// One `key: value` of a function.
struct FieldValue {
    const std::string& key; // "lang"
    std::string path;       // "functions.NAME.lang", as messages name it
    const YAML::Node& keyNode;
    const YAML::Node& value;
};

using ReadField = Result<void> (*)(FunctionReading&, const FieldValue&);

// A field read by one of Reader's readers into a member of StackFunction.
template <auto member, auto read> Result<void> into(FunctionReading& r, const FieldValue& f) {
    TRY_ASSIGN(r.fn.*member, (r.reader.*read)(f.value, f.path));
    return {};
}
template <auto member> constexpr ReadField asString = into<member, &Reader::string>;
template <auto member> constexpr ReadField asBoolean = into<member, &Reader::boolean>;
template <auto member> constexpr ReadField asStrings = into<member, &Reader::strings>;
template <auto member> constexpr ReadField asStringMap = into<member, &Reader::stringMap>;

template <auto member> Result<void> asResources(FunctionReading& r, const FieldValue& f) {
    TRY_ASSIGN(r.fn.*member, readResources(r.reader, f.value, f.path, r.fn, f.key));
    return {};
}

Result<void> readInlineEnvironment(FunctionReading& r, const FieldValue& f) {
    TRY_ASSIGN(r.inlineEnv, r.reader.stringMap(f.value, f.path));
    return {};
}

Result<void> readEnvironmentFiles(FunctionReading& r, const FieldValue& f) {
    TRY_ASSIGN(r.fn.environmentFiles, r.reader.strings(f.value, f.path));
    for (size_t i = 0; i < r.fn.environmentFiles.size(); ++i) {
        const auto& entry = r.fn.environmentFiles[i];
        auto read = readEnvironmentFile(r.dir / entry, entry, r.env);
        if (!read) {
            Location where = f.value.IsSequence() ? r.reader.at(f.value[i]) : r.reader.at(f.value);
            return fail(
                locatedError(where, fmt::format("{}[{}]", f.path, i), read.error().message()));
        }
        for (auto& [k, v] : *read) {
            r.fileEnv[k] = v;
        }
    }
    return {};
}

Result<void> readSecrets(FunctionReading& r, const FieldValue& f) {
    TRY_ASSIGN(r.fn.secrets, r.reader.strings(f.value, f.path));
    for (size_t i = 0; i < r.fn.secrets.size(); ++i) {
        if (auto ok = api::validateSecretName(r.fn.secrets[i]); !ok) {
            return fail(locatedError(r.reader.at(f.value[i]), fmt::format("{}[{}]", f.path, i),
                                     ok.error().message()));
        }
    }
    return {};
}

Result<void> readNamespace(FunctionReading& r, const FieldValue& f) {
    TRY_ASSIGN(r.fn.ns, r.reader.string(f.value, f.path));
    if (!r.fn.ns.empty()) {
        if (auto ok = api::validateName("namespace", r.fn.ns); !ok) {
            return fail(locatedError(r.reader.at(f.value), f.path, ok.error().message()));
        }
    }
    return {};
}

// A field faasd accepts but does not use.
Result<void> notUsed(FunctionReading& r, const FieldValue& f) {
    auto at = r.reader.at(f.keyNode);
    r.warnings.push_back(fmt::format("{}:{}:{}: {}: not used by faasd, ignored", at.file, at.line,
                                     at.column, f.path));
    return {};
}

struct FunctionField {
    std::string_view name; // as stack.yml spells it
    ReadField read;
};

// A function's fields; any other is warned about and ignored.
constexpr FunctionField kFunctionFields[] = {
    {"lang", asString<&StackFunction::lang>},
    {"handler", asString<&StackFunction::handler>},
    {"image", asString<&StackFunction::image>},
    {"fprocess", asString<&StackFunction::fprocess>},
    {"environment", readInlineEnvironment},
    {"environment_file", readEnvironmentFiles},
    {"secrets", readSecrets},
    {"labels", asStringMap<&StackFunction::labels>},
    {"annotations", asStringMap<&StackFunction::annotations>},
    {"limits", asResources<&StackFunction::limits>},
    {"requests", asResources<&StackFunction::requests>},
    {"readonly_root_filesystem", asBoolean<&StackFunction::readOnlyRootFilesystem>},
    {"build_args", asStringMap<&StackFunction::buildArgs>},
    {"build_options", asStrings<&StackFunction::buildOptions>},
    {"namespace", readNamespace},
    {"skip_build", asBoolean<&StackFunction::skipBuild>},
    {"constraints", asStrings<&StackFunction::constraints>},
    {"build_secrets", notUsed},
    {"platforms", notUsed},
    {"image_pull_policy", notUsed},
};

const FunctionField* functionField(std::string_view name) {
    for (const auto& field : kFunctionFields) {
        if (field.name == name) {
            return &field;
        }
    }
    return nullptr;
}

Result<StackFunction> readFunction(const Reader& reader, const std::string& name,
                                   const YAML::Node& keyNode, const YAML::Node& node,
                                   const std::filesystem::path& dir, const Env& env,
                                   std::vector<std::string>& warnings) {
    FunctionReading r{reader, dir, env, warnings, {}, {}, {}};
    StackFunction& fn = r.fn;
    fn.name = name;
    fn.location = reader.at(keyNode);
    const std::string prefix = "functions." + name;
    if (auto valid = api::validateName("function name", name); !valid) {
        return fail(locatedError(fn.location, prefix, valid.error().message()));
    }
    if (!node.IsMap() && !node.IsNull()) {
        return fail(locatedError(reader.at(node, fn.location), prefix,
                                 fmt::format("must be a map, not {}", kindName(node))));
    }
    TRY(reader.entries(node, prefix,
                       [&](const std::string& key, const YAML::Node& fieldKey,
                           const YAML::Node& value) -> Result<void> {
                           FieldValue f{key, prefix + "." + key, fieldKey, value};
                           fn.fieldLocations[key] = reader.at(value, reader.at(fieldKey));
                           if (const FunctionField* field = functionField(key)) {
                               return field->read(r, f);
                           }
                           auto at = reader.at(fieldKey);
                           warnings.push_back(fmt::format("{}:{}:{}: {}: unknown field, ignored",
                                                          at.file, at.line, at.column, f.path));
                           return {};
                       }));
    fn.environment = std::move(r.fileEnv);
    for (auto& [k, v] : r.inlineEnv) {
        fn.environment[k] = std::move(v);
    }
    if (fn.image.empty()) {
        return fail(locatedError(fn.locate("image"), prefix + ".image",
                                 "an image is required (e.g. image: " + name + ":latest)"));
    }
    return std::move(fn);
}

} // namespace

Result<Stack> parseStack(std::string_view text, const std::string& fileName,
                         const std::filesystem::path& dir, const Env& env) {
    TRY_ASSIGN(auto root, loadYaml(text, fileName));
    Reader reader(fileName, env);
    Stack stack;
    stack.file = fileName;
    stack.dir = dir;
    if (root.IsNull()) {
        return fail(locatedError(Location{fileName, 1, 1}, "", "empty stack file"));
    }
    if (!root.IsMap()) {
        return fail(
            locatedError(reader.at(root), "",
                         fmt::format("a stack file must be a map, not {}", kindName(root))));
    }
    bool sawFunctions = false;
    TRY(reader.entries(
        root, "",
        [&](const std::string& key, const YAML::Node& keyNode,
            const YAML::Node& value) -> Result<void> {
            if (key == "version") {
                TRY_ASSIGN(stack.version, reader.string(value, "version"));
                if (stack.version != "1.0") {
                    return fail(locatedError(
                        reader.at(value), "version",
                        fmt::format("only 1.0 is supported, not \"{}\"", stack.version)));
                }
            } else if (key == "provider") {
                return reader.entries(
                    value, "provider",
                    [&](const std::string& pkey, const YAML::Node& pkeyNode,
                        const YAML::Node& pvalue) -> Result<void> {
                        const std::string field = "provider." + pkey;
                        if (pkey == "name") {
                            TRY_ASSIGN(stack.provider.name, reader.string(pvalue, field));
                            if (stack.provider.name != "openfaas" &&
                                stack.provider.name != "faas") {
                                return fail(locatedError(reader.at(pvalue), field,
                                                         fmt::format("must be openfaas, not \"{}\"",
                                                                     stack.provider.name)));
                            }
                        } else if (pkey == "gateway") {
                            TRY_ASSIGN(stack.provider.gateway, reader.string(pvalue, field));
                        } else {
                            auto at = reader.at(pkeyNode);
                            stack.warnings.push_back(
                                fmt::format("{}:{}:{}: {}: unknown field, ignored", at.file,
                                            at.line, at.column, field));
                        }
                        return {};
                    });
            } else if (key == "functions") {
                sawFunctions = true;
                return reader.entries(value, "functions",
                                      [&](const std::string& name, const YAML::Node& nameNode,
                                          const YAML::Node& body) -> Result<void> {
                                          TRY_ASSIGN(auto fn,
                                                     readFunction(reader, name, nameNode, body, dir,
                                                                  env, stack.warnings));
                                          stack.functions.push_back(std::move(fn));
                                          return {};
                                      });
            } else if (key == "configuration") {
                // configuration.templates names template sources; faasd's
                // templates are local, so it is not used.
            } else {
                auto at = reader.at(keyNode);
                stack.warnings.push_back(fmt::format("{}:{}:{}: {}: unknown field, ignored",
                                                     at.file, at.line, at.column, key));
            }
            return {};
        }));
    if (!sawFunctions) {
        return fail(locatedError(Location{fileName, 1, 1}, "functions",
                                 "missing; a stack file lists its functions under functions:"));
    }
    return stack;
}

Result<Stack> loadStack(const std::filesystem::path& path, const Env& env) {
    auto text = readFile(path);
    if (!text) {
        return fail(std::move(text).error().context(fmt::format("reading {}", path.string())));
    }
    auto dir = path.parent_path();
    if (dir.empty()) {
        dir = ".";
    }
    return parseStack(*text, path.string(), dir, env);
}

Result<std::vector<StackFunction>> selectFunctions(const Stack& stack, std::string_view filter,
                                                   std::string_view regex) {
    if (!filter.empty() && !regex.empty()) {
        return fail(Code::InvalidArgument, "give --filter or --regex, not both");
    }
    std::optional<std::regex> re;
    if (!regex.empty()) {
        try {
            re.emplace(std::string(regex), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return fail(Code::InvalidArgument, "--regex \"{}\": {}", regex, e.what());
        }
    }
    const std::string pattern(filter);
    std::vector<StackFunction> out;
    for (const auto& fn : stack.functions) {
        bool take = true;
        if (!pattern.empty()) {
            take = fnmatch(pattern.c_str(), fn.name.c_str(), 0) == 0;
        } else if (re) {
            take = std::regex_search(fn.name, *re);
        }
        if (take) {
            out.push_back(fn);
        }
    }
    if (out.empty()) {
        if (!pattern.empty()) {
            return fail(Code::NotFound, "no function in {} matches --filter \"{}\"", stack.file,
                        filter);
        }
        if (re) {
            return fail(Code::NotFound, "no function in {} matches --regex \"{}\"", stack.file,
                        regex);
        }
        return fail(Code::NotFound, "{} lists no functions", stack.file);
    }
    return out;
}

api::FunctionDeployment toDeployment(const StackFunction& fn) {
    api::FunctionDeployment d;
    d.service = fn.name;
    d.image = fn.image;
    d.ns = fn.ns;
    d.envProcess = fn.fprocess;
    d.envVars = fn.environment;
    d.constraints = fn.constraints;
    d.secrets = fn.secrets;
    d.labels = fn.labels;
    d.annotations = fn.annotations;
    if (fn.limits && !fn.limits->empty()) {
        d.limits = fn.limits;
    }
    if (fn.requests && !fn.requests->empty()) {
        d.requests = fn.requests;
    }
    d.readOnlyRootFilesystem = fn.readOnlyRootFilesystem;
    return d;
}

} // namespace faasd::config
