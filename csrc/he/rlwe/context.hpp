// Everything derived once from Params and shared by keys, encryptors and evaluators:
// the RNS bases of each level, Q*P, P, digit partition and key-switching constants.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "he/rlwe/params.hpp"
#include "rns/base_converter.hpp"
#include "rns/rns_base.hpp"

namespace ppml::rlwe {

struct AuxBasis;

class Context {
 public:
  // Validates params (ParameterError) and precomputes.
  explicit Context(Params params);
  ~Context();

  const Params& params() const { return params_; }
  uint64_t n() const { return params_.n; }
  uint64_t fingerprint() const { return fingerprint_; }
  // Number of data primes L+1 and top level L.
  std::size_t q_count() const { return params_.q.size(); }
  std::size_t p_count() const { return params_.p.size(); }
  int max_level() const { return static_cast<int>(params_.q.size()) - 1; }

  // Base of the first level+1 data primes; ParameterError for a level outside 0..max_level
  // (a level can come straight from a caller, e.g. encode_constant(level=-1)).
  const std::shared_ptr<const rns::RnsBase>& q_base(int level) const {
    check_level("Context", level);
    return q_bases_[static_cast<std::size_t>(level)];
  }
  // log2(Q_level), Q_level = q_0 ... q_level, as a double (the scale and coefficient
  // bounds of CKKS are stated against it).
  double log2_q(int level) const;
  void check_level(const char* api, int level) const {
    if (level < 0 || level > max_level())
      throw_parameter(api, "level", "is out of range", "0 <= level <= " + std::to_string(max_level()), level);
  }
  // Q*P (data primes then special primes), the base of keys.
  const std::shared_ptr<const rns::RnsBase>& qp_base() const { return qp_base_; }
  const std::shared_ptr<const rns::RnsBase>& p_base() const { return p_base_; }
  const math::Modulus& modulus(std::size_t qp_index) const { return (*qp_base_)[qp_index]; }
  const ntt::NttTables& ntt(std::size_t qp_index) const { return *qp_base_->ntt_tables(params_.n)[qp_index]; }

  // Digit j covers data primes [digit_start(j), digit_end(j)).
  int digits() const { return params_.digits(); }
  std::size_t digit_start(int j) const { return static_cast<std::size_t>(j) * params_.digit_size(); }
  std::size_t digit_end(int j) const {
    return std::min(q_count(), static_cast<std::size_t>(j + 1) * params_.digit_size());
  }
  // P mod q_i and P^-1 mod q_i for every data prime.
  uint64_t p_mod_q(std::size_t i) const { return p_mod_q_[i]; }
  uint64_t p_inv_mod_q(std::size_t i) const { return p_inv_mod_q_[i]; }

  // Converter from the primes of digit j present at `level` to the other primes of the
  // level plus P (targets ordered: data primes outside the digit, then special primes).
  const rns::BaseConverter& mod_up_converter(int level, int digit) const;
  // Converter from P to the data primes of a level.
  const rns::BaseConverter& mod_down_converter(int level) const { return *mod_down_.at(level); }
  // Chunks and auxiliary primes of key switching through an auxiliary basis
  // (key_switch_aux.hpp), built on first use; null unless the digits are single primes.
  const AuxBasis* aux_basis() const;

 private:
  Params params_;
  uint64_t fingerprint_;
  std::vector<std::shared_ptr<const rns::RnsBase>> q_bases_;
  std::shared_ptr<const rns::RnsBase> qp_base_, p_base_;
  std::vector<uint64_t> p_mod_q_, p_inv_mod_q_;
  std::vector<std::unique_ptr<rns::BaseConverter>> mod_down_;
  mutable std::mutex converters_mutex_;
  mutable std::map<std::pair<int, int>, std::unique_ptr<rns::BaseConverter>> mod_up_;
  mutable std::once_flag aux_once_;
  mutable std::unique_ptr<AuxBasis> aux_;
};

}  // namespace ppml::rlwe
