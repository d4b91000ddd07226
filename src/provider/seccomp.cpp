#include "provider/seccomp.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace faasd::provider {

using nlohmann::json;

namespace {

// Grouped by what programs use them for. Names the running architecture
// does not have (the 32-bit and time64 variants on x86_64, for instance)
// are skipped by runc, so one table serves every architecture.
const std::vector<std::string_view>& allowedTable() {
    static const std::vector<std::string_view> table = [] {
        std::vector<std::string_view> t = {
            // files and descriptors
            "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
            "preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
            "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "flock",
            "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "truncate", "truncate64",
            "ftruncate", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "readahead",
            "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range",
            // metadata and directories
            "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "newfstatat", "fstatat64",
            "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat",
            "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "getcwd", "chdir",
            "fchdir", "chroot", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2",
            "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "chmod", "fchmod",
            "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown",
            "lchown32", "umask", "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
            "mknod", "mknodat", "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr",
            "fsetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
            "fremovexattr", "inotify_init", "inotify_init1", "inotify_add_watch",
            "inotify_rm_watch",
            // memory
            "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mlock", "mlock2",
            "munlock", "mlockall", "munlockall", "mincore", "msync", "remap_file_pages",
            "membarrier", "memfd_create", "pkey_alloc", "pkey_free", "pkey_mprotect",
            "get_mempolicy", "map_shadow_stack", "mseal", "cachestat",
            // processes, threads, identity
            "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
            "waitpid", "kill", "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid",
            "setpgid", "getpgrp", "getsid", "setsid", "getuid", "getuid32", "geteuid", "geteuid32",
            "getgid", "getgid32", "getegid", "getegid32", "setuid", "setuid32", "setgid",
            "setgid32", "setreuid", "setreuid32", "setregid", "setregid32", "setresuid",
            "setresuid32", "setresgid", "setresgid32", "getresuid", "getresuid32", "getresgid",
            "getresgid32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32", "getgroups",
            "getgroups32", "setgroups", "setgroups32", "capget", "capset", "prctl", "arch_prctl",
            "set_thread_area", "get_thread_area", "set_tid_address", "set_robust_list",
            "get_robust_list", "rseq", "futex", "futex_time64", "futex_waitv", "sched_yield",
            "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
            "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
            "sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
            "sched_getattr", "sched_setattr", "getpriority", "setpriority", "ioprio_get",
            "ioprio_set", "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times",
            "uname", "sysinfo", "getrandom", "getcpu", "pidfd_open", "pidfd_send_signal",
            "restart_syscall", "uretprobe", "seccomp", "landlock_create_ruleset",
            "landlock_add_rule", "landlock_restrict_self",
            // time (reading it and sleeping, never setting it)
            "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
            "gettimeofday", "time", "nanosleep", "clock_nanosleep", "clock_nanosleep_time64",
            "alarm", "pause", "getitimer", "setitimer", "timer_create", "timer_delete",
            "timer_settime", "timer_settime64", "timer_gettime", "timer_gettime64",
            "timer_getoverrun", "timerfd_create", "timerfd_settime", "timerfd_settime64",
            "timerfd_gettime", "timerfd_gettime64",
            // signals
            "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
            "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
            "sigaltstack", "signalfd", "signalfd4", "sigreturn", "sigaction", "sigprocmask",
            "sigpending", "sigsuspend",
            // waiting on many descriptors
            "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
            "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
            "epoll_pwait2", "eventfd", "eventfd2", "io_setup", "io_destroy", "io_submit",
            "io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
            // sockets
            "socket", "socketpair", "socketcall", "bind", "connect", "listen", "accept", "accept4",
            "getsockname", "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg",
            "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
            // System V and POSIX IPC, pipes
            "pipe", "pipe2", "ipc", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop",
            "semtimedop", "semtimedop_time64", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl",
            "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
            "mq_timedreceive_time64", "mq_notify", "mq_getsetattr"};
        std::sort(t.begin(), t.end());
        t.erase(std::unique(t.begin(), t.end()), t.end());
        return t;
    }();
    return table;
}

// The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
// NEWUSER, NEWPID, NEWNET. clone is allowed when none is set.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;
// personality(2) values that change nothing a filter relies on: PER_LINUX,
// PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, and the query 0xffffffff.
constexpr uint64_t kPersonas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
constexpr int kEnosys = 38;
constexpr int kEperm = 1;

std::vector<std::string> architectures() {
#if defined(__x86_64__)
    return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
    return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#else
    return {}; // the native architecture only
#endif
}

} // namespace

