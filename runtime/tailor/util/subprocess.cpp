#include "tailor/util/subprocess.h"

#include "tailor/util/error.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char **environ;

namespace tailor {

namespace {

// Both ends closed on exec, so no other child inherits them.
void make_pipes(int out[2], int err[2]) {
    if (pipe2(out, O_CLOEXEC) != 0) throw Error(std::string("cannot start a program: pipe: ") + std::strerror(errno));
    if (pipe2(err, O_CLOEXEC) != 0) {
        const int error = errno;
        close(out[0]);
        close(out[1]);
        throw Error(std::string("cannot start a program: pipe: ") + std::strerror(error));
    }
}

void close_open(pollfd (&fds)[2]) {
    for (auto &fd : fds) {
        if (fd.fd >= 0) close(fd.fd);
        fd.fd = -1;
    }
}

// The child's exit status; throws if it cannot be had (e.g. SIGCHLD ignored
// by whoever started tailor: then there is no status to read).
int reap(pid_t pid, const std::string &name) {
    int status = 0;
    pid_t waited;
    while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (waited != pid) throw Error(name + ": lost track of it (waitpid: " + std::strerror(errno) + ")");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Reads stdout and stderr together until both close, so neither pipe fills
// up and stalls the program.
void read_both(int out_fd, int err_fd, CommandResult &result, std::size_t max_output, const std::string &name) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string *sinks[2] = {&result.output, &result.errors};
    int open_fds = 2;
    char buffer[65536];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            close_open(fds);
            throw Error(name + ": cannot read its output: " + std::strerror(error));
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            sinks[i]->append(buffer, static_cast<std::size_t>(n));
            if (sinks[i]->size() > max_output) {
                close_open(fds);
                throw Error(name + ": printed more than " + std::to_string(max_output >> 20) + " MiB");
            }
        }
    }
}

}  // namespace

CommandResult run_command(const std::vector<std::string> &argv, std::size_t max_output) {
    CommandResult result;
    int out[2], err[2];
    make_pipes(out, err);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char *> args;
    for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(out[1]);
    close(err[1]);
    if (spawned != 0) {
        close(out[0]);
        close(err[0]);
        return result;
    }
    result.started = true;
    try {
        read_both(out[0], err[0], result, max_output, argv[0]);
    } catch (...) {
        kill(-pid, SIGKILL);  // its whole process group
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw;
    }
    result.status = reap(pid, argv[0]);
    // Where posix_spawnp cannot report a failed exec (under qemu-user, whose
    // vfork is a fork), the child exits 127 without a word instead.
    if (result.status == 127 && result.output.empty() && result.errors.empty()) result.started = false;
    return result;
}

std::string failure_summary(const CommandResult &result) {
    std::size_t end = result.errors.find_last_not_of(" \n\r\t");
    if (end == std::string::npos) return "exit status " + std::to_string(result.status);
    const std::size_t start = result.errors.rfind('\n', end);
    return result.errors.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

}  // namespace tailor
