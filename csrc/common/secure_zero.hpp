// Wipes memory in a way the optimizer cannot remove (secret keys, seeds, noise).
#pragma once

#include <cstddef>

namespace ppml {
// `data` may be null when `bytes` is 0.
void secure_zero(void* data, std::size_t bytes);
}
