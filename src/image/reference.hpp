#pragma once

// Image references the way Docker and containerd normalise them:
//   "alpine"                 -> docker.io/library/alpine:latest
//   "functions/alpine"       -> docker.io/functions/alpine:latest
//   "127.0.0.1:5000/say:0.1" -> 127.0.0.1:5000/say:0.1
//   "ghcr.io/x/y@sha256:..." -> kept, with its digest

#include "common/error.hpp"

#include <string>
#include <string_view>

namespace faasd::image {

struct Reference {
    std::string domain; // "docker.io", "127.0.0.1:5000"
    std::string path;   // "library/alpine"
    std::string tag;    // empty when only a digest is given
    std::string digest; // "sha256:..." or empty

    // domain/path
    std::string repository() const;
    // The full normalised form: repository[:tag][@digest].
    std::string str() const;
};

// Parses and normalises; a bad reference is InvalidArgument naming it.
Result<Reference> parseReference(std::string_view text);

} // namespace faasd::image
