#include "he/rlwe/security.hpp"

#include "common/errors.hpp"

namespace ppml::rlwe {
namespace {

struct Row {
  uint64_t n;
  int b128, b192, b256;
};

// ../shared/SECURITY.md 1c (2024 Table 5.2; -1 = no entry) and 1a/1b (2018 standard,
// with the 2^16, 2^17 rows of OpenFHE's current table, as the 2018 document has none).
constexpr Row kTable2024[] = {{1024, 26, -1, -1},      {2048, 53, 36, 27},       {4096, 106, 73, 56},
                              {8192, 214, 147, 114},   {16384, 430, 297, 230},   {32768, 868, 597, 462},
                              {65536, 1747, 1199, 929}, {131072, 3523, 2411, 1866}};
constexpr Row kTable2018[] = {{1024, 27, 19, 14},      {2048, 54, 37, 29},       {4096, 109, 75, 58},
                              {8192, 218, 152, 118},   {16384, 438, 305, 237},   {32768, 881, 611, 476},
                              {65536, 1747, 1199, 929}, {131072, 3523, 2411, 1866}};

}  // namespace

int max_modulus_bits(uint64_t n, int level, SecurityStandard standard) {
  const Row* rows = standard == SecurityStandard::Guidelines2024 ? kTable2024 : kTable2018;
  for (int i = 0; i < 8; ++i) {
    if (rows[i].n != n) continue;
    switch (level) {
      case 128:
        return rows[i].b128;
      case 192:
        return rows[i].b192;
      case 256:
        return rows[i].b256;
      default:
        return -1;
    }
  }
  return -1;
}

SecurityStandard parse_security_standard(const std::string& name) {
  if (name == "2024") return SecurityStandard::Guidelines2024;
  if (name == "2018") return SecurityStandard::HEStandard2018;
  throw_parameter("security_standard", "name", "is unknown", "'2024' or '2018'", "'" + name + "'");
}

std::string security_standard_name(SecurityStandard s) {
  return s == SecurityStandard::Guidelines2024 ? "2024" : "2018";
}

}  // namespace ppml::rlwe
