# CPack's DEB generator: one .deb per install component (scripts/package
# runs cpack; docs/deploy.md says why CPack rather than debhelper).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME qrlogin)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "qrlogin")
# Each package's Description is its own (CPACK_DEBIAN_<COMPONENT>_DESCRIPTION:
# the summary line, then the text). The summary is left at CPack's default,
# which the DEB generator does not put in front of them.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_CONTACT "qrlogin maintainers <qrlogin@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/debs)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/cpack)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL relay cli app dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps turns the programs' shared libraries into Depends on
# Debian's packages (libsodium23, libssl3, libsqlite3-0, libhiredis0.14, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Files under /etc are in each package's conffiles; the rest owned root:root
# with the modes cmake --install gave them.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(qrlogin_control ${CMAKE_CURRENT_BINARY_DIR}/control)

set(CPACK_DEBIAN_RELAY_PACKAGE_NAME qrlogin-relay)
set(CPACK_DEBIAN_RELAY_PACKAGE_SECTION net)
set(CPACK_DEBIAN_RELAY_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_RELAY_DESCRIPTION "qrlogin's blind WebSocket relay
qrlogin logs a new device in with a QR code, end to end encrypted. The
relay pairs the two devices of a login on a channel and forwards their
encrypted frames without being able to read them.

This package runs it as the qrlogin-relay service (systemd, its own system
user, hardened), configured in /etc/qrlogin/relay.env.")
set(CPACK_DEBIAN_RELAY_PACKAGE_CONTROL_EXTRA
  ${qrlogin_control}/relay/postinst ${qrlogin_control}/relay/prerm ${qrlogin_control}/relay/postrm
  ${qrlogin_control}/relay/conffiles)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME qrlogin)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_CLI_DESCRIPTION "log a headless machine in with a QR code (qrlogin CLI)
qrlogin logs a new device in with a QR code, end to end encrypted.
`qrlogin receive` shows a terminal QR code on a server and writes the
credential a logged-in device sends; `qrlogin send` sends one.")

set(CPACK_DEBIAN_APP_PACKAGE_NAME qrlogin-app)
set(CPACK_DEBIAN_APP_PACKAGE_SECTION web)
set(CPACK_DEBIAN_APP_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_APP_PACKAGE_RECOMMENDS "qrlogin-relay")
set(CPACK_DEBIAN_APP_DESCRIPTION "qrlogin's example application (accounts, QR login)
qrlogin logs a new device in with a QR code, end to end encrypted. This
example application keeps accounts, sessions and devices in SQLite, serves
the desktop and phone pages, and turns a confirmed pairing into a
single-use login grant.

This package runs it as the qrlogin-app service (systemd, its own system
user, state in /var/lib/qrlogin-app), configured in /etc/qrlogin/app.env.")
set(CPACK_DEBIAN_APP_PACKAGE_CONTROL_EXTRA
  ${qrlogin_control}/app/postinst ${qrlogin_control}/app/prerm ${qrlogin_control}/app/postrm
  ${qrlogin_control}/app/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libqrlogin-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Static libraries: what they link is the integrator's to install.
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libsodium-dev (>= 1.0.18), libssl-dev (>= 3.0), nlohmann-json3-dev (>= 3.10)")
set(CPACK_DEBIAN_DEV_DESCRIPTION "qrlogin's C++ pairing library (static, headers, CMake and pkg-config)
qrlogin logs a new device in with a QR code, end to end encrypted. This
package holds qrlogin::crypto (X25519, HKDF, AES-GCM, HPKE) and
qrlogin::pairing (the link, the two sans-IO pairing state machines) as
static libraries with their public headers, for find_package(qrlogin) or
pkg-config qrlogin.")

include(CPack)
