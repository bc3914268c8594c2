# `cmake --install`: the library, its headers, the CMake package (find_package(Codeyard), target
# Codeyard::codeyard), a pkg-config file, and the programs (server, CLI, pod init, harness).
# The local executor finds codeyard-pod beside the program that embeds the library, through
# CODEYARD_POD_BINARY, the executor URI's pod_binary=, or at the path it was built at.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS codeyard EXPORT CodeyardTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/codeyard DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT CodeyardTargets NAMESPACE Codeyard::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Codeyard)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/CodeyardConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/CodeyardConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Codeyard)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/CodeyardConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/CodeyardConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/CodeyardConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Codeyard)
# The prefix relative to the .pc file, so an install moved or made with --prefix still works.
file(RELATIVE_PATH CODEYARD_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/codeyard.pc.in ${CMAKE_CURRENT_BINARY_DIR}/codeyard.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/codeyard.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(TARGETS codeyard-pod codeyard_server codeyard_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
