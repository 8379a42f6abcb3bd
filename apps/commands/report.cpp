// tailor report: write a finished run's report.html.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/nn/kernel_call.h"
#include "tailor/report/report.h"

#include <iostream>

namespace tailor::commands {

CLI::App &add_report_command(CLI::App &app, ReportOptions &options) {
    auto &command = *app.add_subcommand("report", "Write a run's report.html (figures, tables, settings)");
    command.add_option("--run", options.run_directory, "The run directory")->required();
    add_data_option(command, options.data_sources);
    return command;
}

void run_report(const ReportOptions &options) {
    write_report(options.run_directory, load_data(options.data_sources), kernel_target(), std::cout);
}

}  // namespace tailor::commands
