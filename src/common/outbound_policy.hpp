#pragma once

// Where the daemon may send a request whose address a user chose (an async
// request's X-Callback-Url): not to a loopback, link-local (the cloud
// metadata address 169.254.169.254 among them) or unspecified address, nor
// to one of this machine's own addresses, unless the allow-list names it.
// A host name is resolved and each of its addresses checked, at accept and
// again before each delivery (a name may point elsewhere by then).
//
//   auto policy = OutboundPolicy::restrictive("127.0.0.1/32,hooks.internal");
//   TRY(policy->check("http://127.0.0.1:9000/done"));   // allowed
//   policy->check("http://169.254.169.254/latest/");     // InvalidArgument

#include "common/error.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faasd {

class OutboundPolicy {
public:
    // Allows every address.
    OutboundPolicy() = default;

    // Refuses loopback, link-local, unspecified and own addresses except
    // those in allowList: comma-separated CIDRs ("127.0.0.1/32",
    // "fd00::/8"), single addresses, or host names (allowed by name,
    // whatever they resolve to). Errors name the entry.
    static Result<OutboundPolicy> restrictive(std::string_view allowList);

    // Ok, or InvalidArgument naming the host and why: `127.0.0.1 is a
    // loopback address (allow it in FAASD_CALLBACK_ALLOW)`. An http(s) URL
    // only.
    Result<void> check(std::string_view url) const;

    bool restricts() const { return restricts_; }

private:
    struct Cidr {
        bool v6 = false;
        std::array<uint8_t, 16> bytes{};
        unsigned prefix = 0;
        bool contains(bool v6, const std::array<uint8_t, 16>& address) const;
    };

    bool restricts_ = false;
    std::vector<Cidr> allowed_;
    std::vector<std::string> hosts_; // lower case
};

} // namespace faasd
