#include "image/oci.hpp"

#include "api/json_number.hpp"
#include "image/digest.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

namespace faasd::image {

using nlohmann::json;

namespace media {
bool isManifest(std::string_view t) {
    return t == kOciManifest || t == kDockerManifest;
}
bool isIndex(std::string_view t) {
    return t == kOciIndex || t == kDockerManifestList;
}
bool isLayer(std::string_view t) {
    return t == kOciLayer || t == kOciLayerGzip || t == kDockerLayerGzip ||
           t == "application/vnd.docker.image.rootfs.diff.tar";
}
} // namespace media

Platform hostPlatform() {
#if defined(__x86_64__)
    return Platform{"linux", "amd64", ""};
#elif defined(__aarch64__)
    return Platform{"linux", "arm64", "v8"};
#elif defined(__arm__)
    return Platform{"linux", "arm", "v7"};
#else
    return Platform{"linux", "unknown", ""};
#endif
}

namespace {

json descriptorJson(const Descriptor& d) {
    json j = {{"mediaType", d.mediaType}, {"digest", d.digest}, {"size", d.size}};
    if (!d.annotations.empty()) {
        j["annotations"] = d.annotations;
    }
    return j;
}

Result<Descriptor> parseDescriptor(const json& j, std::string_view where) {
    if (!j.is_object()) {
        return fail(Code::InvalidArgument, "{}: descriptor is not an object", where);
    }
    Descriptor d;
    d.mediaType = j.value("mediaType", "");
    d.digest = j.value("digest", "");
    TRY_ASSIGN(d.size, api::jsonNumber(j, "size", int64_t{-1}, where));
    if (auto it = j.find("annotations"); it != j.end() && it->is_object()) {
        d.annotations = it->get<Labels>();
    }
    if (auto r = validateDigest(d.digest); !r) {
        return fail(r.error().context(where));
    }
    if (d.size < 0) {
        return fail(Code::InvalidArgument, "{}: descriptor of {} has no size", where, d.digest);
    }
    return d;
}

std::vector<std::string> stringList(const json& j, const char* key) {
    if (auto it = j.find(key); it != j.end() && it->is_array()) {
        std::vector<std::string> out;
        for (const auto& v : *it) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        }
        return out;
    }
    return {};
}

template <typename F>
auto parseJson(std::string_view text, std::string_view what, F&& fn)
    -> decltype(fn(std::declval<const json&>())) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return fail(Code::InvalidArgument, "parsing {}: not a JSON object", what);
    }
    try {
        return fn(j);
    } catch (const json::exception& e) {
        return fail(Code::InvalidArgument, "parsing {}: {}", what, e.what());
    }
}

} // namespace

std::string toJson(const Manifest& m) {
    json layers = json::array();
    for (const auto& l : m.layers) {
        layers.push_back(descriptorJson(l));
    }
    json j = {{"schemaVersion", 2},
              {"mediaType", m.mediaType},
              {"config", descriptorJson(m.config)},
              {"layers", layers}};
    if (!m.annotations.empty()) {
        j["annotations"] = m.annotations;
    }
    return j.dump();
}

std::string toJson(const Index& index) {
    json manifests = json::array();
    for (const auto& e : index.manifests) {
        json d = descriptorJson(e.descriptor);
        if (e.platform) {
            d["platform"] = {{"os", e.platform->os}, {"architecture", e.platform->architecture}};
            if (!e.platform->variant.empty()) {
                d["platform"]["variant"] = e.platform->variant;
            }
        }
        manifests.push_back(d);
    }
    return json{{"schemaVersion", 2}, {"mediaType", index.mediaType}, {"manifests", manifests}}
        .dump();
}

