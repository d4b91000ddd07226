#include "watchdog/metrics.hpp"

#include "common/strings.hpp"

#include <cstdio>
#include <cstdlib>

namespace faasd::watchdog {

namespace {

// The shortest text that reads back as the same double, as Go prints it.
void appendNumber(std::string& out, double value) {
    char text[40];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, value);
        if (std::strtod(text, nullptr) == value) {
            break;
        }
    }
    out += text;
}

} // namespace

Metrics::Series& Metrics::series(std::string_view method, int code) {
    for (Series& s : series_) {
        if (s.code == code && s.method.size() == method.size()) {
            bool same = true;
            for (size_t i = 0; i < method.size() && same; ++i) {
                same = s.method[i] == asciiLower(method[i]);
            }
            if (same) {
                return s;
            }
        }
    }
    Series s;
    s.code = code;
    s.method = asciiLower(method);
    series_.push_back(std::move(s));
    return series_.back();
}

void Metrics::finished(std::string_view method, int code, double seconds) {
    --inFlight_;
    Series& s = series(method, code);
    ++s.count;
    s.sum += seconds;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        if (seconds <= bounds_[i]) {
            ++s.buckets[i];
        }
    }
}

std::string Metrics::render() const {
    std::string out;
    out += "# HELP http_request_duration_seconds Seconds spent serving HTTP requests.\n"
           "# TYPE http_request_duration_seconds histogram\n";
    for (const Series& s : series_) {
        std::string labels = "code=\"" + std::to_string(s.code) + "\",method=\"" + s.method + "\"";
        for (size_t i = 0; i < bounds_.size(); ++i) {
            out += "http_request_duration_seconds_bucket{" + labels + ",le=\"";
            appendNumber(out, bounds_[i]);
            out += "\"} " + std::to_string(s.buckets[i]) + "\n";
        }
        out += "http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
               std::to_string(s.count) + "\n";
        out += "http_request_duration_seconds_sum{" + labels + "} ";
        appendNumber(out, s.sum);
        out += "\nhttp_request_duration_seconds_count{" + labels + "} " + std::to_string(s.count) +
               "\n";
    }
    out += "# HELP http_requests_in_flight total HTTP requests in-flight\n"
           "# TYPE http_requests_in_flight gauge\n"
           "http_requests_in_flight " +
           std::to_string(inFlight_) + "\n";
    out += "# HELP http_requests_total total HTTP requests processed\n"
           "# TYPE http_requests_total counter\n";
    for (const Series& s : series_) {
        out += "http_requests_total{code=\"" + std::to_string(s.code) + "\",method=\"" + s.method +
               "\"} " + std::to_string(s.count) + "\n";
    }
    return out;
}

} // namespace faasd::watchdog
