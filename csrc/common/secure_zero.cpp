#include "common/secure_zero.hpp"

#include <string.h>

namespace ppml {

void secure_zero(void* data, std::size_t bytes) {
  // An empty buffer may have a null pointer (an empty std::vector), and explicit_bzero's
  // pointer is declared nonnull even for zero bytes.
  if (bytes == 0) return;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
  explicit_bzero(data, bytes);
#else
  volatile unsigned char* p = static_cast<volatile unsigned char*>(data);
  while (bytes--) *p++ = 0;
#endif
}

}  // namespace ppml
