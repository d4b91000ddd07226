#include "registry_server.hpp"

#include "wait.hpp"

#include <arpa/inet.h>
#include <crypt.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <thread>

namespace faasd::testing {
namespace {

constexpr const char* kRegistryBin = "/usr/bin/docker-registry";

// A port the kernel says is free now.
Result<int> freePort() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return fail(systemError("socket", errno));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return fail(systemError("binding a loopback port", errno));
    }
    return ntohs(addr.sin_port);
}

// An htpasswd line with a bcrypt hash (the only kind docker-registry takes),
// made with libcrypt.
Result<std::string> htpasswdLine(const RegistryUser& user) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt) == nullptr) {
        return fail(systemError("crypt_gensalt for bcrypt", errno));
    }
    crypt_data data{};
    const char* hash = crypt_r(user.password.c_str(), salt, &data);
    if (hash == nullptr || hash[0] == '*') {
        return fail(Code::Internal, "bcrypt is not available from libcrypt");
    }
    return user.username + ":" + hash + "\n";
}

} // namespace

Result<std::unique_ptr<RegistryServer>> RegistryServer::start(std::optional<RegistryUser> user) {
    TRY_ASSIGN(auto dir, TempDir::create("faasd-it-registry-"));
    std::unique_ptr<RegistryServer> r(new RegistryServer(std::move(dir)));
    TRY_ASSIGN(int port, freePort());
    r->host_ = "127.0.0.1:" + std::to_string(port);
    std::string auth;
    if (user) {
        TRY_ASSIGN(auto line, htpasswdLine(*user));
        TRY(writeFileAtomic(r->dir() / "htpasswd", line));
        auth = fmt::format("auth:\n  htpasswd:\n    realm: faasd-test\n    path: {}\n",
                           (r->dir() / "htpasswd").string());
    }
    const auto config = fmt::format(R"(version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {}
health:
  storagedriver:
    enabled: false
{})",
                                    (r->dir() / "data").string(), r->host_, auth);
    TRY(writeFileAtomic(r->dir() / "config.yml", config));

    const auto log = (r->dir() / "registry.log").string();
    auto proc = Subprocess::spawn({.argv = {"setpriv", "--pdeathsig", "KILL", "--", "sh", "-c",
                                            fmt::format("exec {} serve {} >>{} 2>&1", kRegistryBin,
                                                        (r->dir() / "config.yml").string(), log)},
                                   .out = Stdio::Null,
                                   .err = Stdio::Null,
                                   .newSession = true});
    if (!proc) {
        return fail(std::move(proc).error().context("starting docker-registry"));
    }
    r->process_ = std::make_unique<Subprocess>(std::move(*proc));

    httplib::Client probe("http://" + r->host_);
    probe.set_connection_timeout(std::chrono::milliseconds(200));
    bool exited = false;
    const bool answered = waitUntil(
        [&] {
            exited = r->process_->poll().has_value();
            if (exited) {
                return true;
            }
            auto res = probe.Get("/v2/");
            return res && (res->status == 200 || res->status == 401);
        },
        std::chrono::seconds(20), std::chrono::milliseconds(50));
    if (exited) {
        return fail(Code::Unavailable, "docker-registry exited at start: {}",
                    readFile(log).value_or(""));
    }
    if (!answered) {
        return fail(Code::Timeout, "docker-registry did not answer on {}: {}", r->host_,
                    readFile(log).value_or(""));
    }
    return r;
}

RegistryServer::~RegistryServer() {
    if (process_ && process_->running()) {
        process_->kill(SIGTERM);
        if (!process_->wait(std::chrono::seconds(5))) {
            process_->kill(SIGKILL);
            (void)process_->wait();
        }
    }
}

} // namespace faasd::testing
