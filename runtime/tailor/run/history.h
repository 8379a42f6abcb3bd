// Per-epoch training history.
#pragma once

#include <string>
#include <vector>

namespace tailor {

struct EpochRecord {
    double loss = 0, accuracy = 0;          // on the training batches, dropout active (as Keras reports)
    double val_loss = 0, val_accuracy = 0;  // on the validation split, inference mode
    double seconds = 0;                     // training + validation wall time
};

// CSV with a header row: epoch,loss,accuracy,val_loss,val_accuracy,seconds
std::string history_csv(const std::vector<EpochRecord> &history);

}  // namespace tailor
