// tailor summary: an architecture's layers, as Keras's summary() prints them.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/train/train.h"

#include <iostream>

namespace tailor::commands {

CLI::App &add_summary_command(CLI::App &app, SummaryOptions &options) {
    auto &command = *app.add_subcommand("summary", "Print an architecture's layers, as Keras's summary()");
    command.add_option("--arch", options.architecture, "Architecture: " + known_architectures())
        ->capture_default_str();
    return command;
}

void run_summary(const SummaryOptions &options) { std::cout << format_summary(*make_model(options.architecture, 1)); }

}  // namespace tailor::commands
