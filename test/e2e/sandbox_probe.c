/* Attempts one action from inside a function container and prints how it
 * ended: "ok" or the errno's name. Built static by sandbox_test.sh and put
 * into the test function's image; the function's script runs it.
 *
 *   probe ACTION [ARG...]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int report(long rc) {
    if (rc < 0) {
        const char* name = strerrorname_np(errno);
        printf("%s\n", name ? name : "unknown");
    } else {
        printf("ok\n");
    }
    return 0;
}

static long tcp(const char* ip, int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        return -1;
    }
    struct timeval tv = {.tv_sec = 3};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return connect(s, (struct sockaddr*)&a, sizeof a);
}

static long unixConnect(const char* path) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    return connect(s, (struct sockaddr*)&a, sizeof a);
}

int main(int argc, char** argv) {
    const char* a = argc > 1 ? argv[1] : "";
    if (!strcmp(a, "init_module")) {
        static char image[64];
        return report(syscall(SYS_init_module, image, sizeof image, ""));
    }
    if (!strcmp(a, "finit_module")) {
        return report(syscall(SYS_finit_module, open("/fwatchdog", O_RDONLY), "", 0));
    }
    if (!strcmp(a, "mount")) {
        return report(mount("none", "/tmp", "tmpfs", 0, NULL));
    }
    if (!strcmp(a, "userns_mount")) { /* a user namespace gives all capabilities back */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
            return report(-1);
        }
        return report(mount("none", "/tmp", "tmpfs", 0, NULL));
    }
    if (!strcmp(a, "unshare_user")) {
        return report(unshare(CLONE_NEWUSER));
    }
    if (!strcmp(a, "settime")) { /* an invalid time: EINVAL unless refused first */
        struct timespec t = {.tv_sec = 0, .tv_nsec = -1};
        return report(syscall(SYS_clock_settime, CLOCK_REALTIME, &t));
    }
    if (!strcmp(a, "ptrace_attach")) { /* the watchdog is pid 1 */
        return report(ptrace(PTRACE_ATTACH, 1, 0, 0));
    }
    if (!strcmp(a, "ptrace_traceme")) {
        return report(ptrace(PTRACE_TRACEME, 0, 0, 0));
    }
    if (!strcmp(a, "read_mem")) { /* the watchdog's memory */
        int fd = open("/proc/1/mem", O_RDONLY);
        return report(fd);
    }
    if (!strcmp(a, "keyctl")) { /* KEYCTL_GET_KEYRING_ID of the session keyring */
        return report(syscall(SYS_keyctl, 0, -3, 0));
    }
    if (!strcmp(a, "bpf")) {
        return report(syscall(SYS_bpf, 0, NULL, 0));
    }
    if (!strcmp(a, "clone3")) { /* an empty argument: EINVAL unless refused first */
        return report(syscall(SYS_clone3, NULL, 0));
    }
    if (!strcmp(a, "connect") && argc > 3) {
        return report(tcp(argv[2], atoi(argv[3])));
    }
    if (!strcmp(a, "connect_unix") && argc > 2) {
        return report(unixConnect(argv[2]));
    }
    fprintf(stderr, "probe: unknown action %s\n", a);
    return 2;
}
