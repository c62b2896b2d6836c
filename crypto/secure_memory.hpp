#pragma once
// Where a Secret's bytes live (docs/threat-model.md, "Secrets in memory").
//
// guarded: libsodium's sodium_malloc. A page-rounded region between two
//   inaccessible guard pages (an overrun past the end faults at once; a
//   canary before the start is checked on free), locked with mlock (kept
//   out of swap), excluded from core dumps, wiped and unmapped on free.
//   A region costs four or more pages of address space, four memory
//   mappings, two resident pages and one locked page, and making one maps
//   and first touches fresh pages, which costs far more than a secret's
//   whole use (docs/benchmarks.md, "Secret memory"). So a freed region is
//   wiped and kept, still guarded and locked, for the next secret of the
//   same size: at most 24 of them.
// heap: the ordinary heap, wiped on free: for many short-lived secrets of
//   little worth where those costs matter (the relay's resume tokens).
//
// When a guarded region cannot be had, the secret is still made (never an
// error): sodium_malloc failing (address space) gives wiped heap memory,
// mlock failing (RLIMIT_MEMLOCK) a guarded but unlocked region. Each is
// counted (secret_memory_stats) and reported once per process on stderr.
#include <cstddef>
#include <cstdint>

namespace qrlogin {

enum class SecretMemory : std::uint8_t { guarded, heap };

// The process's default, read once: guarded, unless the environment says
// QRLOGIN_SECRET_MEMORY=heap (for a host where guarded regions cost too
// much; the benchmark's baseline).
[[nodiscard]] SecretMemory default_secret_memory() noexcept;

struct SecretMemoryStats {
  std::uint64_t guarded_secrets = 0;  // secrets ever given guarded memory
  std::uint64_t guarded_regions = 0;  // guarded regions ever made for them (the rest reused a kept one)
  std::uint64_t guarded_live = 0;     // guarded secrets not yet freed
  std::uint64_t guarded_peak = 0;     // the most live at once
  std::uint64_t guarded_kept = 0;     // freed regions kept for reuse now
  std::uint64_t not_locked = 0;       // regions made whose mlock was refused
  std::uint64_t heap_fallbacks = 0;   // guarded was asked for, heap was given
};
[[nodiscard]] SecretMemoryStats secret_memory_stats() noexcept;

// For Secret: size bytes, zero-filled, where `wanted` says if it can be had
// (`where` says where they are). Throws std::bad_alloc only when the heap,
// too, has no memory (as new does).
struct SecretRegion {
  std::uint8_t* data = nullptr;
  SecretMemory where = SecretMemory::heap;
};
[[nodiscard]] SecretRegion secret_region_allocate(std::size_t size, SecretMemory wanted);
// Wipes and frees.
void secret_region_free(SecretRegion region, std::size_t size) noexcept;

}  // namespace qrlogin
