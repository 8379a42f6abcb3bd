// The few pieces of the protocol-buffer wire format an ONNX file needs:
// varints, length-delimited fields (strings, bytes, nested messages) and
// 32-bit floats; a repeated field is the same field written again. Written by hand rather than with libprotobuf: ONNX's
// messages are simple and writing is all tailor does with them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tailor::protobuf {

// A message being written: fields are appended in the order they are given.
class Message {
public:
    Message &varint(int field, uint64_t value) {
        key(field, 0);
        put_varint(value);
        return *this;
    }
    Message &bytes(int field, std::string_view value) {
        key(field, 2);
        put_varint(value.size());
        bytes_.append(value);
        return *this;
    }
    Message &message(int field, const Message &nested) { return bytes(field, nested.bytes_); }
    Message &float32(int field, float value) {
        key(field, 5);
        char raw[4];
        std::memcpy(raw, &value, 4);
        bytes_.append(raw, 4);
        return *this;
    }
    const std::string &data() const { return bytes_; }

private:
    void key(int field, int wire_type) { put_varint((static_cast<uint64_t>(field) << 3) | wire_type); }
    void put_varint(uint64_t value) {
        while (value >= 0x80) {
            bytes_.push_back(static_cast<char>((value & 0x7f) | 0x80));
            value >>= 7;
        }
        bytes_.push_back(static_cast<char>(value));
    }
    std::string bytes_;
};

}  // namespace tailor::protobuf
