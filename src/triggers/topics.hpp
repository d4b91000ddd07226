#pragma once

// A function's MQTT topics, read from the annotations the OpenFaaS
// connectors share:
//
//   topic                          a comma list of topic filters; the entry
//                                  "cron-function" is the cron trigger's
//   com.openfaas.mqtt.reply-topic  where a run's answer is published (QoS 1)
//
// Filters follow MQTT 3.1.1 and 5 (section 4.7): '/' separates levels, '+'
// is one whole level, '#' the whole last level. A shared subscription
// ("$share/group/...") is not written here: the source adds its own group.

#include "api/types.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace faasd::triggers {

inline constexpr std::string_view kReplyTopicAnnotation = "com.openfaas.mqtt.reply-topic";

// The topic filters of the `topic` annotation other than cron-function,
// trimmed, without repeats, in the order written; empty when there are none.
// Checks the reply topic annotation too. An error names the annotation and
// the filter: `topic: "a/#/b": '#' must be the last level`.
Result<std::vector<std::string>> mqttTopics(const api::StringMap& annotations);

// The reply topic annotation, trimmed; "" when absent. A topic name, so no
// wildcards: `com.openfaas.mqtt.reply-topic: "a/+": ...`.
Result<std::string> mqttReplyTopic(const api::StringMap& annotations);

// Whether a message published on topic matches filter (MQTT 4.7): "a/#"
// matches "a" and "a/b/c", "+/b" matches "/b", and a filter starting with a
// wildcard matches no topic starting with '$'.
bool topicMatches(std::string_view filter, std::string_view topic);

} // namespace faasd::triggers
