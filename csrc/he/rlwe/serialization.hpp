// Versioned binary format of every RLWE object. Header (32 bytes): magic "PPML", format
// major/minor, object kind, scheme, parameter fingerprint, key id, body length. Loading
// checks the header, that the body length equals what the header implies before any
// allocation, every count against the context, every coefficient < its prime, and the
// scale; anything else is a FormatError. Uniform halves of fresh symmetric ciphertexts
// and of keys are stored as their 32-byte seeds.
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

constexpr uint8_t kFormatMajor = 1;
constexpr uint8_t kFormatMinor = 0;
constexpr std::size_t kHeaderSize = 32;

std::string save_params(const Params& params);
// Parses and validates (including the security table, unless the bytes say level 0).
Params load_params(const std::string& data);

std::string save(const Context& ctx, const Plaintext& pt);
std::string save(const Context& ctx, const Ciphertext& ct);
std::string save(const Context& ctx, const PublicKey& pk);
std::string save(const Context& ctx, const KeySwitchKey& key);
std::string save(const Context& ctx, const GaloisKeys& keys);
std::string save(const Context& ctx, const SecretKey& sk);

Plaintext load_plaintext(const Context& ctx, const std::string& data);
Ciphertext load_ciphertext(const Context& ctx, const std::string& data);
PublicKey load_public_key(const Context& ctx, const std::string& data);
KeySwitchKey load_relin_key(const Context& ctx, const std::string& data);
GaloisKeys load_galois_keys(const Context& ctx, const std::string& data);
SecretKey load_secret_key(const Context& ctx, const std::string& data);

// Kind byte of a serialized object (after checking magic and version).
ObjectKind peek_kind(const std::string& data);

}  // namespace ppml::rlwe
