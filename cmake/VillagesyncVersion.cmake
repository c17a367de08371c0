# VILLAGESYNC_VERSION_STRING: what `--version` prints, e.g.
# "0.3.0 (git 3497bb1-dirty, RelWithDebInfo)": the project version, `git
# describe` of the source tree when it is a git checkout (read at configure
# time), and the build type. Programs get it as a compile definition.
set(_git "no git")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} describe --always --dirty --tags
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE _describe OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _result ERROR_QUIET)
  if(_result EQUAL 0)
    set(_git "git ${_describe}")
  endif()
endif()
set(VILLAGESYNC_VERSION_STRING
    "${PROJECT_VERSION} (${_git}, ${CMAKE_BUILD_TYPE})")
