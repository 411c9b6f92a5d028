#ifndef SLUICE_FUZZER_DRIVER_H
#define SLUICE_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (in libclang_rt.fuzzer, linked by -sanitize=fuzzer): parses the libFuzzer
/// flags in argv and calls `callback` once per input. SwiftPM gives each executable a main of
/// its own, so the targets start libFuzzer through this rather than through libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