Result<bool> seccompWanted(const std::map<std::string, std::string>& annotations) {
    auto it = annotations.find(std::string(kSeccompAnnotation));
    if (it == annotations.end() || it->second == kSeccompDefault) {
        return true;
    }
    if (it->second == kSeccompUnconfined) {
        return false;
    }
    return fail(Code::InvalidArgument, "{}: \"{}\" is not one of {}, {}", kSeccompAnnotation,
                it->second, kSeccompDefault, kSeccompUnconfined);
}

const std::vector<std::string_view>& seccompAllowed() {
    return allowedTable();
}

const std::vector<RefusedCall>& seccompRefused() {
    static const std::vector<RefusedCall> refused = {
        {"init_module", "loads a kernel module"},
        {"finit_module", "loads a kernel module"},
        {"delete_module", "unloads a kernel module"},
        {"mount", "mounts a file system"},
        {"umount2", "unmounts a file system"},
        {"pivot_root", "changes the root mount"},
        {"fsopen", "mounts through the new mount API"},
        {"move_mount", "mounts through the new mount API"},
        {"open_tree", "clones a mount"},
        {"settimeofday", "sets the clock"},
        {"clock_settime", "sets the clock"},
        {"clock_adjtime", "adjusts the clock"},
        {"adjtimex", "adjusts the clock"},
        {"ptrace", "traces or controls another process"},
        {"process_vm_readv", "reads another process's memory"},
        {"process_vm_writev", "writes another process's memory"},
        {"pidfd_getfd", "takes another process's descriptors"},
        {"kcmp", "compares other processes' kernel objects"},
        {"kexec_load", "boots another kernel"},
        {"kexec_file_load", "boots another kernel"},
        {"bpf", "loads programs into the kernel"},
        {"perf_event_open", "reads performance counters of the host"},
        {"keyctl", "reaches the kernel keyring, not namespaced"},
        {"add_key", "reaches the kernel keyring, not namespaced"},
        {"request_key", "reaches the kernel keyring, not namespaced"},
        {"reboot", "reboots the host"},
        {"swapon", "changes the host's swap"},
        {"swapoff", "changes the host's swap"},
        {"unshare", "makes namespaces (a user namespace gives back every capability)"},
        {"setns", "joins other namespaces"},
        {"acct", "switches process accounting"},
        {"quotactl", "changes disk quotas"},
        {"syslog", "reads the kernel log"},
        {"iopl", "reaches I/O ports"},
        {"ioperm", "reaches I/O ports"},
        {"open_by_handle_at", "opens host files by handle, past the root"},
        {"name_to_handle_at", "makes file handles for open_by_handle_at"},
        {"userfaultfd", "stalls the kernel in page faults (exploit aid)"},
        {"io_uring_setup", "a large kernel surface outside this filter"},
        {"sethostname", "renames the host (the UTS namespace is the function's)"},
        {"mbind", "changes NUMA placement"},
        {"move_pages", "moves other processes' pages"},
        {"_sysctl", "changes kernel settings"},
        {"uselib", "an obsolete loader"},
    };
    return refused;
}

json seccompProfile() {
    json names = json::array();
    for (auto name : allowedTable()) {
        names.push_back(name);
    }
    json personas = json::array();
    for (auto p : kPersonas) {
        personas.push_back(json{{"names", {"personality"}},
                                {"action", "SCMP_ACT_ALLOW"},
                                {"args", {{{"index", 0}, {"value", p}, {"op", "SCMP_CMP_EQ"}}}}});
    }
    json syscalls = json::array({
        {{"names", names}, {"action", "SCMP_ACT_ALLOW"}},
        {{"names", {"clone"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"args",
          {{{"index", 0},
            {"value", kCloneNamespaceFlags},
            {"valueTwo", 0},
            {"op", "SCMP_CMP_MASKED_EQ"}}}}},
        {{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEnosys}},
    });
    for (auto& p : personas) {
        syscalls.push_back(std::move(p));
    }
    return {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"defaultErrnoRet", kEperm},
            {"architectures", architectures()},
            {"syscalls", syscalls}};
}

} // namespace faasd::provider
