import ArgumentParser
import Foundation
import SluiceCore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check pipeline files and report every problem.",
        discussion: """
            Prints each problem as `PATH:LINE:COL: error: message [code]`, then a summary line. \
            Notes (`note:`) say how `run` will execute a valid pipeline, e.g. through a \
            repartition topic; they never fail the check. \
            Exits 0 when there are no errors, 1 when there are, 2 on usage errors or when a file \
            cannot be read.
            """)

    @Argument(help: "The pipeline files to check.")
    var files: [String] = []

    @Option(help: "Output format: text, json (an array of {file, line, column, severity, code, message}) or github (Actions annotations).")
    var format = "text"

    func run() throws {
        // Usage problems exit 2 like unreadable files, so CI scripts can tell them from invalid pipelines.
        guard let format = ValidationReport.Format(rawValue: format) else {
            try usageError("unknown format '\(format)': use text, json or github")
        }
        guard !files.isEmpty else { try usageError("no pipeline files given, e.g. sluice validate pipelines/*.yaml") }
        let report = ValidationReport(
            files: files.map { file in
                let (spec, diagnostics) = PipelineLoader.load(file: file)
                return (file, diagnostics + (spec.map(PipelineLoader.planNotes) ?? []))
            })
        print(report.render(format), terminator: "")
        if report.hasIOErrors { throw ExitCode(2) }
        if report.errorCount > 0 { throw ExitCode(1) }
    }

    private func usageError(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        throw ExitCode(2)
    }
}
