#include "he/ckks/release_count.hpp"

#include <map>
#include <mutex>
#include <string>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

#include "common/errors.hpp"

namespace ppml::ckks {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::pair<uint64_t, uint64_t>, ReleaseCount> counts;
};

Registry& registry() {
  static Registry* const r = [] {
    auto* created = new Registry();
#if defined(__unix__) || defined(__APPLE__)
    // A fork while another thread holds the lock must not leave the child's locked.
    pthread_atfork([] { registry().mutex.lock(); }, [] { registry().mutex.unlock(); },
                   [] { registry().mutex.unlock(); });
#endif
    return created;
  }();
  return *r;
}

}  // namespace

ReleaseCount release_count(uint64_t fingerprint, uint64_t key_id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.counts.find({fingerprint, key_id});
  return it == r.counts.end() ? ReleaseCount{} : it->second;
}

ReleaseCount raise_release_count(uint64_t fingerprint, uint64_t key_id, uint64_t made, uint64_t limit) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  ReleaseCount& c = r.counts[{fingerprint, key_id}];
  if (made > c.made) c.made = made;
  if (c.limit == 0) c.limit = limit;
  return c;
}

void claim_release(const char* api, uint64_t fingerprint, uint64_t key_id, uint64_t max_releases) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  ReleaseCount& c = r.counts[{fingerprint, key_id}];
  if (c.limit != 0 && max_releases != c.limit)
    throw_parameter(api, "max_releases", "differs from the first release under this key", std::to_string(c.limit),
                    max_releases);
  if (c.made >= max_releases)
    throw_parameter(api, "this key", "has used its releases",
                    "at most max_releases = " + std::to_string(max_releases) + " (new keys for more)",
                    "release number " + std::to_string(c.made + 1));
  c.limit = max_releases;
  ++c.made;
}

}  // namespace ppml::ckks
