#include "web/app/store.hpp"

#include <array>
#include <string_view>

namespace qrlogin::app {
namespace {

// Schema migrations: migration i brings user_version from i to i + 1. Add
// to the end, never edit one that has shipped.
constexpr std::array<const char*, 2> kMigrations = {
    R"sql(
CREATE TABLE accounts(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE devices(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  secret_hash BLOB NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('cookie', 'token')),
  name TEXT NOT NULL,
  added_by TEXT NOT NULL CHECK (added_by IN ('signup', 'password', 'qr')),
  approved_by INTEGER REFERENCES devices(id),
  created_at INTEGER NOT NULL,
  created_address TEXT NOT NULL,
  last_seen_at INTEGER NOT NULL,
  last_address TEXT NOT NULL,
  ended_at INTEGER,
  ended_why TEXT CHECK (ended_why IN ('logout', 'revoked', 'idle'))
);
CREATE INDEX devices_by_account ON devices(account_id);
CREATE TABLE pairings(
  cid TEXT PRIMARY KEY,
  registration_hash BLOB NOT NULL,
  address TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  redeemed_at INTEGER
);
CREATE TABLE grants(
  id INTEGER PRIMARY KEY,
  grant_hash BLOB NOT NULL UNIQUE,
  cid TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  approved_by INTEGER NOT NULL REFERENCES devices(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  device_id INTEGER REFERENCES devices(id)
);
)sql",
    // 2: the name a program declares for itself when it registers a code
    // (a CLI's host name), shown on the approving screen as declared.
    R"sql(
ALTER TABLE pairings ADD COLUMN declared_name TEXT NOT NULL DEFAULT '';
)sql",
};

// Each statement's text is a constant, so its address keys the cache.
#define QRLOGIN_DEVICE_SELECT(where)                                                                              \
  "SELECT d.id, d.account_id, a.name, d.kind, d.name, d.added_by, d.approved_by, coalesce(p.name, ''), "          \
  "d.created_at, d.created_address, d.last_seen_at, d.last_address, d.ended_at, coalesce(d.ended_why, '') "       \
  "FROM devices d JOIN accounts a ON a.id = d.account_id LEFT JOIN devices p ON p.id = d.approved_by " where

constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kFindAccount = "SELECT id, name, password_hash FROM accounts WHERE name = ?1";
constexpr const char* kInsertAccount = "INSERT INTO accounts(name, password_hash, created_at) VALUES (?1, ?2, ?3)";
constexpr const char* kInsertDevice =
    "INSERT INTO devices(account_id, secret_hash, kind, name, added_by, approved_by, created_at, created_address, "
    "last_seen_at, last_address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?8)";
constexpr const char* kDeviceBySecret = QRLOGIN_DEVICE_SELECT("WHERE d.secret_hash = ?1");
constexpr const char* kDeviceById = QRLOGIN_DEVICE_SELECT("WHERE d.id = ?1");
constexpr const char* kDevicesOfAccount =
    QRLOGIN_DEVICE_SELECT("WHERE d.account_id = ?1 AND d.ended_at IS NULL ORDER BY d.id");
constexpr const char* kRecentDevices = QRLOGIN_DEVICE_SELECT(
    "WHERE d.account_id = ?1 ORDER BY coalesce(d.ended_at, d.created_at) DESC, d.id DESC LIMIT ?2");
constexpr const char* kTouchDevice = "UPDATE devices SET last_seen_at = ?2, last_address = ?3 WHERE id = ?1";
constexpr const char* kEndDevice =
    "UPDATE devices SET ended_at = ?2, ended_why = ?3 WHERE id = ?1 AND ended_at IS NULL";
constexpr const char* kInsertPairing =
    "INSERT INTO pairings(cid, registration_hash, address, user_agent, created_at, expires_at, declared_name) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kFindPairing =
    "SELECT cid, registration_hash, address, user_agent, created_at, expires_at, redeemed_at, declared_name "
    "FROM pairings "
    "WHERE cid = ?1";
constexpr const char* kRedeemPairing = "UPDATE pairings SET redeemed_at = ?2 WHERE cid = ?1";
constexpr const char* kInsertGrant =
    "INSERT INTO grants(grant_hash, cid, account_id, approved_by, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kFindGrant =
    "SELECT id, cid, account_id, approved_by, created_at, expires_at, used_at FROM grants WHERE grant_hash = ?1";
constexpr const char* kUseGrant = "UPDATE grants SET used_at = ?2, device_id = ?3 WHERE id = ?1 AND used_at IS NULL";
constexpr const char* kPurgeGrants = "DELETE FROM grants WHERE expires_at < ?1";
constexpr const char* kPurgePairings = "DELETE FROM pairings WHERE expires_at < ?1";

}  // namespace

