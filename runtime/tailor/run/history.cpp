#include "tailor/run/history.h"

#include <sstream>

namespace tailor {

std::string history_csv(const std::vector<EpochRecord> &history) {
    std::ostringstream out;
    out.precision(9);
    out << "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n";
    for (std::size_t i = 0; i < history.size(); i++) {
        const auto &e = history[i];
        out << i + 1 << ',' << e.loss << ',' << e.accuracy << ',' << e.val_loss << ',' << e.val_accuracy << ','
            << e.seconds << '\n';
    }
    return out.str();
}

}  // namespace tailor
