#pragma once

// libarchive's handles as owning pointers and its errors as ours, for the
// image component's archive readers and writers.

#include "common/error.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <memory>
#include <string_view>

namespace faasd::image {

struct ArchiveWriteFree {
    void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
struct ArchiveEntryFree {
    void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriteFree>;
using ArchiveReader = std::unique_ptr<struct archive, ArchiveReadFree>;
using ArchiveEntry = std::unique_ptr<struct archive_entry, ArchiveEntryFree>;

// What went wrong, in libarchive's words. Reading a user's archive fails
// with InvalidArgument; writing one of ours fails with Internal.
inline Error archiveError(struct archive* a, std::string_view what, Code code = Code::Internal) {
    const char* msg = archive_error_string(a);
    return Error(code, fmt::format("{}: {}", what, msg ? msg : "unknown error"));
}

} // namespace faasd::image
