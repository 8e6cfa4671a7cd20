#include "random/prng.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/secure_zero.hpp"
#include "common/thread_pool.hpp"
#include "random/chacha20.hpp"

namespace ppml::random {

Seed os_seed() {
  Seed seed;
  std::size_t got = 0;
  while (got < seed.size()) {
    ssize_t r = getrandom(seed.data() + got, seed.size() - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("os_seed: getrandom failed");
    }
    got += static_cast<std::size_t>(r);
  }
  return seed;
}

Prng::Prng() {
  Seed seed = os_seed();
  std::memcpy(key_, seed.data(), 32);
  secure_zero(seed.data(), seed.size());
}

Prng::Prng(const Seed& seed, uint64_t stream) : stream_(stream) { std::memcpy(key_, seed.data(), 32); }

Prng::~Prng() {
  secure_zero(key_, sizeof(key_));
  secure_zero(buffer_, sizeof(buffer_));
}

void Prng::refill() {
  chacha20_blocks(key_, counter_, stream_, buffer_, kBlocks);
  counter_ += kBlocks;
  pos_ = 0;
}

void Prng::fill(void* out, std::size_t bytes) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  while (bytes) {
    if (pos_ == sizeof(buffer_)) {
      // Large requests go straight to the destination, whole blocks at a time.
      if (bytes >= sizeof(buffer_)) {
        std::size_t blocks = bytes / 64;
        // ChaCha20 blocks depend only on their counter: long runs (mask expansion, seeded
        // uniform polynomials) are split over the pool with the same bytes as one call.
        constexpr std::size_t kBlocksPerTask = 2048;  // 128 KiB
        const uint64_t first = counter_;
        parallel_for(0, (blocks + kBlocksPerTask - 1) / kBlocksPerTask, 1, [&](std::size_t task) {
          const std::size_t begin = task * kBlocksPerTask;
          const std::size_t count = std::min(kBlocksPerTask, blocks - begin);
          chacha20_blocks(key_, first + begin, stream_, dst + 64 * begin, count);
        });
        counter_ += blocks;
        dst += 64 * blocks;
        bytes -= 64 * blocks;
        continue;
      }
      refill();
    }
    std::size_t take = std::min(bytes, sizeof(buffer_) - pos_);
    std::memcpy(dst, buffer_ + pos_, take);
    secure_zero(buffer_ + pos_, take);
    pos_ += take;
    dst += take;
    bytes -= take;
  }
}

uint64_t Prng::next_u64() {
  if (sizeof(buffer_) - pos_ < 8) {
    uint64_t v;
    fill(&v, 8);
    return v;
  }
  uint64_t v;
  std::memcpy(&v, buffer_ + pos_, 8);
  // Consumed keystream is wiped, as in fill(): it may be a secret draw (sparse-key positions).
  std::memset(buffer_ + pos_, 0, 8);
  pos_ += 8;
  return v;
}

uint32_t Prng::next_u32() {
  uint32_t v;
  fill(&v, 4);
  return v;
}

uint64_t Prng::uniform_below(uint64_t bound) {
  if (bound <= 1) return 0;
  int bits = 64 - __builtin_clzll(bound - 1);
  uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  for (;;) {
    uint64_t v = next_u64() & mask;
    if (v < bound) return v;
  }
}

namespace {
thread_local std::unique_ptr<Prng> t_prng;
thread_local pid_t t_owner = 0;
}  // namespace

Prng& thread_prng() {
  pid_t pid = getpid();
  if (!t_prng || t_owner != pid) {
    t_prng = std::make_unique<Prng>();
    t_owner = pid;
  }
  return *t_prng;
}

void seed_thread_prng_for_tests(const Seed& seed) {
  t_prng = std::make_unique<Prng>(seed, 0);
  t_owner = getpid();
}

}  // namespace ppml::random
