// Largest log2(Q*P) allowed for a ring degree and security level: the 2024 table
// (ePrint 2024/463, Table 5.2, ternary secret, classical) by default, the 2018
// HomomorphicEncryption.org table that SEAL and OpenFHE enforce on request.
#pragma once

#include <cstdint>
#include <string>

namespace ppml::rlwe {

enum class SecurityStandard { Guidelines2024 = 0, HEStandard2018 = 1 };

// Max bits of Q*P, or -1 when the table has no entry for (n, level).
int max_modulus_bits(uint64_t n, int security_level, SecurityStandard standard);

SecurityStandard parse_security_standard(const std::string& name);
std::string security_standard_name(SecurityStandard s);

}  // namespace ppml::rlwe
