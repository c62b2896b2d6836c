#include "crypto/secure_memory.hpp"

#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <atomic>
#include <cerrno>
#include <deque>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "crypto/random.hpp"

namespace qrlogin {

namespace {

std::atomic<std::uint64_t> g_guarded_secrets{0};
std::atomic<std::uint64_t> g_guarded_regions{0};
std::atomic<std::uint64_t> g_guarded_kept{0};
std::atomic<std::uint64_t> g_guarded_live{0};
std::atomic<std::uint64_t> g_guarded_peak{0};
std::atomic<std::uint64_t> g_not_locked{0};
std::atomic<std::uint64_t> g_heap_fallbacks{0};

std::atomic<bool> g_told_not_locked{false};
std::atomic<bool> g_told_heap_fallback{false};

void tell_once(std::atomic<bool>& told, const char* what, int error) {
  if (told.exchange(true)) return;
  std::fprintf(stderr, "qrlogin: warning: %s (%s)\n", what, std::strerror(error));
}

SecretMemory read_default() noexcept {
  const char* value = std::getenv("QRLOGIN_SECRET_MEMORY");
  if (value == nullptr || *value == '\0' || std::string_view(value) == "guarded") return SecretMemory::guarded;
  if (std::string_view(value) == "heap") return SecretMemory::heap;
  std::fprintf(stderr, "qrlogin: warning: QRLOGIN_SECRET_MEMORY=%s is neither guarded nor heap; using guarded\n", value);
  return SecretMemory::guarded;
}

void note_live(std::uint64_t live) noexcept {
  auto peak = g_guarded_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_guarded_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

// sodium_malloc locks its region but does not say whether that worked, so
// it is locked again here, to know. The system call itself: sanitizers
// replace mlock() with a no-op that reports success.
int lock(void* data, std::size_t size) noexcept {
#if defined(__linux__)
  return static_cast<int>(syscall(SYS_mlock, data, size));
#else
  return mlock(data, size);
#endif
}

// Freed guarded regions, kept for reuse: making a region maps and first
// touches fresh pages, which costs far more than the secret's whole use
// (docs/benchmarks.md, "Secret memory"). A kept region is wiped, stays
// guarded and locked, and is given again only for a secret of the same size
// (libsodium places the bytes at the end of the region, by size). It stays
// accessible: sodium_mprotect_noaccess while kept would make a use after
// free fault, but costs two mprotect calls and a page fault per reuse,
// most of a fresh region's cost (measured). The oldest is freed beyond
// kKeptRegions.
constexpr std::size_t kKeptRegions = 24;

struct KeptRegion {
  void* data;
  std::size_t size;
};

class KeptRegions {
 public:
  void* take(std::size_t size) noexcept {
    std::lock_guard lock(mutex_);
    for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {
      if (it->size != size) continue;
      void* data = it->data;
      kept_.erase(std::next(it).base());
      g_guarded_kept.fetch_sub(1, std::memory_order_relaxed);
      return data;
    }
    return nullptr;
  }

  void keep(void* data, std::size_t size) noexcept {
    sodium_memzero(data, size);
    void* evicted = nullptr;
    {
      std::lock_guard lock(mutex_);
      kept_.push_back({data, size});
      if (kept_.size() > kKeptRegions) {
        evicted = kept_.front().data;
        kept_.pop_front();
      }
      g_guarded_kept.store(kept_.size(), std::memory_order_relaxed);
    }
    if (evicted) sodium_free(evicted);  // checks the canary, unmaps
  }

 private:
  std::mutex mutex_;
  std::deque<KeptRegion> kept_;
};

KeptRegions& kept_regions() {
  static auto* kept = new KeptRegions;  // never destroyed: secrets may be freed during exit
  return *kept;
}

}  // namespace

SecretMemory default_secret_memory() noexcept {
  static const SecretMemory memory = read_default();
  return memory;
}

SecretMemoryStats secret_memory_stats() noexcept {
  return {g_guarded_secrets.load(), g_guarded_regions.load(), g_guarded_live.load(), g_guarded_peak.load(),
          g_guarded_kept.load(),    g_not_locked.load(),      g_heap_fallbacks.load()};
}

SecretRegion secret_region_allocate(std::size_t size, SecretMemory wanted) {
  if (size == 0) return {nullptr, wanted};
  if (wanted == SecretMemory::guarded) {
    ensure_sodium_initialised();
    if (void* data = kept_regions().take(size)) {
      g_guarded_secrets.fetch_add(1, std::memory_order_relaxed);
      note_live(g_guarded_live.fetch_add(1, std::memory_order_relaxed) + 1);
      return {static_cast<std::uint8_t*>(data), SecretMemory::guarded};  // wiped when it was kept
    }
    if (void* data = sodium_malloc(size)) {
      g_guarded_secrets.fetch_add(1, std::memory_order_relaxed);
      g_guarded_regions.fetch_add(1, std::memory_order_relaxed);
      note_live(g_guarded_live.fetch_add(1, std::memory_order_relaxed) + 1);
      if (lock(data, size) != 0) {
        g_not_locked.fetch_add(1, std::memory_order_relaxed);
        tell_once(g_told_not_locked,
                  "secrets cannot be locked in memory (mlock refused: raise RLIMIT_MEMLOCK, `ulimit -l`, or run "
                  "without swap); they stay guarded and are wiped, but may be written to swap",
                  errno);
      }
      std::memset(data, 0, size);  // sodium_malloc fills its regions with garbage
      return {static_cast<std::uint8_t*>(data), SecretMemory::guarded};
    }
    g_heap_fallbacks.fetch_add(1, std::memory_order_relaxed);
    tell_once(g_told_heap_fallback,
              "no guarded memory for secrets (sodium_malloc failed); they are kept in ordinary memory, wiped after use",
              errno);
  }
  return {new std::uint8_t[size](), SecretMemory::heap};
}

void secret_region_free(SecretRegion region, std::size_t size) noexcept {
  if (region.data == nullptr) return;
  if (region.where == SecretMemory::guarded) {
    g_guarded_live.fetch_sub(1, std::memory_order_relaxed);
    kept_regions().keep(region.data, size);  // wiped there
    return;
  }
  sodium_memzero(region.data, size);
  delete[] region.data;
}

}  // namespace qrlogin
