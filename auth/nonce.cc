#include "auth/nonce.h"

#include "auth/random_bytes.h"

namespace wxgate {

std::string NewNonce() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char random[16];
  FillRandom(random, sizeof(random));
  std::string nonce;
  for (unsigned char byte : random) nonce.push_back(kAlphabet[byte % (sizeof(kAlphabet) - 1)]);
  return nonce;
}

}  // namespace wxgate