// One use of a prepared statement: bind, step, read; reset on destruction.
class Store::Query {
 public:
  explicit Query(sqlite3_stmt* statement) : s_(statement) {}
  ~Query() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::int64_t value) {
    sqlite3_bind_int64(s_, i, value);
    return *this;
  }
  Query& bind(int i, std::optional<std::int64_t> value) {
    if (value) sqlite3_bind_int64(s_, i, *value);
    else sqlite3_bind_null(s_, i);
    return *this;
  }
  Query& bind(int i, std::string_view text) {
    sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    return *this;
  }
  Query& bind(int i, ByteView blob) {
    sqlite3_bind_blob64(s_, i, blob.data(), blob.size(), SQLITE_STATIC);
    return *this;
  }
  int step() { return sqlite3_step(s_); }

  [[nodiscard]] std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int i) const {
    if (sqlite3_column_type(s_, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s_, i);
  }
  [[nodiscard]] std::string text(int i) const {
    const auto* p = sqlite3_column_text(s_, i);
    const auto n = sqlite3_column_bytes(s_, i);
    return p == nullptr ? std::string{} : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }
  [[nodiscard]] Bytes blob(int i) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, i));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, i));
    return p == nullptr ? Bytes{} : Bytes(p, p + n);
  }

 private:
  sqlite3_stmt* s_;
};

namespace {

DeviceRow read_device(const auto& q) {
  DeviceRow d;
  d.id = q.integer(0);
  d.account_id = q.integer(1);
  d.account_name = q.text(2);
  d.kind = q.text(3);
  d.name = q.text(4);
  d.added_by = q.text(5);
  d.approved_by = q.optional_integer(6);
  d.approved_by_name = q.text(7);
  d.created_at = q.integer(8);
  d.created_address = q.text(9);
  d.last_seen_at = q.integer(10);
  d.last_address = q.text(11);
  d.ended_at = q.optional_integer(12);
  d.ended_why = q.text(13);
  return d;
}

}  // namespace

Store::Store(sqlite3* db) : db_(db) {}

Store::~Store() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error(AppErrc::state_dir, "cannot open the database " + path + ": " + why);
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  const bool on_disk = path != ":memory:";
  for (const char* pragma : {"PRAGMA foreign_keys = ON", "PRAGMA synchronous = FULL"}) {
    if (auto status = store->exec(pragma, "configure"); !status.ok())
      return make_error(AppErrc::state_dir, "cannot use the database " + path + ": " + status.error().message);
  }
  if (on_disk) {
    if (auto status = store->exec("PRAGMA journal_mode = WAL", "configure"); !status.ok())
      return make_error(AppErrc::state_dir, "cannot use the database " + path + ": " + status.error().message);
  }
  if (auto status = store->migrate(); !status.ok())
    return make_error(AppErrc::state_dir, "cannot use the database " + path + ": " + status.error().message);
  return store;
}

Error Store::failure(int rc, const char* what) const {
  return make_error(AppErrc::storage_unavailable,
                    std::string("storage (") + what + "): " + sqlite3_errmsg(db_) + " [" + sqlite3_errstr(rc) + "]");
}

Status Store::exec(const char* sql, const char* what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return failure(rc, what);
  return {};
}

Result<sqlite3_stmt*> Store::prepare(const char* sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) return failure(rc, "prepare");
  statements_.emplace(sql, statement);
  return statement;
}

Status Store::migrate() {
  std::int64_t version = 0;
  {
    auto statement = prepare("PRAGMA user_version");
    if (!statement.ok()) return statement.error();
    Query q(*statement);
    const int rc = q.step();
    if (rc != SQLITE_ROW) return failure(rc, "user_version");
    version = q.integer(0);
  }
  if (version > static_cast<std::int64_t>(kMigrations.size()))
    return make_error(AppErrc::state_dir, "its schema (version " + std::to_string(version) +
                                              ") is newer than this program's (" +
                                              std::to_string(kMigrations.size()) + ")");
  for (auto i = static_cast<std::size_t>(version); i < kMigrations.size(); ++i) {
    if (auto s = exec("BEGIN IMMEDIATE", "migrate"); !s.ok()) return s;
    const std::string bump = "PRAGMA user_version = " + std::to_string(i + 1);
    Status step = exec(kMigrations[i], "migrate");
    if (step.ok()) step = exec(bump.c_str(), "migrate");
    if (step.ok()) step = exec("COMMIT", "migrate");
    if (!step.ok()) {
      (void)exec("ROLLBACK", "migrate");
      return step;
    }
  }
  return {};
}