std::string toJson(const ImageConfig& c) {
    json config = json::object();
    if (!c.env.empty()) {
        config["Env"] = c.env;
    }
    if (!c.entrypoint.empty()) {
        config["Entrypoint"] = c.entrypoint;
    }
    if (!c.cmd.empty()) {
        config["Cmd"] = c.cmd;
    }
    if (!c.workingDir.empty()) {
        config["WorkingDir"] = c.workingDir;
    }
    if (!c.user.empty()) {
        config["User"] = c.user;
    }
    if (!c.labels.empty()) {
        config["Labels"] = c.labels;
    }
    if (!c.exposedPorts.empty()) {
        json ports = json::object();
        for (const auto& p : c.exposedPorts) {
            ports[p] = json::object();
        }
        config["ExposedPorts"] = ports;
    }
    if (c.healthcheck) {
        json h = {{"Test", c.healthcheck->test}};
        if (c.healthcheck->intervalNs > 0) {
            h["Interval"] = c.healthcheck->intervalNs;
        }
        if (c.healthcheck->timeoutNs > 0) {
            h["Timeout"] = c.healthcheck->timeoutNs;
        }
        if (c.healthcheck->startPeriodNs > 0) {
            h["StartPeriod"] = c.healthcheck->startPeriodNs;
        }
        if (c.healthcheck->retries > 0) {
            h["Retries"] = c.healthcheck->retries;
        }
        config["Healthcheck"] = h;
    }
    json j = {{"architecture", c.architecture},
              {"os", c.os},
              {"config", config},
              {"rootfs", {{"type", "layers"}, {"diff_ids", c.diffIds}}}};
    if (!c.created.empty()) {
        j["created"] = c.created;
    }
    return j.dump();
}

Result<Manifest> parseManifest(std::string_view text) {
    return parseJson(text, "image manifest", [](const json& j) -> Result<Manifest> {
        Manifest m;
        m.mediaType = j.value("mediaType", std::string(media::kOciManifest));
        TRY_ASSIGN(const int version, api::jsonNumber(j, "schemaVersion", 0, "image manifest"));
        if (version != 2) {
            return fail(Code::InvalidArgument, "parsing image manifest: schemaVersion is not 2");
        }
        if (!j.contains("config")) {
            return fail(Code::InvalidArgument, "parsing image manifest: no config");
        }
        TRY_ASSIGN(m.config, parseDescriptor(j.at("config"), "image manifest config"));
        if (auto it = j.find("layers"); it != j.end() && it->is_array()) {
            for (const auto& l : *it) {
                TRY_ASSIGN(auto d, parseDescriptor(l, "image manifest layer"));
                m.layers.push_back(std::move(d));
            }
        }
        if (auto it = j.find("annotations"); it != j.end() && it->is_object()) {
            m.annotations = it->get<Labels>();
        }
        return m;
    });
}

Result<Index> parseIndex(std::string_view text) {
    return parseJson(text, "image index", [](const json& j) -> Result<Index> {
        Index index;
        index.mediaType = j.value("mediaType", std::string(media::kOciIndex));
        auto it = j.find("manifests");
        if (it == j.end() || !it->is_array()) {
            return fail(Code::InvalidArgument, "parsing image index: no manifests");
        }
        for (const auto& m : *it) {
            TRY_ASSIGN(auto d, parseDescriptor(m, "image index entry"));
            IndexEntry e{std::move(d), std::nullopt};
            if (auto p = m.find("platform"); p != m.end() && p->is_object()) {
                e.platform = Platform{p->value("os", ""), p->value("architecture", ""),
                                      p->value("variant", "")};
            }
            index.manifests.push_back(std::move(e));
        }
        return index;
    });
}

