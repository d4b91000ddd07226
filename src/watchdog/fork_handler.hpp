#pragma once

// The fork modes: a process per request.
//  classic:     body -> stdin, stdout (+ stderr) buffered -> 200; exit != 0
//               -> 500 with the output; exec_timeout -> 408.
//  serializing: the same, stderr logged, errors -> 500 with the error text.
//  streaming:   stdin and stdout streamed as they come (chunked response).
// Small bodies are written into the stdin pipe before the process starts,
// so the common request needs no stdin registration with the event loop.

#include "watchdog/cgi_env.hpp"
#include "watchdog/config.hpp"
#include "watchdog/handler.hpp"
#include "watchdog/spawn.hpp"

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

namespace faasd::watchdog {

class ForkHandler final : public Handler {
public:
    ForkHandler(boost::asio::io_context& io, const Config& config, ChildReaper& reaper,
                char** envp);

    Result<void> start(std::function<void()> ready, std::function<void(int)> fatal) override;
    void serve(const std::shared_ptr<Session>& session) override;
    void stop(std::function<void()> done) override;

private:
    friend class ForkJob;

    boost::asio::io_context& io_;
    const Config& config_;
    ChildReaper& reaper_;
    EnvBlock env_;
    std::string pathEnv_;
    std::string path_;
    std::vector<std::string> args_;
    std::vector<char*> argv_;
    UniqueFd devNull_;
    std::unique_ptr<char[]> scratch_; // one read at a time: the loop is single-threaded
    static constexpr size_t scratchSize = 64 * 1024;
};

} // namespace faasd::watchdog
