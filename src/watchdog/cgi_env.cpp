#include "watchdog/cgi_env.hpp"

#include "common/strings.hpp"

#include <charconv>

namespace faasd::watchdog {

namespace {

bool isTokenChar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Go keeps one entry per canonical key: the first value wins.
bool seenBefore(const MessageHead& request, size_t i) {
    std::string_view name = request.field(i).name;
    for (size_t j = 0; j < i; ++j) {
        if (iequals(request.field(j).name, name)) {
            return true;
        }
    }
    return false;
}

// Calls emit(name, value) for every variable of the request.
template <typename Emit> void forEachVariable(const MessageHead& request, Emit&& emit) {
    for (size_t i = 0; i < request.fieldCount(); ++i) {
        MessageHead::Field f = request.field(i);
        if (iequals(f.name, "host") || iequals(f.name, "transfer-encoding") ||
            iequals(f.name, "content-length") || seenBefore(request, i)) {
            continue;
        }
        emit(cgiVariableName(f.name), f.value);
    }
    emit("Http_Method", request.method());

    char number[24];
    int64_t length = request.chunked ? -1 : static_cast<int64_t>(request.contentLength.value_or(0));
    auto end = std::to_chars(number, number + sizeof number, length).ptr;
    std::string_view lengthText(number, static_cast<size_t>(end - number));
    emit("Http_ContentLength", lengthText);
    emit("Http_Content_Length", lengthText);
    if (request.chunked) {
        emit("Http_Transfer_Encoding", "chunked");
    }
    if (std::string_view query = request.query(); !query.empty()) {
        emit("Http_Query", query);
    }
    std::string path = decodePath(request.path());
    if (!path.empty()) {
        emit("Http_Path", path);
    }
    std::string_view host = request.find("host").value_or("");
    if (!host.empty()) {
        emit("Http_Host", host);
    }
}

} // namespace

std::string canonicalHeaderKey(std::string_view name) {
    std::string out(name);
    for (char c : out) {
        if (!isTokenChar(c)) {
            return out; // Go leaves invalid keys untouched
        }
    }
    bool upper = true;
    for (char& c : out) {
        if (upper && c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - ('a' - 'A'));
        } else if (!upper && c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c + ('a' - 'A'));
        }
        upper = c == '-';
    }
    return out;
}

std::string cgiVariableName(std::string_view headerName) {
    std::string name = "Http_" + canonicalHeaderKey(headerName);
    for (size_t i = 5; i < name.size(); ++i) {
        if (name[i] == '-') {
            name[i] = '_';
        }
    }
    return name;
}

std::string decodePath(std::string_view path) {
    return percentDecode(path).value_or(std::string(path));
}

std::vector<std::string> cgiVariables(const MessageHead& request) {
    std::vector<std::string> out;
    forEachVariable(request, [&](std::string_view name, std::string_view value) {
        std::string entry(name);
        entry += '=';
        entry += value;
        out.push_back(std::move(entry));
    });
    return out;
}

EnvBlock::EnvBlock(char** base) {
    for (char** e = base; e && *e; ++e) {
        base_.emplace_back(*e);
    }
}

void EnvBlock::append(std::string_view name, std::string_view value) {
    offsets_.push_back(arena_.size());
    arena_.append(name);
    arena_ += '=';
    arena_.append(value);
    arena_ += '\0';
}

char* const* EnvBlock::base() {
    pointers_.clear();
    for (std::string& e : base_) {
        pointers_.push_back(e.data());
    }
    pointers_.push_back(nullptr);
    return pointers_.data();
}

char* const* EnvBlock::build(const MessageHead& request, bool cgiHeaders) {
    if (!cgiHeaders) {
        return base();
    }
    arena_.clear();
    offsets_.clear();
    forEachVariable(request,
                    [&](std::string_view name, std::string_view value) { append(name, value); });
    pointers_.clear();
    for (std::string& e : base_) {
        pointers_.push_back(e.data());
    }
    for (size_t offset : offsets_) {
        pointers_.push_back(arena_.data() + offset);
    }
    pointers_.push_back(nullptr);
    return pointers_.data();
}

} // namespace faasd::watchdog
