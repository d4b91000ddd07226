#pragma once

// The command line's grammar: a tree of commands, each with options, flags
// and positionals bound to the caller's variables, a callback and -h/--help.
// parse() is a function of the arguments alone (it only writes the bound
// variables); run() adds the printing, the hooks and the callbacks. Every
// verb file includes this header, so it stays light: the parsing, the
// bindings and the help text live in command.cpp, command_bind.cpp and
// command_help.cpp.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::cli {

// Thrown by a callback that has already said on stderr why it failed: run()
// returns exitCode.
struct CommandFailed {
    int exitCode = 1;
};

// How a bound variable takes an argument's text: set answers "" when the
// text fits, else why not ("expected an integer").
struct Binding {
    std::function<std::string(std::string_view)> set;
    const char* metavar = "TEXT";
};

Binding binding(std::string& to);
Binding binding(std::vector<std::string>& to); // each occurrence appends
Binding binding(bool& to);                     // true/false, yes/no, on/off, 1/0
Binding binding(int& to);
Binding binding(long& to);
Binding binding(long long& to);
Binding binding(unsigned short& to);
Binding binding(unsigned& to);
Binding binding(unsigned long& to);
Binding binding(unsigned long long& to);

// std::optional<T> (anything with emplace() and a value_type that binds):
// holds a value only when the argument is given.
template <typename T>
requires requires(T& t) {
    typename T::value_type;
    t.emplace();
}
Binding binding(T& to) {
    typename T::value_type probe{};
    return {[&to](std::string_view text) {
                typename T::value_type value{};
                std::string error = binding(value).set(text);
                if (error.empty()) {
                    to = value;
                }
                return error;
            },
            binding(probe).metavar};
}

// An option ("-g,--gateway"), a flag, or a positional ("name").
class Option {
public:
    Option& required();
    // What help shows as the default ("true").
    Option& defaultText(std::string_view text);

private:
    friend class Command;
    Option() = default;
    // "-g,--gateway", or "NAME" for a positional.
    std::string shown() const;

    std::vector<char> shorts_;       // 'g' for -g
    std::vector<std::string> longs_; // "gateway" for --gateway
    std::string positional_;         // non-empty for a positional
    std::string help_;
    Binding binding_;
    bool flag_ = false;
    bool required_ = false;
    std::string default_;
};

class Command;

// What parse() found.
struct ParseResult {
    enum class Kind {
        Run,     // path names the chosen command
        Help,    // text is the help of path.back()
        Version, // text is the version
        Error,   // text is the one-line usage error, "faasd: list: ..."
    };
    Kind kind = Kind::Run;
    std::vector<const Command*> path; // the root first, the chosen command last
    std::string text;
};

class Command {
public:
    Command(std::string_view name, std::string_view description);
    ~Command();
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;

    // A nested command; the reference stays valid as long as this one.
    Command& subcommand(std::string_view name, std::string_view description);
    Command& alias(std::string_view name);
    // Fails the parse unless one of the subcommands is chosen.
    Command& requireSubcommand();
    // Adds --version, which prints text.
    Command& version(std::string_view text);

    // names: "-n,--namespace", "--tail", "-o". Given again, an option
    // takes the last value, except a std::vector, which collects them all.
    template <typename T> Option& option(std::string_view names, T& to, std::string_view help) {
        return add(names, binding(to), help, false);
    }
    // A bool set by its presence (or --flag=false).
    Option& flag(std::string_view names, bool& to, std::string_view help);
    // Positionals take the words that are not options, in the order declared.
    template <typename T> Option& positional(std::string_view name, T& to, std::string_view help) {
        return addPositional(name, binding(to), help);
    }

    // Runs when this command is chosen, after the whole command line has
    // parsed; it may throw CommandFailed.
    Command& callback(std::function<void()> fn);
    // Runs after a successful parse, before any callback, when this command
    // or one below it is chosen; a non-empty answer is a usage error.
    Command& onParsed(std::function<std::string()> check);

    ParseResult parse(const std::vector<std::string>& args) const;
    // Parses, then prints the help, the version or the error, or runs the
    // hooks and the callbacks; the process's exit code: 0, 2 for a usage
    // error, a failed callback's own.
    int run(const std::vector<std::string>& args) const;
    int run(int argc, char** argv) const;

    std::string help() const;
    const std::string& name() const { return name_; }
    // "faasd namespace create"
    std::string fullName() const;

private:
    Option& add(std::string_view names, Binding binding, std::string_view help, bool flag);
    Option& addPositional(std::string_view name, Binding binding, std::string_view help);
    const Option* findLong(std::string_view name) const;
    const Option* findShort(char c) const;
    const Command* findSubcommand(std::string_view word) const;
    std::string usageError(std::string_view message) const;

    std::string name_;
    std::string description_;
    std::vector<std::string> aliases_;
    const Command* parent_ = nullptr;
    std::vector<std::unique_ptr<Option>> options_;
    std::vector<std::unique_ptr<Option>> positionals_;
    std::vector<std::unique_ptr<Command>> subcommands_;
    bool requireSubcommand_ = false;
    std::string version_;
    std::function<void()> callback_;
    std::function<std::string()> onParsed_;
};

} // namespace faasd::cli
