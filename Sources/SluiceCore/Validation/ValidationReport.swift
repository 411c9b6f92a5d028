import SluiceSupport

/// The diagnostics of several checked files, rendered for people, machines or GitHub Actions.
public struct ValidationReport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text, json, github
    }

    /// Each file with its diagnostics, in the order the files were given.
    public var files: [(file: String, diagnostics: [Diagnostic])]

    public init(files: [(file: String, diagnostics: [Diagnostic])]) {
        self.files = files
    }

    public var errorCount: Int { files.reduce(0) { $0 + $1.diagnostics.filter { $0.severity == .error }.count } }
    public var warningCount: Int { files.reduce(0) { $0 + $1.diagnostics.filter { $0.severity == .warning }.count } }
    /// True when a file could not be read at all (the CLI exits 2).
    public var hasIOErrors: Bool {
        files.contains { $0.diagnostics.contains { $0.code == PipelineLoader.ioErrorCode } }
    }

    /// The whole report, ending with a newline.
    public func render(_ format: Format) -> String {
        switch format {
        case .text: return lines { Self.text($0, file: $1) } + summary + "\n"
        case .github: return lines { Self.github($0, file: $1) } + summary + "\n"
        case .json: return json + "\n"
        }
    }

    /// `pipelines/x.yaml: ok`, or `2 files checked: 3 errors, 1 warning`.
    public var summary: String {
        let counts = [Self.count(errorCount, "error"), Self.count(warningCount, "warning")]
            .compactMap { $0 }.joined(separator: ", ")
        if files.count == 1, let only = files.first {
            return "\(only.file): \(counts.isEmpty ? "ok" : counts)"
        }
        return "\(Self.count(files.count, "file") ?? "0 files") checked: \(counts.isEmpty ? "ok" : counts)"
    }

    private func lines(_ render: (Diagnostic, String) -> String) -> String {
        files.map { entry in entry.diagnostics.map { render($0, entry.file) + "\n" }.joined() }.joined()
    }

    /// `PATH:LINE:COL: error: message [code]`.
    static func text(_ diagnostic: Diagnostic, file: String) -> String {
        diagnostic.location == nil ? "\(file): \(diagnostic)" : diagnostic.description
    }

    /// `::error file=F,line=L,col=C::message [code]`, escaped as GitHub Actions expects.
    static func github(_ diagnostic: Diagnostic, file: String) -> String {
        let command = diagnostic.severity == .error ? "error" : diagnostic.severity == .warning ? "warning" : "notice"
        var properties = "file=\(escapeProperty(diagnostic.location?.file ?? file))"
        if let location = diagnostic.location {
            properties += ",line=\(location.line),col=\(location.column)"
        }
        return "::\(command) \(properties)::\(escapeData(diagnostic.message + " [\(diagnostic.code)]"))"
    }

    private var json: String {
        var items: [Value] = []
        for entry in files {
            for diagnostic in entry.diagnostics {
                let line = diagnostic.location.map { Value.int(Int64($0.line)) } ?? .null
                let column = diagnostic.location.map { Value.int(Int64($0.column)) } ?? .null
                items.append(.object([
                    "file": .string(diagnostic.location?.file ?? entry.file), "line": line, "column": column,
                    "severity": .string(diagnostic.severity.rawValue), "code": .string(diagnostic.code),
                    "message": .string(diagnostic.message),
                ]))
            }
        }
        return PrettyJSON.text(.array(items))
    }

    private static func count(_ n: Int, _ noun: String) -> String? {
        n == 0 ? nil : "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    private static func escapeData(_ text: String) -> String {
        text.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    private static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
