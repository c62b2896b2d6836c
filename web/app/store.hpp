#pragma once
// The storage layer: every SQL statement of the application, on one SQLite
// connection (WAL, synchronous=FULL, a busy timeout, foreign keys), with
// the schema migrated by PRAGMA user_version at open. Statements are
// prepared once, parameters always bound.
//
// Access goes through run() (reads) or transaction() (BEGIN IMMEDIATE ...
// COMMIT, rolled back when the body fails): both hold the store's mutex, so
// one connection serves every I/O thread, and the row methods below may be
// called only inside them. A failed write (read-only file, disk full, I/O
// error) is storage_unavailable, with SQLite's reason in the message; a
// transaction that fails leaves no row behind.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "web/app/clock.hpp"
#include "web/app/error.hpp"

namespace qrlogin::app {

struct AccountRow {
  std::int64_t id = 0;
  std::string name;
  std::string password_hash;
};

// A device is one logged-in browser or CLI: one session id (kind "cookie")
// or device token (kind "token"), whose SHA-256 is secret_hash.
struct NewDevice {
  std::int64_t account_id = 0;
  Sha256Digest secret_hash{};
  std::string kind;      // "cookie" | "token"
  std::string name;
  std::string added_by;  // "signup" | "password" | "qr"
  std::optional<std::int64_t> approved_by;
  UnixMillis now = 0;
  std::string address;
};

struct DeviceRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string account_name;
  std::string kind;
  std::string name;
  std::string added_by;
  std::optional<std::int64_t> approved_by;
  std::string approved_by_name;
  UnixMillis created_at = 0;
  std::string created_address;
  UnixMillis last_seen_at = 0;
  std::string last_address;
  std::optional<UnixMillis> ended_at;
  std::string ended_why;  // "logout" | "revoked" | "idle" once ended
};

struct PairingRow {
  std::string cid;
  Bytes registration_hash;
  std::string address;
  std::string user_agent;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;
  std::optional<UnixMillis> redeemed_at;
  std::string declared_name;  // what a program called itself; "" for a browser
};

struct GrantRow {
  std::int64_t id = 0;
  std::string cid;
  std::int64_t account_id = 0;
  std::int64_t approved_by = 0;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;
  std::optional<UnixMillis> used_at;
};

class Store {
 public:
  // ":memory:" keeps everything in this process (benchmarks, trying out).
  // Errors: state_dir with SQLite's reason (cannot open, not a database,
  // a schema newer than this program).
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Status run(const std::function<Status()>& body);
  Status transaction(const std::function<Status()>& body);

  // --- Row methods: only inside run() or transaction(). ---
  Result<std::optional<AccountRow>> find_account(const std::string& name);
  // Errors: name_taken.
  Result<std::int64_t> insert_account(const std::string& name, const std::string& password_hash, UnixMillis now);

  Result<std::int64_t> insert_device(const NewDevice& device);
  // insert_device, then the new device's row as stored.
  Result<DeviceRow> add_device(const NewDevice& device);
  Result<std::optional<DeviceRow>> find_device_by_secret(const Sha256Digest& hash);
  Result<std::optional<DeviceRow>> find_device(std::int64_t id);
  Status touch_device(std::int64_t id, UnixMillis now, const std::string& address);
  Status end_device(std::int64_t id, UnixMillis now, const std::string& why);
  // The account's devices that have not ended, oldest first.
  Result<std::vector<DeviceRow>> list_devices(std::int64_t account_id);
  // The account's devices, ended ones too, most recently added or ended first.
  Result<std::vector<DeviceRow>> recent_devices(std::int64_t account_id, std::int64_t limit);

  // Errors: cid_registered.
  Status insert_pairing(const PairingRow& pairing);
  Result<std::optional<PairingRow>> find_pairing(const std::string& cid);
  Status mark_pairing_redeemed(const std::string& cid, UnixMillis now);

  Status insert_grant(const Sha256Digest& hash, const GrantRow& grant);
  Result<std::optional<GrantRow>> find_grant(const Sha256Digest& hash);
  Status mark_grant_used(std::int64_t id, UnixMillis now, std::int64_t device_id);

  // Forgets pairings and grants that ended before `before`.
  Status purge(UnixMillis before);

  // Tests only: runs `sql` as is (to make the connection read-only with
  // PRAGMA query_only, or full with PRAGMA max_page_count).
  Status execute_for_test(const std::string& sql);

 private:
  class Query;
  explicit Store(sqlite3* db);
  Status migrate();
  Status exec(const char* sql, const char* what);
  Result<sqlite3_stmt*> prepare(const char* sql);
  Error failure(int rc, const char* what) const;

  sqlite3* db_;
  std::mutex mutex_;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace qrlogin::app
