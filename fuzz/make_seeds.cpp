// Writes the seed corpus (fuzz/corpus/<target>/) with tailor's own writers:
// small valid inputs of each parser, for the fuzzers to mutate.
//   fuzz_make_seeds DIR
#include "tailor/data/dataset.h"
#include "tailor/run/run_record.h"
#include "tailor/train/checkpoint.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

namespace {

using Bytes = std::string;

void write(const fs::path &path, const Bytes &bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

Bytes read(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Bytes gzip(const Bytes &bytes, const fs::path &scratch) {
    gzFile f = gzopen(scratch.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return read(scratch);
}

void put_u32(Bytes &out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

Bytes idx(uint32_t magic, const std::vector<uint32_t> &extents, const Bytes &payload) {
    Bytes out;
    put_u32(out, magic);
    for (uint32_t e : extents) put_u32(out, e);
    return out + payload;
}

// The idx target's input: a two-byte cut, the image file, the label file.
Bytes idx_input(const Bytes &images, const Bytes &labels) {
    return Bytes{static_cast<char>(images.size() >> 8), static_cast<char>(images.size() & 0xff)} + images + labels;
}

void idx_seeds(const fs::path &dir) {
    Bytes pixels;
    for (int i = 0; i < 2 * tailor::kImagePixels; i++) pixels.push_back(static_cast<char>(i * 7));
    const Bytes images = idx(0x803, {2, 28, 28}, pixels), labels = idx(0x801, {2}, Bytes{3, 9});
    write(dir / "idx/raw", idx_input(images, labels));
    write(dir / "idx/gzip", idx_input(gzip(images, dir / "scratch"), gzip(labels, dir / "scratch")));
    fs::remove(dir / "scratch");
}

void csv_seeds(const fs::path &dir) {
    Bytes header = "label", row = "7";
    for (int p = 1; p <= tailor::kImagePixels; p++) {
        header += ",pixel" + std::to_string(p);
        row += "," + std::to_string(p % 256);
    }
    write(dir / "csv/plain", header + "\n" + row + "\n" + row + "\n");
    write(dir / "csv/spreadsheet", "\xEF\xBB\xBF" + header + "\r\n" + row + "\r\n" + row);
}

// Checkpoints of a two-tensor toy (the parser checks no model), with
// history, with and without a weights' average.
void checkpoint_seed(const fs::path &dir) {
    tailor::Checkpoint c;
    c.settings.architecture = "mlp";
    c.settings.ema_decay = 0.999;
    c.epochs_done = 2;
    c.tensors = {{"dense_1/kernel", {2, 3}}, {"dense_1/bias", {3}}};
    c.history = {{0.5, 0.8, 0.45, 0.82, 10.0}, {0.4, 0.85, 0.41, 0.84, 9.5}};
    c.parameters = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    c.adam.m = c.adam.v = c.averaged = c.parameters;
    c.adam.step = 40;
    fs::create_directories(dir / "checkpoint");
    tailor::save_checkpoint((dir / "checkpoint/small").string(), c);
    c.settings.ema_decay = 0;
    c.averaged.clear();
    tailor::save_checkpoint((dir / "checkpoint/small-no-average").string(), c);
}

void json_seeds(const fs::path &dir) {
    fs::create_directories(dir / "run_record");
    tailor::write_run_record((dir / "run_record").string(), tailor::TrainSettings{}, 241546,
                             {{0.5, 0.8, 0.45, 0.82, 10.0}, {0.4, 0.85, 0.41, 0.84, 9.5}});
    const nlohmann::json job = {{"table", "table1"},  {"label", "table1-cnn1"}, {"architecture", "cnn1"},
                                {"seed", "42"},       {"options", ""},
                                {"arguments", {"--arch", "cnn1", "--seed", "42"}}};
    write(dir / "plan/plan", nlohmann::json({{"jobs", {job, job}}}).dump(2));
    write(dir / "plan/plan-unique", nlohmann::json({{"jobs", {job}}}).dump(2));
    const nlohmann::json array = {{"tag", "tailor-0123456789abcdef"}, {"job_id", "12"}, {"runs", {"table1-cnn1"}}};
    const nlohmann::json unrecorded = {{"tag", "tailor-fedcba9876543210"}, {"job_id", ""}, {"runs", {"a", "b"}}};
    write(dir / "slurm_record/submissions", nlohmann::json({{"arrays", {array, unrecorded}}}).dump(2));
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_seeds DIR\n";
        return 2;
    }
    const fs::path dir(argv[1]);
    idx_seeds(dir);
    csv_seeds(dir);
    checkpoint_seed(dir);
    json_seeds(dir);
    return 0;
}
