# System libraries, all from Debian 12 packages (scripts/install-deps).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto SSL)
find_package(nlohmann_json 3.10 REQUIRED)
# hiredis (libhiredis-dev, 0.14 on Debian 12) for the Redis-backed cluster
# mode; driven asynchronously from Asio by relay/redis.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis>=0.14)
# SQLite (libsqlite3-dev) for the example application's storage (web/app).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3>=3.35)
