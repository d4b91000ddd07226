#include "image/reference.hpp"

#include "image/digest.hpp"

namespace faasd::image {
namespace {

bool pathComponentOk(std::string_view c) {
    if (c.empty()) {
        return false;
    }
    auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
    if (!alnum(c.front()) || !alnum(c.back())) {
        return false;
    }
    for (char ch : c) {
        if (!alnum(ch) && ch != '.' && ch != '_' && ch != '-') {
            return false;
        }
    }
    return true;
}

bool tagOk(std::string_view t) {
    if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') {
        return false;
    }
    for (char ch : t) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string Reference::repository() const {
    return domain + "/" + path;
}

std::string Reference::str() const {
    std::string out = repository();
    if (!tag.empty()) {
        out += ":" + tag;
    }
    if (!digest.empty()) {
        out += "@" + digest;
    }
    return out;
}

Result<Reference> parseReference(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(Code::InvalidArgument, "invalid image reference \"{}\": {}", text, why);
    };
    if (text.empty()) {
        return bad("empty");
    }
    Reference ref;
    std::string_view rest = text;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        ref.digest = std::string(rest.substr(at + 1));
        rest = rest.substr(0, at);
        if (auto r = validateDigest(ref.digest); !r) {
            return bad("bad digest");
        }
    }
    // A tag is after the last ':' that follows the last '/'.
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = std::string(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
        if (!tagOk(ref.tag)) {
            return bad("bad tag");
        }
    }
    auto first = rest.find('/');
    std::string_view head = first == std::string_view::npos ? "" : rest.substr(0, first);
    if (!head.empty() && (head.find('.') != std::string_view::npos ||
                          head.find(':') != std::string_view::npos || head == "localhost")) {
        ref.domain = std::string(head);
        rest = rest.substr(first + 1);
    } else {
        ref.domain = "docker.io";
    }
    if (ref.domain == "index.docker.io") {
        ref.domain = "docker.io";
    }
    if (rest.empty()) {
        return bad("no repository");
    }
    size_t pos = 0;
    while (pos <= rest.size()) {
        auto next = rest.find('/', pos);
        auto component =
            rest.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        if (!pathComponentOk(component)) {
            return bad("repository names use lowercase letters, digits and . _ -");
        }
        if (next == std::string_view::npos) {
            break;
        }
        pos = next + 1;
    }
    ref.path = std::string(rest);
    if (ref.domain == "docker.io" && ref.path.find('/') == std::string::npos) {
        ref.path = "library/" + ref.path;
    }
    if (ref.tag.empty() && ref.digest.empty()) {
        ref.tag = "latest";
    }
    return ref;
}

} // namespace faasd::image
