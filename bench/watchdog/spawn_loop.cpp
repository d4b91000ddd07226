// The machine's raw spawn rate, the baseline for classic mode: start a
// command with stdin/stdout pipes, write a small body, read its output to
// end of file, wait for it; repeat for a number of seconds.
//
//   spawn_loop SECONDS fork|spawn COMMAND [ARGS...]
//
// "fork" uses fork()+execv(), "spawn" uses posix_spawn (vfork-like).
// Prints: "<mode> <count> spawns in <seconds> s: <rate>/s".

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: spawn_loop SECONDS fork|spawn COMMAND [ARGS...]\n");
        return 2;
    }
    double seconds = std::atof(argv[1]);
    bool useFork = std::strcmp(argv[2], "fork") == 0;
    char** command = argv + 3;
    const char body[] = "hello";
    char buffer[4096];
    auto start = std::chrono::steady_clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    long count = 0;
    while (std::chrono::steady_clock::now() < end) {
        int in[2];
        int out[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
            std::perror("pipe");
            return 1;
        }
        pid_t pid = -1;
        if (useFork) {
            pid = fork();
            if (pid == 0) {
                dup2(in[0], 0);
                dup2(out[1], 1);
                execv(command[0], command);
                _exit(127);
            }
        } else {
            posix_spawn_file_actions_t actions;
            posix_spawn_file_actions_init(&actions);
            posix_spawn_file_actions_adddup2(&actions, in[0], 0);
            posix_spawn_file_actions_adddup2(&actions, out[1], 1);
            if (posix_spawn(&pid, command[0], &actions, nullptr, command, environ) != 0) {
                pid = -1;
            }
            posix_spawn_file_actions_destroy(&actions);
        }
        if (pid < 0) {
            std::perror("spawn");
            return 1;
        }
        close(in[0]);
        close(out[1]);
        if (write(in[1], body, sizeof body - 1) < 0) {
            std::perror("write");
        }
        close(in[1]);
        while (read(out[0], buffer, sizeof buffer) > 0) {
        }
        close(out[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        ++count;
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s %ld spawns in %.2f s: %.0f/s\n", useFork ? "fork" : "spawn", count, elapsed,
                count / elapsed);
    return 0;
}
