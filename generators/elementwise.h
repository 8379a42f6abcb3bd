// What the element-wise kernels (dropout, noise, Adam, the weight average)
// share: the `schedule` parameter of tuned choices (schedule_choices.h) and
// one schedule over a 1-D buffer.
#pragma once

#include "layout.h"

namespace tailor {

// Elements of a CPU task, by hand, in vectors: a few thousand.
constexpr int kBlockVectors = 256;
constexpr int kMostBlockVectors = 4096;
constexpr int kMostLaneVectors = 8;

template <typename Self>
class ElementwiseGenerator : public Halide::Generator<Self> {
public:
    // Tuned schedule choices per target (schedule_choices.h); empty: by hand.
    Halide::GeneratorParam<std::string> schedule{"schedule", ""};

protected:
    // CPU: vectors (lane_vectors natural vectors each, by hand one), in
    // parallel blocks of block_vectors natural vectors. GPU: one thread per
    // element. The same arithmetic per element either way, so the same bits.
    void schedule_elementwise(Halide::Func output) {
        using Halide::TailStrategy;
        const Halide::Target target = this->get_target();
        ScheduleChoices choices(schedule.value(), target);
        Halide::Var block("block"), lane("lane");
        if (target.has_gpu_feature()) {
            output.gpu_tile(i, block, lane, 256, TailStrategy::GuardWithIf);
        } else {
            const int vector_width = target.natural_vector_size<float>();
            const int lane_vectors = choices.count("lane_vectors", 1, kMostLaneVectors);
            // A whole number of the wider vectors per block.
            const int asked = choices.count("block_vectors", kBlockVectors, kMostBlockVectors);
            const int block_vectors = std::max(lane_vectors, asked / lane_vectors * lane_vectors);
            choices.settle("block_vectors", block_vectors);
            output.split(i, block, lane, vector_width * block_vectors, TailStrategy::GuardWithIf)
                .parallel(block)
                .vectorize(lane, vector_width * lane_vectors);
        }
        choices.check_all_used();
    }

    Halide::Var i{"i"};
};

}  // namespace tailor
