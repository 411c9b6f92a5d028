import Foundation
import SluiceSupport
import SluiceYAML

/// Loads and validates pipeline files: the one entry point for `validate`, `dry-run`, `test` and `run`.
public enum PipelineLoader {
    /// The code of the diagnostic given when the file itself cannot be read (the CLI exits 2).
    public static let ioErrorCode = "io-error"

    /// Reads, decodes and validates the pipeline at `path`.
    ///
    /// The spec is nil when there is any error; warnings may come with a spec.
    public static func load(file path: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return (nil, [.error(ioErrorCode, "cannot read '\(path)': no such file", at: nil)])
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            let reason = isDirectory.boolValue ? "it is a directory" : "permission denied or unreadable"
            return (nil, [.error(ioErrorCode, "cannot read '\(path)': \(reason)", at: nil)])
        }
        let directory = (path as NSString).deletingLastPathComponent
        return load(bytes: Array(data), file: path, baseDirectory: directory.isEmpty ? "." : directory)
    }

    /// Decodes and validates pipeline text; `baseDirectory` resolves relative paths such as `source.schema`.
    public static func load(text: String, file: String, baseDirectory: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        decode(YAMLLoader.load(text, file: file), file: file, baseDirectory: baseDirectory)
    }

    /// Like `load(text:file:baseDirectory:)`, from raw bytes (invalid UTF-8 is reported).
    public static func load(bytes: [UInt8], file: String, baseDirectory: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        decode(YAMLLoader.load(bytes: bytes, file: file), file: file, baseDirectory: baseDirectory)
    }

    private static func decode(_ document: YAMLDocument, file: String, baseDirectory: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        var diagnostics = Diagnostics()
        diagnostics.emit(contentsOf: document.diagnostics)
        guard let root = document.root else {
            if !diagnostics.hasErrors {
                diagnostics.error(
                    "empty-file", "the file holds no pipeline: it needs at least 'pipeline', 'source' and 'sinks'",
                    at: SourceLocation(file: file, line: 1, column: 1))
            }
            return (nil, diagnostics.sorted)
        }
        var decoder = PipelineDecoder(file: file, baseDirectory: baseDirectory)
        let spec = decoder.decode(root)
        diagnostics.emit(contentsOf: decoder.diagnostics.all)
        return (diagnostics.hasErrors ? nil : spec, diagnostics.sorted)
    }
}
