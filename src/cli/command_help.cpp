// Each command's -h/--help: usage, arguments, options and subcommands.

#include "cli/command.hpp"

#include <algorithm>
#include <utility>

namespace faasd::cli {

namespace {

// "  left   right", the right column at width (or two spaces past a long left).
void row(std::string& out, const std::string& left, const std::string& right, size_t width) {
    out += "  " + left;
    out.append(left.size() < width ? width - left.size() : 2, ' ');
    out += right + "\n";
}

} // namespace

std::string Command::help() const {
    std::vector<std::pair<std::string, std::string>> positionals, options, commands;
    for (const auto& p : positionals_) {
        positionals.emplace_back(p->shown(), p->help_ + (p->required_ ? " (required)" : ""));
    }
    options.emplace_back("-h,--help", "print this help and exit");
    if (!version_.empty()) {
        options.emplace_back("--version", "print the version and exit");
    }
    for (const auto& o : options_) {
        std::string left = o->shown();
        if (!o->flag_) {
            left += " " + std::string(o->binding_.metavar);
        }
        std::string right = o->help_;
        if (!o->default_.empty()) {
            right += " [default: " + o->default_ + "]";
        }
        if (o->required_) {
            right += " (required)";
        }
        options.emplace_back(std::move(left), std::move(right));
    }
    for (const auto& s : subcommands_) {
        std::string left = s->name_;
        for (const auto& a : s->aliases_) {
            left += ", " + a;
        }
        commands.emplace_back(std::move(left), s->description_);
    }

    size_t width = 0;
    for (const auto* list : {&positionals, &options, &commands}) {
        for (const auto& [left, right] : *list) {
            width = std::max(width, left.size() + 2);
        }
    }
    width = std::min<size_t>(width, 30);

    std::string out = description_ + "\n\nUsage: " + fullName();
    if (!options.empty()) {
        out += " [OPTIONS]";
    }
    for (const auto& p : positionals_) {
        out += " " + (p->required_ ? p->shown() : "[" + p->shown() + "]");
    }
    if (!subcommands_.empty()) {
        out += requireSubcommand_ ? " COMMAND" : " [COMMAND]";
    }
    out += "\n";
    if (!aliases_.empty()) {
        out += "Aliases:";
        for (const auto& a : aliases_) {
            out += " " + a;
        }
        out += "\n";
    }
    auto section = [&](std::string_view title, const auto& rows) {
        if (rows.empty()) {
            return;
        }
        out += "\n" + std::string(title) + ":\n";
        for (const auto& [left, right] : rows) {
            row(out, left, right, width);
        }
    };
    section("Arguments", positionals);
    section("Options", options);
    section("Commands", commands);
    if (!subcommands_.empty()) {
        out += "\nSee " + fullName() + " COMMAND --help for a command's own options.\n";
    }
    return out;
}

} // namespace faasd::cli
