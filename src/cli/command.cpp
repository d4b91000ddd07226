// Parsing a command line against a tree of commands, and running the chosen one.

#include "cli/command.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace faasd::cli {

namespace {

// A negative number is a value ("--tail -1"), not an option.
bool isNumber(std::string_view word) {
    if (!word.empty() && word[0] == '-') {
        word.remove_prefix(1);
    }
    return !word.empty() && word[0] >= '0' && word[0] <= '9' &&
           std::all_of(word.begin(), word.end(),
                       [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string upperCase(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

bool looksLikeOption(std::string_view word) {
    return word.size() > 1 && word[0] == '-' && !isNumber(word);
}

} // namespace

std::string Option::shown() const {
    if (!positional_.empty()) {
        return upperCase(positional_);
    }
    std::string out;
    for (char c : shorts_) {
        out += out.empty() ? "-" : ",-";
        out += c;
    }
    for (const auto& l : longs_) {
        out += out.empty() ? "--" : ",--";
        out += l;
    }
    return out;
}

Option& Option::required() {
    required_ = true;
    return *this;
}

Option& Option::defaultText(std::string_view text) {
    default_ = std::string(text);
    return *this;
}

Command::Command(std::string_view name, std::string_view description)
    : name_(name), description_(description) {}

Command::~Command() = default;

Command& Command::subcommand(std::string_view name, std::string_view description) {
    subcommands_.push_back(std::make_unique<Command>(name, description));
    subcommands_.back()->parent_ = this;
    return *subcommands_.back();
}

Command& Command::alias(std::string_view name) {
    aliases_.emplace_back(name);
    return *this;
}

Command& Command::requireSubcommand() {
    requireSubcommand_ = true;
    return *this;
}

Command& Command::version(std::string_view text) {
    version_ = std::string(text);
    return *this;
}

Option& Command::flag(std::string_view names, bool& to, std::string_view help) {
    return add(names, binding(to), help, true);
}

Command& Command::callback(std::function<void()> fn) {
    callback_ = std::move(fn);
    return *this;
}

Command& Command::onParsed(std::function<std::string()> check) {
    onParsed_ = std::move(check);
    return *this;
}

Option& Command::add(std::string_view names, Binding binding, std::string_view help, bool flag) {
    auto o = std::unique_ptr<Option>(new Option());
    while (!names.empty()) {
        const size_t comma = names.find(',');
        std::string_view name = names.substr(0, comma);
        names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
        while (!name.empty() && name.front() == ' ') {
            name.remove_prefix(1);
        }
        while (!name.empty() && name.back() == ' ') {
            name.remove_suffix(1);
        }
        if (name.size() > 2 && name.substr(0, 2) == "--") {
            o->longs_.emplace_back(name.substr(2));
        } else if (name.size() == 2 && name[0] == '-') {
            o->shorts_.push_back(name[1]);
        }
    }
    o->binding_ = std::move(binding);
    o->help_ = std::string(help);
    o->flag_ = flag;
    options_.push_back(std::move(o));
    return *options_.back();
}

Option& Command::addPositional(std::string_view name, Binding binding, std::string_view help) {
    auto o = std::unique_ptr<Option>(new Option());
    o->positional_ = std::string(name);
    o->binding_ = std::move(binding);
    o->help_ = std::string(help);
    positionals_.push_back(std::move(o));
    return *positionals_.back();
}

const Option* Command::findLong(std::string_view name) const {
    for (const auto& o : options_) {
        if (std::find(o->longs_.begin(), o->longs_.end(), name) != o->longs_.end()) {
            return o.get();
        }
    }
    return nullptr;
}

const Option* Command::findShort(char c) const {
    for (const auto& o : options_) {
        if (std::find(o->shorts_.begin(), o->shorts_.end(), c) != o->shorts_.end()) {
            return o.get();
        }
    }
    return nullptr;
}

const Command* Command::findSubcommand(std::string_view word) const {
    for (const auto& s : subcommands_) {
        if (s->name_ == word ||
            std::find(s->aliases_.begin(), s->aliases_.end(), word) != s->aliases_.end()) {
            return s.get();
        }
    }
    return nullptr;
}

std::string Command::fullName() const {
    return parent_ ? parent_->fullName() + " " + name_ : name_;
}

std::string Command::usageError(std::string_view message) const {
    const Command* root = this;
    while (root->parent_) {
        root = root->parent_;
    }
    std::string where = fullName();
    where.erase(0, std::min(where.size(), root->name_.size() + 1));
    return root->name_ + ": " + (where.empty() ? "" : where + ": ") + std::string(message) +
           " (see " + fullName() + " --help)";
}

ParseResult Command::parse(const std::vector<std::string>& args) const {
    ParseResult result;
    result.path.push_back(this);
    const Command* cur = this;
    size_t positional = 0; // the next of cur's positionals
    bool onlyPositionals = false;
    std::vector<const Option*> seen;

    auto error = [&](std::string_view message) {
        result.kind = ParseResult::Kind::Error;
        result.text = cur->usageError(message);
        return result;
    };
    // An option of the chosen command, else of a command above it.
    auto lookup = [&](auto find) -> const Option* {
        for (const Command* c = cur; c; c = c->parent_) {
            if (const Option* o = find(c)) {
                return o;
            }
        }
        return nullptr;
    };
    auto set = [&](const Option& o, std::string_view shown, std::string_view value) {
        seen.push_back(&o);
        std::string why = o.binding_.set(value);
        return why.empty() ? why : std::string(shown) + " " + std::string(value) + ": " + why;
    };
    // The value after an option that needs one, when there is one.
    size_t i = 0;
    auto takeValue = [&](std::string& value) {
        if (i + 1 < args.size() && !looksLikeOption(args[i + 1])) {
            value = args[++i];
            return true;
        }
        return false;
    };

    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (!onlyPositionals && arg == "--") {
            onlyPositionals = true;
            continue;
        }
        if (!onlyPositionals && arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
            const size_t eq = arg.find('=');
            const std::string name = arg.substr(0, eq);
            const std::string_view bare = std::string_view(name).substr(2);
            if (name == "--help") {
                result.kind = ParseResult::Kind::Help;
                result.text = cur->help();
                return result;
            }
            if (name == "--version" && !cur->version_.empty()) {
                result.kind = ParseResult::Kind::Version;
                result.text = cur->version_;
                return result;
            }
            const Option* o = lookup([&](const Command* c) { return c->findLong(bare); });
            if (!o) {
                return error("unknown option " + name);
            }
            std::string value;
            if (eq != std::string::npos) {
                value = arg.substr(eq + 1);
            } else if (o->flag_) {
                value = "true";
            } else if (!takeValue(value)) {
                return error(name + " needs a value");
            }
            if (auto why = set(*o, name, value); !why.empty()) {
                return error(why);
            }
            continue;
        }
        if (!onlyPositionals && looksLikeOption(arg)) {
            // -v, -ovalue, -o value, and flags together: -va
            for (size_t j = 1; j < arg.size(); ++j) {
                const char c = arg[j];
                const Option* o = lookup([&](const Command* cmd) { return cmd->findShort(c); });
                if (!o && c == 'h') {
                    result.kind = ParseResult::Kind::Help;
                    result.text = cur->help();
                    return result;
                }
                const std::string name = std::string("-") + c;
                if (!o) {
                    return error("unknown option " + name);
                }
                if (o->flag_) {
                    seen.push_back(o);
                    o->binding_.set("true");
                    continue;
                }
                std::string value = arg.substr(j + 1);
                if (value.empty() && !takeValue(value)) {
                    return error(name + " needs a value");
                }
                if (auto why = set(*o, name, value); !why.empty()) {
                    return error(why);
                }
                break;
            }
            continue;
        }
        // A word: the chosen command's subcommand, else its next positional.
        if (!onlyPositionals && positional == 0 && !cur->subcommands_.empty()) {
            if (const Command* sub = cur->findSubcommand(arg)) {
                cur = sub;
                result.path.push_back(sub);
                positional = 0;
                continue;
            }
            if (cur->positionals_.empty()) {
                return error("unknown command " + arg);
            }
        }
        if (positional >= cur->positionals_.size()) {
            return error("unexpected argument " + arg);
        }
        const Option& p = *cur->positionals_[positional++];
        if (auto why = set(p, p.shown(), arg); !why.empty()) {
            return error(why);
        }
    }

    for (const Command* c : result.path) {
        for (const auto& o : c->options_) {
            if (o->required_ && std::find(seen.begin(), seen.end(), o.get()) == seen.end()) {
                cur = c;
                return error("missing option " + o->shown());
            }
        }
        for (const auto& p : c->positionals_) {
            if (p->required_ && std::find(seen.begin(), seen.end(), p.get()) == seen.end()) {
                cur = c;
                return error("missing " + p->shown());
            }
        }
    }
    if (cur->requireSubcommand_) {
        std::string names;
        for (const auto& s : cur->subcommands_) {
            names += (names.empty() ? "" : ", ") + s->name_;
        }
        return error("missing command: one of " + names);
    }
    return result;
}

int Command::run(const std::vector<std::string>& args) const {
    const ParseResult parsed = parse(args);
    switch (parsed.kind) {
    case ParseResult::Kind::Help:
        std::fputs(parsed.text.c_str(), stdout);
        return 0;
    case ParseResult::Kind::Version:
        std::printf("%s\n", parsed.text.c_str());
        return 0;
    case ParseResult::Kind::Error:
        std::fprintf(stderr, "%s\n", parsed.text.c_str());
        return 2;
    case ParseResult::Kind::Run:
        break;
    }
    for (const Command* c : parsed.path) {
        if (!c->onParsed_) {
            continue;
        }
        if (std::string why = c->onParsed_(); !why.empty()) {
            std::fprintf(stderr, "%s\n", c->usageError(why).c_str());
            return 2;
        }
    }
    try {
        for (const Command* c : parsed.path) {
            if (c->callback_) {
                c->callback_();
            }
        }
    } catch (const CommandFailed& failed) {
        return failed.exitCode;
    }
    return 0;
}

int Command::run(int argc, char** argv) const {
    return run(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
}

} // namespace faasd::cli