Status Store::run(const std::function<Status()>& body) {
  std::lock_guard lock(mutex_);
  return body();
}

Status Store::transaction(const std::function<Status()>& body) {
  std::lock_guard lock(mutex_);
  auto step_one = [&](const char* sql, const char* what) -> Status {
    auto statement = prepare(sql);
    if (!statement.ok()) return statement.error();
    Query q(*statement);
    const int rc = q.step();
    if (rc != SQLITE_DONE) return failure(rc, what);
    return {};
  };
  if (auto s = step_one(kBegin, "begin"); !s.ok()) return s;
  Status result = body();
  if (result.ok()) result = step_one(kCommit, "commit");
  if (!result.ok() && sqlite3_get_autocommit(db_) == 0) (void)step_one(kRollback, "rollback");
  return result;
}

Status Store::execute_for_test(const std::string& sql) {
  std::lock_guard lock(mutex_);
  return exec(sql.c_str(), "test");
}

Result<std::optional<AccountRow>> Store::find_account(const std::string& name) {
  auto statement = prepare(kFindAccount);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, std::string_view(name));
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<AccountRow>{};
  if (rc != SQLITE_ROW) return failure(rc, "find account");
  return std::optional<AccountRow>(AccountRow{q.integer(0), q.text(1), q.text(2)});
}

Result<std::int64_t> Store::insert_account(const std::string& name, const std::string& password_hash,
                                           UnixMillis now) {
  auto statement = prepare(kInsertAccount);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, std::string_view(name)).bind(2, std::string_view(password_hash)).bind(3, std::int64_t{now});
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT_UNIQUE) return make_error(AppErrc::name_taken, "this name is taken");
  if (rc != SQLITE_DONE) return failure(rc, "insert account");
  return std::int64_t{sqlite3_last_insert_rowid(db_)};
}

Result<std::int64_t> Store::insert_device(const NewDevice& device) {
  auto statement = prepare(kInsertDevice);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, device.account_id)
      .bind(2, ByteView(device.secret_hash))
      .bind(3, std::string_view(device.kind))
      .bind(4, std::string_view(device.name))
      .bind(5, std::string_view(device.added_by))
      .bind(6, device.approved_by)
      .bind(7, std::int64_t{device.now})
      .bind(8, std::string_view(device.address));
  const int rc = q.step();
  if (rc != SQLITE_DONE) return failure(rc, "insert device");
  return std::int64_t{sqlite3_last_insert_rowid(db_)};
}

Result<DeviceRow> Store::add_device(const NewDevice& device) {
  auto id = insert_device(device);
  if (!id.ok()) return id.error();
  auto row = find_device(*id);
  if (!row.ok()) return row.error();
  if (!*row) return failure(SQLITE_NOTFOUND, "read back a new device");
  return std::move(**row);
}

Result<std::optional<DeviceRow>> Store::find_device_by_secret(const Sha256Digest& hash) {
  auto statement = prepare(kDeviceBySecret);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, ByteView(hash));
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<DeviceRow>{};
  if (rc != SQLITE_ROW) return failure(rc, "find device");
  return std::optional<DeviceRow>(read_device(q));
}

Result<std::optional<DeviceRow>> Store::find_device(std::int64_t id) {
  auto statement = prepare(kDeviceById);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, id);
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<DeviceRow>{};
  if (rc != SQLITE_ROW) return failure(rc, "find device");
  return std::optional<DeviceRow>(read_device(q));
}

Status Store::touch_device(std::int64_t id, UnixMillis now, const std::string& address) {
  auto statement = prepare(kTouchDevice);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, id).bind(2, std::int64_t{now}).bind(3, std::string_view(address));
  const int rc = q.step();
  if (rc != SQLITE_DONE) return failure(rc, "touch device");
  return {};
}

