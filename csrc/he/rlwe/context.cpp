#include "he/rlwe/context.hpp"

#include <cmath>

#include "he/rlwe/key_switch_aux.hpp"

namespace ppml::rlwe {

Context::Context(Params params) : params_(std::move(params)) {
  params_.validate();
  fingerprint_ = params_.fingerprint();
  for (std::size_t l = 1; l <= params_.q.size(); ++l)
    q_bases_.push_back(std::make_shared<const rns::RnsBase>(std::vector<uint64_t>(params_.q.begin(), params_.q.begin() + l)));
  std::vector<uint64_t> qp = params_.q;
  qp.insert(qp.end(), params_.p.begin(), params_.p.end());
  qp_base_ = std::make_shared<const rns::RnsBase>(qp);
  qp_base_->ntt_tables(params_.n);  // build all tables now
  if (!params_.p.empty()) {
    p_base_ = std::make_shared<const rns::RnsBase>(params_.p);
    for (std::size_t i = 0; i < params_.q.size(); ++i) {
      const auto& q = (*qp_base_)[i];
      uint64_t pm = rns::words::mod_word(p_base_->product().data(), p_base_->size(), q);
      p_mod_q_.push_back(pm);
      p_inv_mod_q_.push_back(q.inv(pm));
    }
    for (const auto& qb : q_bases_) mod_down_.push_back(std::make_unique<rns::BaseConverter>(p_base_, qb));
  }
}

Context::~Context() = default;

const rns::BaseConverter& Context::mod_up_converter(int level, int digit) const {
  std::lock_guard<std::mutex> lock(converters_mutex_);
  auto key = std::make_pair(level, digit);
  auto it = mod_up_.find(key);
  if (it != mod_up_.end()) return *it->second;
  std::size_t begin = digit_start(digit), end = std::min(digit_end(digit), static_cast<std::size_t>(level) + 1);
  std::vector<uint64_t> from(params_.q.begin() + begin, params_.q.begin() + end), to;
  for (std::size_t i = 0; i <= static_cast<std::size_t>(level); ++i)
    if (i < begin || i >= end) to.push_back(params_.q[i]);
  to.insert(to.end(), params_.p.begin(), params_.p.end());
  auto conv = std::make_unique<rns::BaseConverter>(std::make_shared<const rns::RnsBase>(from),
                                                   std::make_shared<const rns::RnsBase>(to));
  return *mod_up_.emplace(key, std::move(conv)).first->second;
}

double Context::log2_q(int level) const {
  const auto& base = *q_base(level);
  double log_q = 0;
  for (std::size_t i = 0; i < base.size(); ++i) log_q += std::log2(static_cast<double>(base[i].value()));
  return log_q;
}

}  // namespace ppml::rlwe
