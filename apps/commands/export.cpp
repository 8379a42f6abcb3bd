// tailor export: a checkpoint's network as an ONNX model.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/export/onnx.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/atomic_file.h"

#include <iostream>

namespace tailor::commands {

CLI::App &add_export_command(CLI::App &app, ExportOptions &options) {
    auto &command = *app.add_subcommand("export", "Write a checkpoint's network as an ONNX model (opset 13)");
    command.add_option("--checkpoint", options.checkpoint_path, "Checkpoint file (e.g. RUN/best.tlr)")->required();
    command.add_option("--onnx", options.onnx_path, "The ONNX file to write")->required()->check(non_empty_path());
    return command;
}

void run_export(const ExportOptions &options) {
    const Checkpoint checkpoint = load_checkpoint(options.checkpoint_path);
    const auto model = make_model(checkpoint.settings.architecture, 1);
    check_compatible(options.checkpoint_path, checkpoint, *model);
    // What classifies: the weights' average when the run kept one.
    write_file_atomically(options.onnx_path, onnx_model(*model, checkpoint.classifying_parameters()));
    std::cout << "Wrote " << options.onnx_path << ": " << checkpoint.settings.architecture << " after "
              << checkpoint.epochs_done << " epochs, input image [N, 1, 28, 28] (pixel / 255), output "
              << "probabilities [N, 10]\n";
}

}  // namespace tailor::commands
