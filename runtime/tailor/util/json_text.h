// JSON text parsed into a value with its nesting bounded: tailor's files
// nest a few levels, and a file of 64 MiB of '[' built a value per bracket
// (5 GB) before nlohmann::json reported anything.
#pragma once

#include "tailor/util/error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace tailor {

constexpr int kMaxJsonDepth = 32;

// Throws Error naming `path` beyond kMaxJsonDepth levels; nlohmann's
// exceptions for text that is not JSON.
inline nlohmann::json parse_json(const std::string &path, const std::string &text) {
    return nlohmann::json::parse(text, [&path](int depth, nlohmann::json::parse_event_t, nlohmann::json &) {
        if (depth > kMaxJsonDepth) {
            throw file_error(path, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        return true;
    });
}

}  // namespace tailor
