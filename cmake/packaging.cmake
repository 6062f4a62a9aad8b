# Install rules and the Debian package (CPack) of the relocatable release build; included from
# CMakeLists.txt when SAFEMIGRATE_RELOCATABLE is ON. scripts/package.sh drives it.

# Shared libraries that cannot be linked statically are looked for beside the binary: lib/ next
# to it in the npm and Python packages (scripts/bundle_libs.sh fills it), and
# /usr/lib/safemigrate in the .deb. CMake rewrites the run path from one to the other at install.
set_target_properties(safemigrate PROPERTIES BUILD_RPATH "\$ORIGIN/lib" INSTALL_RPATH "\$ORIGIN/../lib/safemigrate")

install(TARGETS safemigrate RUNTIME DESTINATION bin)
# Debian 12 ships simdjson as libsimdjson14 and Debian 13 under another soname, with no .a in
# either: the package carries its own copy instead of depending on a package name that exists in
# only one of them.
install(IMPORTED_RUNTIME_ARTIFACTS simdjson::simdjson LIBRARY DESTINATION lib/safemigrate)
install(FILES ${PROJECT_SOURCE_DIR}/adapters/django/export_plan.py DESTINATION share/safemigrate)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/safemigrate)
# Licence: Debian's machine-readable copyright file, the licence text, and the notices of the
# libraries the binary carries (scripts/package.sh writes them with third_party_notices.sh before
# it runs CPack).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${PROJECT_SOURCE_DIR}/LICENSE
              ${PROJECT_BINARY_DIR}/THIRD-PARTY-NOTICES.txt DESTINATION share/doc/safemigrate)
# The man page, made from the built program's own --help (scripts/make_manpage.sh).
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/safemigrate.1.gz
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/make_manpage.sh $<TARGET_FILE:safemigrate> ${PROJECT_BINARY_DIR}/safemigrate.1
  COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/safemigrate.1
  DEPENDS safemigrate ${PROJECT_SOURCE_DIR}/scripts/make_manpage.sh
  VERBATIM)
add_custom_target(sm_manpage ALL DEPENDS ${PROJECT_BINARY_DIR}/safemigrate.1.gz)
install(FILES ${PROJECT_BINARY_DIR}/safemigrate.1.gz DESTINATION share/man/man1)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/safemigrate/docs FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME safemigrate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "checks Prisma and Django migrations for PostgreSQL before they are merged")
set(CPACK_PACKAGE_DESCRIPTION
    "safemigrate parses every migration statement with PostgreSQL's own parser, works out the locks, rewrites and scans it causes, and runs a checklist of migration-safety rules over them. It also shows, verifies and applies migrations in Prisma's and Django's own history tables.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "safemigrate developers")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Explicit rather than dpkg-shlibdeps: its names (libssl3, libsimdjson14) exist in Debian 12 only.
# These exist in Debian 12 and 13; libpq5 brings libssl and the rest of libpq's own dependencies.
# libc6 and libstdc++6: the newest symbol versions the binary uses (GLIBC_2.34, GLIBCXX_3.4.29).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34), libgcc-s1, libstdc++6 (>= 11), libpq5")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3")

include(CPack)
