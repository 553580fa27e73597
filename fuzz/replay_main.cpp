// Runs a libFuzzer harness over saved inputs without libFuzzer: each argument is a file, or a
// folder whose files (not its subfolders) are read in name order. CI builds the harnesses so
// with the compiler of every build and replays the seed corpora as tests, under ASan+UBSan in
// that build: deterministic, where a fuzzing run's findings depend on its luck (scripts/fuzz.sh
// fuzzes, with clang's libFuzzer). The harness aborts on a broken promise, as under libFuzzer.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_named_by(const std::filesystem::path& argument) {
  if (!std::filesystem::is_directory(argument)) return {argument};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argument)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " FILE_OR_FOLDER...\n";
    return 2;
  }
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& file : inputs_named_by(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::cerr << file.string() << ": cannot be read\n";
        return 1;
      }
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
      // A harness reads through the pointer even for an empty input; give it a valid one.
      const std::uint8_t empty = 0;
      LLVMFuzzerTestOneInput(
          bytes.empty() ? &empty : reinterpret_cast<const std::uint8_t*>(bytes.data()),
          bytes.size());
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::cerr << "no input found: a replay of nothing checks nothing\n";
    return 1;
  }
  std::cout << "replayed " << replayed << (replayed == 1 ? " input" : " inputs")
            << ", no broken promise\n";
  return 0;
}
