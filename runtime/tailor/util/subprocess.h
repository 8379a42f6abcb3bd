// Another program run to its end, its output captured: the Slurm commands
// (sbatch, squeue, scontrol) an experiment submits and watches its runs with.
#pragma once

#include <string>
#include <vector>

namespace tailor {

struct CommandResult {
    bool started = false;  // false: the program is not on PATH (or cannot run), or exited 127 silently
    int status = 0;        // the exit status; 128 + signal when killed
    std::string output, errors;
};

// Runs argv[0] (looked up on PATH) with the given arguments and no input. It
// runs in a process group of its own, so a Ctrl-C meant for tailor does not
// cut it off halfway (a submission either happened or did not). Output past
// `max_output` bytes is an error (a program gone astray, not an answer).
CommandResult run_command(const std::vector<std::string> &argv, std::size_t max_output = std::size_t{16} << 20);

// The last non-empty line of a program's error output, or "exit status N".
std::string failure_summary(const CommandResult &result);

}  // namespace tailor
