// libFuzzer target over the token store's state file, which the gateway reads back at
// start: whatever is on disk (a truncated write, an old format, a hand edit) is
// parsed; a state that parses is written and read back unchanged; and a store built
// on the file starts with it, or moves a corrupt file aside and starts empty.
// Run: tests/fuzz/run_fuzzers.sh [seconds]  (builds with clang into build-fuzz/).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "service/token/memory_token_store.h"

namespace {

using State = wxgate::MemoryTokenStore::State;

// A state file of this process's own, in the temporary directory.
const std::string& StateFile() {
  static const auto* path = [] {
    const char* dir = std::getenv("TMPDIR");
    return new std::string(std::string(dir != nullptr ? dir : "/tmp") + "/wxgate-token-fuzz-" +
                           std::to_string(getpid()) + ".json");
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::optional<State> state = wxgate::MemoryTokenStore::ParseState(text);
  if (state) {
    const std::string written = wxgate::MemoryTokenStore::SerializeState(*state);
    const std::optional<State> reread = wxgate::MemoryTokenStore::ParseState(written);
    if (!reread || wxgate::MemoryTokenStore::SerializeState(*reread) != written) std::abort();
  }

  const std::string& file = StateFile();
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  {
    wxgate::MemoryTokenStore store(file);
    // A file that does not parse is moved aside, and only then.
    if (store.load_warning().empty() != state.has_value()) std::abort();
  }
  std::remove(file.c_str());
  std::remove((file + ".corrupt").c_str());
  return 0;
}
