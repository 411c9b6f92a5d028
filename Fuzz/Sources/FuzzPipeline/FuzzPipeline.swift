import SluiceCore
import SluiceSupport

/// libFuzzer entry: the bytes are a pipeline file, loaded and validated as `sluice validate` does.
///
/// Any outcome is fine except a crash, a hang or a spec without diagnostics explaining its absence.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPipeline(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    // The base directory holds no schema files, so `schema:` paths resolve to nothing readable.
    let (spec, diagnostics) = PipelineLoader.load(bytes: bytes, file: "fuzz.yaml", baseDirectory: "/nonexistent-sluice-fuzz")
    if spec == nil && !diagnostics.contains(where: { $0.severity == .error }) {
        fatalError("no spec and no error for \(bytes.count) bytes")
    }
    if spec != nil && diagnostics.contains(where: { $0.severity == .error }) {
        fatalError("a spec came back together with errors")
    }
    for diagnostic in diagnostics { checkDiagnostic(diagnostic) }
    return 0
}

/// Codes are kebab-case, messages present, locations inside the file that was read.
func checkDiagnostic(_ diagnostic: Diagnostic) {
    if diagnostic.code.isEmpty || diagnostic.code.contains(where: { !($0.isLowercase || $0.isNumber || $0 == "-") }) {
        fatalError("bad diagnostic code '\(diagnostic.code)'")
    }
    if diagnostic.message.isEmpty { fatalError("empty message for \(diagnostic.code)") }
    if let location = diagnostic.location, location.line < 1 || location.column < 1 {
        fatalError("bad location \(location) for \(diagnostic.code)")
    }
}
