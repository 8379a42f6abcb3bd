// Text into HTML: the one escape the report page and the experiment page share.
#pragma once

#include <string>

namespace tailor {

inline std::string html_escape(const std::string &text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace tailor
