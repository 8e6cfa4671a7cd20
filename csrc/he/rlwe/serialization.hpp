// Versioned binary format of every RLWE object. Header (32 bytes): magic "PPML", format
// major/minor, object kind, scheme, parameter fingerprint, key id, body length; then the
// body; then a 64-bit checksum of both (corrupted bytes never load). Loading checks the
// checksum, the header, that the body length equals what the header implies before any
// allocation, every count against the context, every coefficient < its prime, and the
// scale; anything else is a FormatError. Uniform halves of fresh symmetric ciphertexts
// and of keys are stored as their 32-byte seeds; every other row is bit-packed at the
// width of its prime.
#pragma once

#include <string>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::rlwe {

enum class ObjectKind : uint8_t {
  Params = 1,
  Plaintext = 2,
  Ciphertext = 3,
  PublicKey = 4,
  RelinKey = 5,
  GaloisKeys = 6,
  SecretKey = 7,
};

// 2.0: a 64-bit checksum trailer (common/checksum.hpp) over header and body.
// 2.1: polynomial rows bit-packed at their prime's width (common/fixed_width_packing.hpp):
//      a 40-bit prime's row takes 40 bits per coefficient instead of 64. 2.0 still loads.
// 2.2: key-switching keys flag a-halves expanded from their seed by AES-128-CTR blocks
//      (he/rlwe/key_expansion.hpp); 2.0/2.1 keys (ChaCha20 streams) still load.
// 2.3: seeded (fresh symmetric) ciphertexts expand c1 from AES-128-CTR blocks per limb
//      (seed flag 2), so the limbs expand in parallel; flag 1 (one ChaCha20 stream)
//      still loads.
constexpr uint8_t kFormatMajor = 2;
constexpr uint8_t kFormatMinor = 3;
constexpr std::size_t kHeaderSize = 32;
constexpr std::size_t kChecksumSize = 8;

// What parameter bytes from an untrusted source may ask for. Checked while parsing, before
// any prime is tested and before any table or key is built, so a short blob cannot make
// the loader do much work.
struct LoadLimits {
  int min_security = 128;            // stored level must be >= this; 0 also accepts level 0 (none)
  uint64_t max_poly_degree = 32768;  // ring degree n
  std::size_t max_primes = 64;       // data primes + special primes
  // Table the parameters must meet, whatever table the bytes name: the sender's choice is
  // a claim like its level. HEStandard2018 also accepts bytes made under the 2018 table.
  SecurityStandard security_standard = SecurityStandard::Guidelines2024;
};

std::string save_params(const Params& params);
// Parses, applies `limits` (FormatError naming the limit), then validates (including the
// security table, unless the stored level is 0 and limits.min_security is 0): against the
// stored table, and against the 2024 table too unless limits.security_standard is 2018.
Params load_params(const std::string& data, const LoadLimits& limits);

std::string save(const Context& ctx, const Plaintext& pt);
std::string save(const Context& ctx, const Ciphertext& ct);
std::string save(const Context& ctx, const PublicKey& pk);
std::string save(const Context& ctx, const KeySwitchKey& key);
std::string save(const Context& ctx, const GaloisKeys& keys);
std::string save(const Context& ctx, const SecretKey& sk);

Plaintext load_plaintext(const Context& ctx, const std::string& data);
Ciphertext load_ciphertext(const Context& ctx, const std::string& data);
PublicKey load_public_key(const Context& ctx, const std::string& data);
// `compact`: keys of format 2.2 keep only their b-halves (see key_expansion.hpp).
KeySwitchKey load_relin_key(const Context& ctx, const std::string& data, bool compact = false);
GaloisKeys load_galois_keys(const Context& ctx, const std::string& data, bool compact = false);
SecretKey load_secret_key(const Context& ctx, const std::string& data);

// Kind byte of a serialized object (after checking magic and version).
ObjectKind peek_kind(const std::string& data);

}  // namespace ppml::rlwe
