#if canImport(Glibc)
import Glibc
#endif
import FuzzerDriver

// Hands control to libFuzzer, which reads its flags from the command line and calls
// `LLVMFuzzerTestOneInput` (fuzzExpression) for every input.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzExpression))