Status Store::end_device(std::int64_t id, UnixMillis now, const std::string& why) {
  auto statement = prepare(kEndDevice);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, id).bind(2, std::int64_t{now}).bind(3, std::string_view(why));
  const int rc = q.step();
  if (rc != SQLITE_DONE) return failure(rc, "end device");
  return {};
}

Result<std::vector<DeviceRow>> Store::list_devices(std::int64_t account_id) {
  auto statement = prepare(kDevicesOfAccount);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, account_id);
  std::vector<DeviceRow> devices;
  for (;;) {
    const int rc = q.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return failure(rc, "list devices");
    devices.push_back(read_device(q));
  }
  return devices;
}

Result<std::vector<DeviceRow>> Store::recent_devices(std::int64_t account_id, std::int64_t limit) {
  auto statement = prepare(kRecentDevices);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, account_id).bind(2, limit);
  std::vector<DeviceRow> devices;
  for (;;) {
    const int rc = q.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return failure(rc, "recent devices");
    devices.push_back(read_device(q));
  }
  return devices;
}

Status Store::insert_pairing(const PairingRow& pairing) {
  auto statement = prepare(kInsertPairing);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, std::string_view(pairing.cid))
      .bind(2, ByteView(pairing.registration_hash))
      .bind(3, std::string_view(pairing.address))
      .bind(4, std::string_view(pairing.user_agent))
      .bind(5, std::int64_t{pairing.created_at})
      .bind(6, std::int64_t{pairing.expires_at})
      .bind(7, std::string_view(pairing.declared_name));
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
    return make_error(AppErrc::cid_registered, "this channel id was registered before");
  if (rc != SQLITE_DONE) return failure(rc, "insert pairing");
  return {};
}

Result<std::optional<PairingRow>> Store::find_pairing(const std::string& cid) {
  auto statement = prepare(kFindPairing);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, std::string_view(cid));
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<PairingRow>{};
  if (rc != SQLITE_ROW) return failure(rc, "find pairing");
  return std::optional<PairingRow>(
      PairingRow{q.text(0), q.blob(1), q.text(2), q.text(3), q.integer(4), q.integer(5), q.optional_integer(6),
                 q.text(7)});
}

Status Store::mark_pairing_redeemed(const std::string& cid, UnixMillis now) {
  auto statement = prepare(kRedeemPairing);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, std::string_view(cid)).bind(2, std::int64_t{now});
  const int rc = q.step();
  if (rc != SQLITE_DONE) return failure(rc, "redeem pairing");
  return {};
}

Status Store::insert_grant(const Sha256Digest& hash, const GrantRow& grant) {
  auto statement = prepare(kInsertGrant);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, ByteView(hash))
      .bind(2, std::string_view(grant.cid))
      .bind(3, grant.account_id)
      .bind(4, grant.approved_by)
      .bind(5, std::int64_t{grant.created_at})
      .bind(6, std::int64_t{grant.expires_at});
  const int rc = q.step();
  if (rc != SQLITE_DONE) return failure(rc, "insert grant");
  return {};
}

Result<std::optional<GrantRow>> Store::find_grant(const Sha256Digest& hash) {
  auto statement = prepare(kFindGrant);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, ByteView(hash));
  const int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<GrantRow>{};
  if (rc != SQLITE_ROW) return failure(rc, "find grant");
  return std::optional<GrantRow>(
      GrantRow{q.integer(0), q.text(1), q.integer(2), q.integer(3), q.integer(4), q.integer(5), q.optional_integer(6)});
}

Status Store::mark_grant_used(std::int64_t id, UnixMillis now, std::int64_t device_id) {
  auto statement = prepare(kUseGrant);
  if (!statement.ok()) return statement.error();
  Query q(*statement);
  q.bind(1, id).bind(2, std::int64_t{now}).bind(3, device_id);
  const int rc = q.step();
  if (rc != SQLITE_DONE) return failure(rc, "use grant");
  if (sqlite3_changes(db_) != 1) return make_error(AppErrc::grant_used, "this grant was already used");
  return {};
}

Status Store::purge(UnixMillis before) {
  for (const char* sql : {kPurgeGrants, kPurgePairings}) {
    auto statement = prepare(sql);
    if (!statement.ok()) return statement.error();
    Query q(*statement);
    q.bind(1, std::int64_t{before});
    const int rc = q.step();
    if (rc != SQLITE_DONE) return failure(rc, "purge");
  }
  return {};
}

}  // namespace qrlogin::app
