# Run at every build (not only at configure time) so that `safemigrate --version` names the commit
# that was built. configure_file rewrites OUT only when its text changes, so a build at the same
# commit recompiles and relinks nothing.
# In: SOURCE_DIR, TEMPLATE, OUT, and COMMIT (optional: a source tree without .git, e.g. a tarball).
if(NOT COMMIT)
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=7 HEAD
                  OUTPUT_VARIABLE COMMIT RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT rc EQUAL 0 OR COMMIT STREQUAL "")
    set(COMMIT unknown)
  else()
    # Tracked files that differ from HEAD: the binary is not exactly that commit.
    execute_process(COMMAND git -C "${SOURCE_DIR}" diff --quiet HEAD -- RESULT_VARIABLE dirty ERROR_QUIET)
    if(dirty EQUAL 1)
      string(APPEND COMMIT "-dirty")
    endif()
  endif()
endif()
configure_file("${TEMPLATE}" "${OUT}" @ONLY)
