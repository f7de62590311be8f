#include "auth/random_bytes.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace wxgate {
namespace {

constexpr size_t kBlockBytes = 4096;

struct RandomBlock {
  unsigned char bytes[kBlockBytes];
  size_t used = kBlockBytes;  // all used: the first draw refills

  void Refill() {
    RAND_bytes(bytes, sizeof(bytes));
    used = 0;
  }
};

}  // namespace

void FillRandom(unsigned char* out, size_t size) {
  thread_local RandomBlock block;
  while (size > 0) {
    // OpenSSL only when the block runs out: once per 4 KiB, not per draw.
    if (block.used == kBlockBytes) block.Refill();
    const size_t take = std::min(size, kBlockBytes - block.used);
    std::memcpy(out, block.bytes + block.used, take);
    // Bytes handed out are wiped, so that no copy of them stays behind.
    std::memset(block.bytes + block.used, 0, take);
    block.used += take;
    out += take;
    size -= take;
  }
}

}  // namespace wxgate
