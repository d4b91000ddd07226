// A function's MQTT topics from its annotations (topic filters and the
// reply topic, MQTT 4.7), the matching of a published topic against each
// filter, and the broker URL of the daemon's settings.
#include "input.hpp"
#include "triggers/mqtt_config.hpp"
#include "triggers/topics.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    // Lines: the broker URL, a published topic, the reply topic; the rest
    // is the topic annotation.
    const auto parts = fuzz::splitLines(fuzz::asText(data, size), 3);
    auto line = [&](size_t i) { return std::string(i < parts.size() ? parts[i] : ""); };
    const std::string broker = line(0);
    const std::string topic = line(1);
    api::StringMap notes;
    notes[std::string(triggers::kReplyTopicAnnotation)] = line(2);
    notes["topic"] = std::string(parts.back());

    if (auto address = triggers::parseBrokerUrl(broker); address && address->host.empty()) {
        __builtin_trap();
    }
    (void)triggers::mqttReplyTopic(notes);
    auto filters = triggers::mqttTopics(notes);
    if (!filters) {
        return 0;
    }
    for (const auto& filter : *filters) {
        (void)triggers::topicMatches(filter, topic);
        // A filter without wildcards matches exactly itself.
        if (filter.find_first_of("+#") == std::string::npos && filter.rfind('$', 0) != 0 &&
            !triggers::topicMatches(filter, filter)) {
            __builtin_trap();
        }
    }
    return 0;
}
