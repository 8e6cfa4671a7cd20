// The flooded releases made under each secret key in this process (decrypt_for_release's
// tau), shared by every caller that holds the key: Python Contexts and their views, a
// re-import of the exported key, a second load of a saved owner, and the C ABI. Keyed by
// (parameters fingerprint, key id); key ids are 64 random bits from the CSPRNG and a key
// is imported only when it matches its public key.
#pragma once

#include <cstdint>

namespace ppml::ckks {

struct ReleaseCount {
  uint64_t made = 0;
  uint64_t limit = 0;  // the max_releases of the first release; 0 before it
};

// The key's count (zero for a key that has released nothing).
ReleaseCount release_count(uint64_t fingerprint, uint64_t key_id);
// Raises the key's count to at least `made`, and sets its limit when it has none (a count
// stored with the key, as the owner's file keeps it): never lowers one.
ReleaseCount raise_release_count(uint64_t fingerprint, uint64_t key_id, uint64_t made, uint64_t limit);
// Counts one release planned for max_releases, or throws ParameterError (api `api`):
// another max_releases than the first release's, or the key's releases used up. Check and
// count are one step, so threads sharing the key cannot pass the limit together.
void claim_release(const char* api, uint64_t fingerprint, uint64_t key_id, uint64_t max_releases);

}  // namespace ppml::ckks
