#pragma once

// The result a CNI plugin chain prints on ADD, typed. Versions 0.3.0 to
// 1.0.0 share one shape (0.3.x/0.4.0 add an ignored "version" to each IP);
// 0.1.0/0.2.0 results are refused.

#include "common/error.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faasd::network {

struct CniInterface {
    std::string name;
    std::string mac;
    std::string sandbox; // netns path; empty for host-side interfaces
};

struct CniIp {
    std::string address;             // CIDR: "10.62.0.5/16"
    std::string gateway;             // may be empty
    std::optional<size_t> interface; // index into interfaces
};

struct CniRoute {
    std::string dst;
    std::string gw;
};

struct CniDns {
    std::vector<std::string> nameservers;
    std::string domain;
    std::vector<std::string> search;
    std::vector<std::string> options;
};

struct CniResult {
    std::string cniVersion;
    std::vector<CniInterface> interfaces;
    std::vector<CniIp> ips;
    std::vector<CniRoute> routes;
    CniDns dns;
};

Result<CniResult> parseCniResult(const nlohmann::json& json);

// What an attachment gave the replica, and the raw result it came from
// (kept for DEL and CHECK, which must be handed it back as prevResult).
struct AttachResult {
    std::string id;
    std::string netns;
    std::string ifName;
    std::string ip;       // "10.62.0.5", the address of ifName in the namespace
    int prefixLength = 0; // 16
    std::string gateway;  // "10.62.0.1", may be empty
    CniResult cni;
    nlohmann::json raw;
};

// Picks the IPv4 address of ifName inside netns from a result: the IP
// whose interface index names that interface; failing that, the first
// IPv4 address. An error if there is none.
Result<AttachResult> makeAttachResult(const std::string& id, const std::string& netns,
                                      const std::string& ifName, const nlohmann::json& result);

// "10.62.0.5/16" -> {"10.62.0.5", 16}; an error for anything else.
Result<std::pair<std::string, int>> splitCidr(const std::string& cidr);

} // namespace faasd::network
