// 64-bit checksum of serialized objects: detects accidental corruption (a flipped bit, a
// damaged copy) with probability 1 - 2^-64, so corrupted bytes never load silently. Not a
// MAC: an active attacker recomputes it; integrity against attackers is the transport's
// (TLS) or a signature's job.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml {
// Four independent multiply-rotate lanes over little-endian 64-bit words (throughput, not
// latency, bound), the tail and the length folded in, then a final avalanche.
uint64_t checksum64(const void* data, std::size_t bytes);
}  // namespace ppml