Result<ImageConfig> parseImageConfig(std::string_view text) {
    return parseJson(text, "image config", [](const json& j) -> Result<ImageConfig> {
        ImageConfig c;
        c.architecture = j.value("architecture", "");
        c.os = j.value("os", "");
        c.created = j.value("created", "");
        if (auto it = j.find("config"); it != j.end() && it->is_object()) {
            const json& cfg = *it;
            c.env = stringList(cfg, "Env");
            c.entrypoint = stringList(cfg, "Entrypoint");
            c.cmd = stringList(cfg, "Cmd");
            c.workingDir = cfg.value("WorkingDir", "");
            c.user = cfg.value("User", "");
            if (auto l = cfg.find("Labels"); l != cfg.end() && l->is_object()) {
                for (const auto& [k, v] : l->items()) {
                    if (v.is_string()) {
                        c.labels[k] = v.get<std::string>();
                    }
                }
            }
            if (auto p = cfg.find("ExposedPorts"); p != cfg.end() && p->is_object()) {
                for (const auto& [k, v] : p->items()) {
                    c.exposedPorts.push_back(k);
                }
            }
            if (auto h = cfg.find("Healthcheck"); h != cfg.end() && h->is_object()) {
                Healthcheck hc;
                hc.test = stringList(*h, "Test");
                constexpr std::string_view what = "image config: Healthcheck";
                TRY_ASSIGN(hc.intervalNs, api::jsonNumber(*h, "Interval", int64_t{0}, what));
                TRY_ASSIGN(hc.timeoutNs, api::jsonNumber(*h, "Timeout", int64_t{0}, what));
                TRY_ASSIGN(hc.startPeriodNs, api::jsonNumber(*h, "StartPeriod", int64_t{0}, what));
                TRY_ASSIGN(hc.retries, api::jsonNumber(*h, "Retries", 0, what));
                c.healthcheck = std::move(hc);
            }
        }
        if (auto r = j.find("rootfs"); r != j.end() && r->is_object()) {
            c.diffIds = stringList(*r, "diff_ids");
        }
        for (const auto& d : c.diffIds) {
            TRY(withContext(validateDigest(d), "parsing image config: rootfs.diff_ids"));
        }
        return c;
    });
}

Result<DockerSaveImage> parseDockerSaveManifest(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_array() || j.empty() || !j[0].is_object()) {
        return fail(Code::InvalidArgument, "manifest.json is not a list of images");
    }
    const json& image = j[0];
    DockerSaveImage out;
    if (auto c = image.find("Config"); c != image.end() && c->is_string()) {
        out.config = c->get<std::string>();
    }
    if (auto layers = image.find("Layers"); layers != image.end()) {
        if (!layers->is_array()) {
            return fail(Code::InvalidArgument, "manifest.json: Layers is not a list");
        }
        for (const auto& layer : *layers) {
            if (!layer.is_string()) {
                return fail(Code::InvalidArgument, "manifest.json names layer {}, not a path",
                            layer.dump(-1, ' ', false, json::error_handler_t::replace));
            }
            out.layers.push_back(layer.get<std::string>());
        }
    }
    if (auto tags = image.find("RepoTags");
        tags != image.end() && tags->is_array() && !tags->empty() && (*tags)[0].is_string()) {
        out.repoTag = (*tags)[0].get<std::string>();
    }
    return out;
}

Result<Descriptor> selectManifest(const Index& index, const Platform& platform) {
    const IndexEntry* fallback = nullptr;
    for (const auto& e : index.manifests) {
        if (!e.platform) {
            fallback = fallback ? fallback : &e;
            continue;
        }
        if (e.platform->os == platform.os && e.platform->architecture == platform.architecture) {
            if (platform.variant.empty() || e.platform->variant.empty() ||
                e.platform->variant == platform.variant) {
                return e.descriptor;
            }
        }
    }
    if (fallback) {
        return fallback->descriptor;
    }
    return fail(Code::NotFound, "no manifest for {}/{} in the image index", platform.os,
                platform.architecture);
}

std::vector<std::string> chainIds(const std::vector<std::string>& diffIds) {
    std::vector<std::string> out;
    for (const auto& d : diffIds) {
        out.push_back(out.empty() ? d : sha256Digest(out.back() + " " + d));
    }
    return out;
}

} // namespace faasd::image
