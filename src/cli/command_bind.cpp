// How option and positional values are read into the variables they bind.

#include "cli/command.hpp"

#include <charconv>
#include <limits>
#include <type_traits>

namespace faasd::cli {

namespace {

template <typename T> Binding integer(T& to) {
    return {[&to](std::string_view text) -> std::string {
                T value{};
                const char* end = text.data() + text.size();
                auto [stop, ec] = std::from_chars(text.data(), end, value);
                const bool negative = !text.empty() && text[0] == '-';
                if (ec == std::errc::result_out_of_range ||
                    (std::is_unsigned_v<T> && negative && text.size() > 1 && stop != end)) {
                    return "expected an integer from " +
                           std::to_string(std::numeric_limits<T>::min()) + " to " +
                           std::to_string(std::numeric_limits<T>::max());
                }
                if (text.empty() || ec != std::errc() || stop != end) {
                    return "expected an integer";
                }
                to = value;
                return {};
            },
            "INT"};
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

} // namespace

Binding binding(std::string& to) {
    return {[&to](std::string_view text) {
        to = std::string(text);
        return std::string();
    }};
}

Binding binding(std::vector<std::string>& to) {
    return {[&to](std::string_view text) {
        to.emplace_back(text);
        return std::string();
    }};
}

Binding binding(bool& to) {
    return {[&to](std::string_view text) -> std::string {
                const std::string word = lower(text);
                if (word == "true" || word == "yes" || word == "on" || word == "1") {
                    to = true;
                } else if (word == "false" || word == "no" || word == "off" || word == "0") {
                    to = false;
                } else {
                    return "expected true or false";
                }
                return {};
            },
            "BOOL"};
}

Binding binding(int& to) {
    return integer(to);
}
Binding binding(long& to) {
    return integer(to);
}
Binding binding(long long& to) {
    return integer(to);
}
Binding binding(unsigned short& to) {
    return integer(to);
}
Binding binding(unsigned& to) {
    return integer(to);
}
Binding binding(unsigned long& to) {
    return integer(to);
}
Binding binding(unsigned long long& to) {
    return integer(to);
}

} // namespace faasd::cli
