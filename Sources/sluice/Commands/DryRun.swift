import ArgumentParser
import Foundation
import SluiceCore
import SluiceSupport

struct DryRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Replay a recording through a pipeline and print what its sinks would receive.",
        discussion: """
            Reads a recording (JSON Lines of kcat -J envelopes; `-` reads standard input), runs it \
            through the pipeline on event time, and prints each produced record as one envelope \
            line on stdout, in emission order. End of input closes every open window. The output \
            is deterministic. A summary goes to stderr. Exits 1 when the pipeline is invalid or \
            the output differs from --expect, 2 when a file cannot be read.
            """)

    @Argument(help: "The pipeline file.")
    var pipeline: String

    @Option(name: .shortAndLong, help: "The recording to replay; `-` for standard input.")
    var input: String

    @Option(help: "A recording of the expected output: compared per topic, in order.")
    var expect: String?

    @Flag(help: "Show on stderr when windows open and close, and which records are late or errors.")
    var trace = false

    func run() throws {
        let (spec, diagnostics) = PipelineLoader.load(file: pipeline)
        for diagnostic in diagnostics { Output.error(Self.text(diagnostic, file: pipeline)) }
        guard let spec else { throw ExitCode(diagnostics.contains { $0.code == PipelineLoader.ioErrorCode } ? 2 : 1) }
        let plan: EnginePlan
        do {
            plan = try EnginePlan(spec: spec)
        } catch {
            for diagnostic in error.diagnostics { Output.error(Self.text(diagnostic, file: pipeline)) }
            throw ExitCode(1)
        }
        let bytes = try Self.read(input)
        let expected = try expect.map { ExpectDiff.read(try Self.read($0), file: $0, defaultTopic: nil) }

        let dryRun = DryRun(plan: plan, trace: trace)
        var stdout = Output.Buffered()
        var produced: [Record] = []
        let file = input == RecordingFile.standardInput ? "<stdin>" : input
        dryRun.replay(
            RecordingReader(bytes: bytes, file: file, defaultTopic: spec.source.topics.first),
            output: { record in
                stdout.write(record)
                if expected != nil { produced.append(record) }
            },
            trace: { Output.error("trace: \($0)") },
            badLine: { Output.error("\($0) (line skipped)") })
        stdout.flush()
        Output.error(dryRun.summary)

        guard let expected, let expectFile = expect else { return }
        for diagnostic in expected.diagnostics { Output.error(diagnostic.description) }
        let mismatches = ExpectDiff.compare(actual: produced, expected: expected.lines)
        if mismatches.isEmpty && expected.diagnostics.isEmpty {
            Output.error("output matches \(expectFile)")
            return
        }
        Output.error(ExpectDiff.render(mismatches, expectedFile: expectFile), newline: false)
        Output.error("output differs from \(expectFile): \(mismatches.count) difference\(mismatches.count == 1 ? "" : "s")")
        throw ExitCode(1)
    }

    /// A file's bytes, or exit 2 with the reason.
    static func read(_ path: String) throws -> [UInt8] {
        do {
            return try RecordingFile.read(path: path)
        } catch {
            Output.error("error: \(error.message) [\(error.code)]")
            throw ExitCode(2)
        }
    }

    static func text(_ diagnostic: Diagnostic, file: String) -> String {
        diagnostic.location == nil ? "\(file): \(diagnostic)" : diagnostic.description
    }
}

/// Writing to stdout in large chunks and to stderr line by line.
enum Output {
    static func error(_ text: String, newline: Bool = true) {
        FileHandle.standardError.write(Data((newline ? text + "\n" : text).utf8))
    }

    /// Envelope lines collected and written to stdout 64 KiB at a time.
    struct Buffered {
        private var bytes: [UInt8] = []

        mutating func write(_ record: Record) {
            record.writeEnvelope(into: &bytes)
            if bytes.count >= 1 << 16 { flush() }
        }

        mutating func flush() {
            guard !bytes.isEmpty else { return }
            FileHandle.standardOutput.write(Data(bytes))
            bytes.removeAll(keepingCapacity: true)
        }
    }
}
