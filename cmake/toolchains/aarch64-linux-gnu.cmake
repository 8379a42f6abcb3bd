# Cross build for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu and
# the arm64 multiarch -dev packages (scripts/setup --target aarch64 sets this up).
# The Halide generators are not cross-compiled: they run on the build machine,
# imported from a host build (tailor-halide_generators_ROOT).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Tests and the CLI tests' tailor runs go through qemu's user-mode emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64 -L /usr/aarch64-linux-gnu)
