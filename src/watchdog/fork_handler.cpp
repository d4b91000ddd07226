#include "watchdog/fork_handler.hpp"

#include "watchdog/log_line.hpp"
#include "watchdog/session.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace faasd::watchdog {

namespace {

using Descriptor = asio::posix::stream_descriptor;

constexpr size_t maxErrorCapture = 64 * 1024;
constexpr size_t streamChunk = 64 * 1024;

} // namespace

class ForkJob : public std::enable_shared_from_this<ForkJob> {
public:
    ForkJob(ForkHandler& handler, std::shared_ptr<Session> session)
        : h_(handler), session_(std::move(session)), mode_(handler.config_.mode),
          stdin_(handler.io_), stdout_(handler.io_), stderr_(handler.io_),
          errLog_("stderr", handler.config_.prefixLogs) {}

    void run() {
        std::weak_ptr<ForkJob> weak = weak_from_this();
        session_->onAbort([weak] {
            if (auto self = weak.lock()) {
                self->onAbort();
            }
        });
        if (mode_ == Mode::Streaming) {
            spawn();
        } else {
            readBody();
        }
    }

private:
    const Config& config() const { return h_.config_; }

    void readBody() {
        BodyState state = session_->takeBody(body_, SIZE_MAX);
        if (state == BodyState::Done) {
            spawn();
        } else if (state == BodyState::Failed) {
            if (session_->bodyTooLarge()) {
                session_->respond(413, "request body exceeds max_request_bytes\n");
            } else {
                session_->abort();
            }
        } else {
            session_->awaitBody([self = shared_from_this()](bool ok) {
                if (!ok) {
                    self->session_->abort();
                    return;
                }
                self->readBody();
            });
        }
    }

    void spawn() {
        if (mode_ == Mode::Classic) {
            logLine("Forking fprocess.");
        }
        const MessageHead& request = session_->request();
        bool streaming = mode_ == Mode::Streaming;
        bool stdinPipe =
            streaming ? (request.chunked || request.contentLength.value_or(0) > 0) : !body_.empty();
        Pipe in;
        if (stdinPipe) {
            auto pipe = makePipe();
            if (!pipe) {
                return failToStart(pipe.error().message());
            }
            in = std::move(*pipe);
            setNonBlocking(in.write.get());
            if (!streaming) {
                // Usually the whole body fits in the pipe before the child runs.
                ssize_t n = ::write(in.write.get(), body_.data(), body_.size());
                bodyWritten_ = n > 0 ? static_cast<size_t>(n) : 0;
                if (bodyWritten_ == body_.size()) {
                    in.write.reset();
                }
            }
        }
        auto outPipe = makePipe();
        if (!outPipe) {
            return failToStart(outPipe.error().message());
        }
        setNonBlocking(outPipe->read.get());
        Pipe errPipe;
        int childErr = outPipe->write.get();
        if (mode_ != Mode::Classic || !config().combineOutput) {
            auto pipe = makePipe();
            if (!pipe) {
                return failToStart(pipe.error().message());
            }
            errPipe = std::move(*pipe);
            setNonBlocking(errPipe.read.get());
            childErr = errPipe.write.get();
            errEof_ = false;
        }

        SpawnSpec spec;
        spec.path = h_.path_.c_str();
        spec.argv = h_.argv_.data();
        spec.envp = h_.env_.build(request, config().cgiHeaders);
        spec.stdinFd = stdinPipe ? in.read.get() : h_.devNull_.get();
        spec.stdoutFd = outPipe->write.get();
        spec.stderrFd = childErr;
        auto pid = spawnProcess(spec);
        in.read.reset();
        outPipe->write.reset();
        errPipe.write.reset();
        if (!pid) {
            return failToStart(pid.error().message());
        }
        pid_ = *pid;
        h_.reaper_.watch(pid_, [self = shared_from_this()](int status) { self->onExit(status); });

        error_code ec;
        stdout_.assign(outPipe->read.release(), ec);
        if (errPipe.read) {
            stderr_.assign(errPipe.read.release(), ec);
        }
        if (in.write) {
            stdin_.assign(in.write.release(), ec);
            if (streaming) {
                pumpStdin();
            } else {
                writeStdin();
            }
        }
        if (config().execTimeout.count() > 0) {
            std::weak_ptr<ForkJob> weak = weak_from_this();
            session_->setTimer(Clock::now() + config().execTimeout, [weak] {
                if (auto self = weak.lock()) {
                    self->onTimeout();
                }
            });
        }
        waitStdout();
        if (!errEof_) {
            waitStderr();
        }
    }

