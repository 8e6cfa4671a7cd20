// ChaCha20 block function [RFC 8439] and the keystream generator built on it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::random {

// One 64-byte block: state = constants | key[8] | words 12..15 (counter / nonce).
// `tail` holds state words 12..15 (RFC 8439: counter, nonce0, nonce1, nonce2).
void chacha20_block(const uint32_t key[8], const uint32_t tail[4], uint8_t out[64]);

// `blocks` consecutive blocks with a 64-bit block counter in words 12..13 starting at
// `counter` and a 64-bit stream id in words 14..15. Dispatches to a SIMD kernel when
// available; output identical on every path.
void chacha20_blocks(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                     std::size_t blocks);

// The keystream kernel used under the current backend setting.
const char* chacha20_kernel_name();

namespace detail {
void chacha20_blocks_scalar(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                            std::size_t blocks);
void chacha20_blocks_avx512(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                            std::size_t blocks);
void chacha20_blocks_avx2(const uint32_t key[8], uint64_t counter, uint64_t stream, uint8_t* out,
                          std::size_t blocks);
}  // namespace detail

}  // namespace ppml::random
