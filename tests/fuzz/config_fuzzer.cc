// libFuzzer target over the configuration loader: any YAML document either loads
// or is refused with a message; it never crashes, hangs or leaks.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "service/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  // Every variable is set, so secrets by env resolve; files are read if they exist.
  const wxgate::config::EnvLookup env = [](const std::string&) -> std::optional<std::string> {
    return "fuzz-secret-value";
  };
  (void)wxgate::config::LoadConfigFromYaml(yaml, env);
  return 0;
}
