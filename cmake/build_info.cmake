# Writes build_info.h at every build (not only at configure), so a result document names the
# commit the binary was built from. configure_file leaves the file alone when nothing changed.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${PB_SOURCE_DIR}
                OUTPUT_VARIABLE PB_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT PB_GIT_COMMIT)
  set(PB_GIT_COMMIT "unknown")
endif()
configure_file(${PB_SOURCE_DIR}/harness/build_info.h.in ${PB_OUTPUT} @ONLY)
