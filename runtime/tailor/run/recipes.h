// Recipes: coherent groups of training settings that `--recipe NAME` starts
// from; flags given explicitly override them (apps/commands/train.cpp).
//   report  the report's Keras recipe, exactly: what `tailor train` does
//           without --recipe
//   best    the highest test accuracy this network reaches here
//   fast    the shortest fixed budget that reaches 0.925
// docs/experiments.md has what each technique in them added.
#pragma once

#include "tailor/run/settings.h"

#include <string>
#include <vector>

namespace tailor {

std::vector<std::string> recipe_names();

// Throws Error for an unknown name.
TrainSettings recipe_settings(const std::string &name);

// What a recipe changes from the report's, e.g. "epochs 50, batch 128, ...".
std::string describe_recipe(const std::string &name);

}  // namespace tailor
