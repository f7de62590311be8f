// Random bytes from OpenSSL's CSPRNG, drawn in blocks: each RAND_bytes call checks
// the process id (fork safety) and locks the generator, which cost more than the
// 16 bytes a push or a reply takes. Each thread keeps its own block of 4 KiB.
//
//   unsigned char salt[16];
//   FillRandom(salt, sizeof(salt));
//
// A child forked with bytes left in a block would draw the parent's: the gateway
// never forks after start.
//
// Thread-safe.
#ifndef WXGATE_AUTH_RANDOM_BYTES_H_
#define WXGATE_AUTH_RANDOM_BYTES_H_

#include <cstddef>

namespace wxgate {

void FillRandom(unsigned char* out, size_t size);

}  // namespace wxgate

#endif  // WXGATE_AUTH_RANDOM_BYTES_H_