    void failToStart(const std::string& message) {
        logLine("Error starting function: " + message);
        done_ = true;
        respondOnce(500, message + "\n");
    }

    // Buffered modes: the part of the body the pipe did not take at once.
    void writeStdin() {
        stdin_.async_write_some(
            asio::buffer(body_.data() + bodyWritten_, body_.size() - bodyWritten_),
            [self = shared_from_this()](const error_code& ec, size_t n) {
                if (ec) {
                    self->closeStdin(); // EPIPE: the function stopped reading
                    return;
                }
                self->bodyWritten_ += n;
                if (self->bodyWritten_ == self->body_.size()) {
                    self->closeStdin();
                    return;
                }
                self->writeStdin();
            });
    }

    // Streaming: the request body as it arrives.
    void pumpStdin() {
        if (stdinBusy_ || !stdin_.is_open()) {
            return;
        }
        stdinBuffer_.clear();
        BodyState state = session_->takeBody(stdinBuffer_, streamChunk);
        if (!stdinBuffer_.empty()) {
            stdinBusy_ = true;
            asio::async_write(stdin_, asio::buffer(stdinBuffer_),
                              [self = shared_from_this()](const error_code& ec, size_t) {
                                  self->stdinBusy_ = false;
                                  if (ec) {
                                      self->closeStdin();
                                      return;
                                  }
                                  self->pumpStdin();
                              });
            return;
        }
        if (state != BodyState::More) {
            closeStdin();
            return;
        }
        stdinBusy_ = true;
        session_->awaitBody([self = shared_from_this()](bool ok) {
            self->stdinBusy_ = false;
            if (!ok) {
                self->closeStdin();
                return;
            }
            self->pumpStdin();
        });
    }

    void closeStdin() {
        error_code ec;
        stdin_.close(ec);
        std::string().swap(body_);
    }

    void waitStdout() {
        stdout_.async_wait(Descriptor::wait_read,
                           [self = shared_from_this()](const error_code& ec) {
                               if (!ec) {
                                   self->onStdoutReadable();
                               }
                           });
    }

