// Wipes memory in a way the optimizer cannot remove (secret keys, seeds, noise).
#pragma once

#include <cstddef>

namespace ppml {
void secure_zero(void* data, std::size_t bytes);
}
