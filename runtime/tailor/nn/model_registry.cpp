// The registry of architectures: one Network<Arch> per declaration in
// architectures/*.arch, looked up by name.
#include "tailor/architectures.h"  // generated
#include "tailor/util/error.h"
#include "tailor/nn/model.h"
#include "tailor/nn/network.h"

namespace tailor {

std::vector<std::string> architecture_names() {
    return std::apply([](auto... arch) { return std::vector<std::string>{decltype(arch)::name...}; },
                      Architectures{});
}

int network_batch(int64_t batch, std::size_t images) {
    constexpr std::size_t kGroup = 256;
    const std::size_t rounded = std::max<std::size_t>(1, (images + kGroup - 1) / kGroup) * kGroup;
    return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(batch), rounded));
}

std::unique_ptr<Model> make_model(const std::string &architecture, int max_batch) {
    std::unique_ptr<Model> model;
    std::apply(
        [&](auto... arch) {
            ((architecture == decltype(arch)::name ? (model = std::make_unique<Network<decltype(arch)>>(max_batch), 0)
                                                   : 0),
             ...);
        },
        Architectures{});
    if (!model) {
        std::string known;
        for (const auto &name : architecture_names()) known += (known.empty() ? "" : ", ") + name;
        throw Error("unknown architecture '" + architecture + "' (known: " + known + ")");
    }
    return model;
}

}  // namespace tailor