    void onStdoutReadable() {
        char* buffer = h_.scratch_.get();
        uint64_t cap = config().maxResponseBytes;
        for (;;) {
            ssize_t n = ::read(stdout_.native_handle(), buffer, ForkHandler::scratchSize);
            if (n > 0) {
                if (mode_ == Mode::Streaming) {
                    return streamOut(std::string_view(buffer, static_cast<size_t>(n)));
                }
                if (cap > 0 && output_.size() + static_cast<size_t>(n) > cap) {
                    tooLarge_ = true;
                    kill();
                    return stdoutDone();
                }
                output_.append(buffer, static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                return waitStdout();
            }
            return stdoutDone(); // EOF or error
        }
    }

    void stdoutDone() {
        outEof_ = true;
        error_code ec;
        stdout_.close(ec);
        // The child has usually exited by now: reap it without waiting for
        // the SIGCHLD round trip.
        if (!exited_ && pid_ > 0) {
            h_.reaper_.tryReap(pid_);
        }
        maybeComplete();
    }

    void streamOut(std::string_view data) {
        if (!session_->isOpen()) {
            kill();
            return stdoutDone();
        }
        if (!session_->headSent()) {
            session_->beginHead(200);
            session_->addHeader("Content-Type",
                                config().contentType.value_or("application/octet-stream"));
            session_->endHead(Framing::Stream);
        }
        bytesOut_ += data.size();
        session_->sendBody(data);
        session_->flush([self = shared_from_this()](bool ok) {
            if (!ok) {
                self->kill();
                return self->stdoutDone();
            }
            self->onStdoutReadable();
        });
    }

    void waitStderr() {
        stderr_.async_wait(Descriptor::wait_read,
                           [self = shared_from_this()](const error_code& ec) {
                               if (!ec) {
                                   self->onStderrReadable();
                               }
                           });
    }

    void onStderrReadable() {
        char* buffer = h_.scratch_.get();
        for (;;) {
            ssize_t n = ::read(stderr_.native_handle(), buffer, ForkHandler::scratchSize);
            if (n > 0) {
                std::string_view data(buffer, static_cast<size_t>(n));
                errLog_.feed(data);
                if (mode_ == Mode::Classic && errOutput_.size() < maxErrorCapture) {
                    errOutput_.append(data.substr(0, maxErrorCapture - errOutput_.size()));
                }
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                return waitStderr();
            }
            errLog_.finish();
            errEof_ = true;
            error_code ec;
            stderr_.close(ec);
            return maybeComplete();
        }
    }

    void onExit(int status) {
        exited_ = true;
        status_ = status;
        maybeComplete();
    }

    void onTimeout() {
        if (done_) {
            return;
        }
        logLine("Killing process: " + config().fprocess);
        timedOut_ = true;
        kill();
        closeStdin();
        // Answer now, as the classic watchdog does: a descendant that left
        // the process group may hold the pipes open.
        if (mode_ == Mode::Serializing) {
            respondOnce(500, "exec_timeout exceeded (" + formatDuration(config().execTimeout) +
                                 "): signal: killed\n");
        } else if (!session_->headSent()) {
            respondOnce(408, "Killed process.\n");
        } else {
            responded_ = true;
            session_->abort();
        }
    }

    void onAbort() {
        aborted_ = true;
        responded_ = true;
        kill();
        closeStdin();
    }

    void kill() {
        if (pid_ > 0 && (!exited_ || !outEof_ || !errEof_)) {
            ::kill(-pid_, SIGKILL);
        }
    }

    void maybeComplete() {
        if (!done_ && exited_ && outEof_ && errEof_) {
            complete();
        }
    }

    void respondOnce(int status, std::string_view body) {
        if (responded_) {
            return;
        }
        responded_ = true;
        if (session_->isOpen()) {
            session_->respond(status, body);
        }
    }

    void complete() {
        done_ = true;
        session_->cancelTimer();
        closeStdin();
        double seconds = std::chrono::duration<double>(Clock::now() - session_->started()).count();
        bool clean = exitedCleanly(status_) && !tooLarge_;
        if (mode_ == Mode::Streaming) {
            completeStreaming(clean);
        } else if (!responded_) {
            completeBuffered(clean, seconds);
        }
        if (mode_ != Mode::Classic) {
            const MessageHead& r = session_->request();
            char line[64];
            std::snprintf(line, sizeof line, " (%.4fs)", seconds);
            logLine(std::string(r.method()) + " " + std::string(r.target()) + " - " +
                    std::to_string(session_->status()) + " - ContentLength: " +
                    humanSize(static_cast<double>(mode_ == Mode::Streaming ? bytesOut_
                                                                           : output_.size())) +
                    line);
        }
        session_->onAbort(nullptr);
        session_.reset();
    }

    void completeStreaming(bool clean) {
        if (responded_) {
            return;
        }
        if (session_->headSent()) {
            responded_ = true;
            if (clean) {
                session_->sendEnd();
            } else {
                logLine("Function failed after streaming: " + describeExit(status_));
                session_->abort(); // a truncated body, not a false success
            }
            return;
        }
        if (!clean) {
            return respondOnce(500, describeExit(status_) + "\n");
        }
        responded_ = true;
        session_->beginHead(200);
        session_->addHeader("Content-Type",
                            config().contentType.value_or("application/octet-stream"));
        session_->endHead(Framing::Length, 0);
        session_->sendEnd();
    }

    void completeBuffered(bool clean, double seconds) {
        if (tooLarge_) {
            return respondOnce(500, "function output exceeded max_response_bytes (" +
                                        std::to_string(config().maxResponseBytes) + " bytes)\n");
        }
        if (!clean) {
            std::string body = describeExit(status_) + "\n";
            if (mode_ == Mode::Classic) {
                body += output_;
                body += errOutput_;
            }
            if (config().writeDebug) {
                logLine("Success=false, Error=" + describeExit(status_));
                logLine("Out=" + output_);
            }
            return respondOnce(500, body);
        }
        responded_ = true;
        if (!session_->isOpen()) {
            return;
        }
        std::optional<std::string_view> contentType;
        if (config().contentType) {
            contentType = *config().contentType;
        } else if (mode_ == Mode::Classic) {
            contentType = session_->request().find("content-type");
        } else {
            contentType = "application/octet-stream";
        }
        session_->beginHead(200);
        if (contentType) {
            session_->addHeader("Content-Type", *contentType);
        }
        session_->endHead(Framing::Length, output_.size());
        session_->sendBody(output_);
        session_->sendEnd();
        if (mode_ == Mode::Classic) {
            if (config().writeDebug) {
                LogSink::instance().stdoutBytes(output_);
                char line[64];
                std::snprintf(line, sizeof line, "Duration: %f seconds", seconds);
                logLine(line);
            } else {
                logLine(wroteLine(output_.size(), seconds));
            }
        }
    }

    ForkHandler& h_;
    std::shared_ptr<Session> session_;
    Mode mode_;
    std::string body_;
    size_t bodyWritten_ = 0;
    std::string stdinBuffer_;
    bool stdinBusy_ = false;
    std::string output_;
    std::string errOutput_;
    uint64_t bytesOut_ = 0;
    Descriptor stdin_;
    Descriptor stdout_;
    Descriptor stderr_;
    LineLogger errLog_;
    pid_t pid_ = -1;
    int status_ = 0;
    bool exited_ = false;
    bool outEof_ = false;
    bool errEof_ = true;
    bool timedOut_ = false;
    bool tooLarge_ = false;
    bool aborted_ = false;
    bool responded_ = false;
    bool done_ = false;
};

ForkHandler::ForkHandler(asio::io_context& io, const Config& config, ChildReaper& reaper,
                         char** envp)
    : io_(io), config_(config), reaper_(reaper), env_(envp) {
    for (char** e = envp; e && *e; ++e) {
        if (std::string_view(*e).substr(0, 5) == "PATH=") {
            pathEnv_ = *e + 5;
        }
    }
}

Result<void> ForkHandler::start(std::function<void()> ready, std::function<void(int)>) {
    TRY_ASSIGN(path_, withContext(findExecutable(config_.argv[0], pathEnv_),
                                  "fprocess " + config_.fprocess));
    args_ = config_.argv;
    for (std::string& arg : args_) {
        argv_.push_back(arg.data());
    }
    argv_.push_back(nullptr);
    devNull_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devNull_) {
        // No /dev/null (a bare FROM scratch root): a pipe without a writer
        // reads as end of file just the same.
        TRY_ASSIGN(auto empty, makePipe());
        devNull_ = std::move(empty.read);
    }
    scratch_.reset(new char[scratchSize]);
    asio::post(io_, std::move(ready));
    return {};
}

void ForkHandler::serve(const std::shared_ptr<Session>& session) {
    std::make_shared<ForkJob>(*this, session)->run();
}

void ForkHandler::stop(std::function<void()> done) {
    asio::post(io_, std::move(done));
}

} // namespace faasd::watchdog
