// The fwatchdog binary itself: static, its flags, startup errors.

#include "watchdog_process.hpp"

#include <catch2/catch.hpp>
#include <elf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::watchdog::test;
using namespace std::chrono_literals;

namespace {

RunOutput runWatchdog(std::vector<std::string> args, std::vector<std::string> env) {
    SubprocessOptions options;
    options.argv = {builtPath("FWATCHDOG")};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    env.push_back("PATH=/usr/bin:/bin");
    options.env = env;
    auto out = run(options, "", std::chrono::seconds(10));
    REQUIRE(out);
    return *out;
}

} // namespace

TEST_CASE("fwatchdog is a static executable", "[binary]") {
    // No program interpreter and no dynamic section: no shared libraries.
    std::string path = builtPath("FWATCHDOG");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    Elf64_Ehdr header{};
    REQUIRE(::pread(fd, &header, sizeof header, 0) == sizeof header);
    REQUIRE(std::string_view(reinterpret_cast<char*>(header.e_ident), 4) == "\177ELF");
    bool interpreter = false;
    bool dynamic = false;
    for (int i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr program{};
        REQUIRE(::pread(fd, &program, sizeof program,
                        static_cast<off_t>(header.e_phoff + i * header.e_phentsize)) ==
                sizeof program);
        interpreter = interpreter || program.p_type == PT_INTERP;
        dynamic = dynamic || program.p_type == PT_DYNAMIC;
    }
    ::close(fd);
    CHECK_FALSE(interpreter);
    CHECK_FALSE(dynamic);

    SubprocessOptions ldd;
    ldd.argv = {"ldd", path};
    auto out = run(ldd, "", std::chrono::seconds(10));
    if (out) { // ldd is optional here; the ELF check above is the real test
        CHECK((out->out + out->err).find("not a dynamic executable") != std::string::npos);
    }
}

TEST_CASE("fwatchdog --version", "[binary]") {
    auto out = runWatchdog({"--version"}, {});
    CHECK(out.status == 0);
    CHECK(out.out.find("fwatchdog version: ") == 0);
}

TEST_CASE("fwatchdog --run-healthcheck tests the lock file", "[binary]") {
    TempDir dir = TempDir::create("fwatchdog-health").value();
    std::string tmp = "TMPDIR=" + dir.path().string();
    auto missing = runWatchdog({"--run-healthcheck"}, {tmp});
    CHECK(missing.status == 1);
    CHECK(missing.err.find("unable to find lock file") != std::string::npos);
    REQUIRE(writeFileAtomic(dir.path() / ".lock", ""));
    CHECK(runWatchdog({"-run-healthcheck"}, {tmp}).status == 0);
}

TEST_CASE("startup errors are clear and exit non-zero", "[binary]") {
    auto noProcess = runWatchdog({}, {"port=0"});
    CHECK(noProcess.status == 1);
    CHECK(noProcess.err.find("Error loading config: provide the function's command in the "
                             "fprocess environment variable") != std::string::npos);

    auto notFound = runWatchdog({}, {"port=0", "metrics_port=-1", "fprocess=no-such-command-x"});
    CHECK(notFound.status == 1);
    CHECK(notFound.err.find("no-such-command-x: executable file not found in $PATH") !=
          std::string::npos);

    auto badTimeout = runWatchdog({}, {"fprocess=cat", "exec_timeout=soon"});
    CHECK(badTimeout.status == 1);
    CHECK(badTimeout.err.find("exec_timeout") != std::string::npos);

    // The port is taken.
    int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    int port = ntohs(address.sin6_port);
    auto busy =
        runWatchdog({}, {"fprocess=cat", "metrics_port=-1", "port=" + std::to_string(port)});
    ::close(fd);
    CHECK(busy.status == 1);
    CHECK(busy.err.find("listening on port " + std::to_string(port)) != std::string::npos);
}
