#pragma once

// The on-disk record of every attachment, one file per id under
// <stateDir>/<network>/<id>.json. A record is written before ADD runs
// (no result yet) and completed with the result after, so after a crash at
// any point the attachment can still be found and deleted. The record keeps
// the conflist the attachment was made with: DEL replays exactly those
// plugins, with the cached result as prevResult, even if the config changed.

#include "common/error.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faasd::network {

struct CachedAttachment {
    std::string id;
    std::string ifName;
    std::string netns;
    nlohmann::json conflist; // the network config list used for ADD
    nlohmann::json result;   // the ADD result; null while ADD has not finished

    bool complete() const { return !result.is_null(); }
};

class ResultCache {
public:
    explicit ResultCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

    const std::filesystem::path& dir() const { return dir_; }

    // Writes the record atomically (creating the directory).
    Result<void> save(const CachedAttachment& attachment) const;
    // The record for id, or nullopt when there is none.
    Result<std::optional<CachedAttachment>> load(const std::string& id) const;
    // Removes the record for id; no record is not an error.
    Result<void> remove(const std::string& id) const;
    // Every readable record, sorted by id. Unreadable files are logged and
    // skipped so one bad file cannot block recovery of the rest.
    Result<std::vector<CachedAttachment>> list() const;

private:
    std::filesystem::path pathFor(const std::string& id) const;

    std::filesystem::path dir_;
};

// The record as stored, and back.
nlohmann::json toJson(const CachedAttachment& attachment);
Result<CachedAttachment> cachedAttachmentFromJson(const nlohmann::json& json);

} // namespace faasd::network
