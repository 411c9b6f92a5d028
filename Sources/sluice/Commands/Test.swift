import ArgumentParser
import Foundation
import SluiceCore

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the inline tests (`tests:`) of pipeline files.",
        discussion: """
            Feeds each test's input through the engine (end of input closes every window) and \
            compares what each topic received with `expect`, in order. Prints `PASS file: name` or \
            `FAIL file:line: name` with the first difference, then `N passed, M failed`. Exits 1 \
            when a test fails or a pipeline is invalid, 2 when a file cannot be read.
            """)

    @Argument(help: "Pipeline files (default: pipelines/*.yaml).")
    var files: [String] = []

    func run() throws {
        let files = self.files.isEmpty ? Self.defaultFiles() : self.files
        var passed = 0, failed = 0, invalid = false, unreadable = false
        for file in files {
            let (spec, diagnostics) = PipelineLoader.load(file: file)
            guard let spec else {
                for diagnostic in diagnostics { print(diagnostic.location == nil ? "\(file): \(diagnostic)" : "\(diagnostic)") }
                unreadable = unreadable || diagnostics.contains { $0.code == PipelineLoader.ioErrorCode }
                invalid = true
                continue
            }
            for outcome in TestRunner.run(spec) {
                if let failure = outcome.failure {
                    failed += 1
                    print("FAIL \(failure.location.file):\(failure.location.line): \(outcome.name)")
                    print("  \(failure.location): \(failure.message)")
                } else {
                    passed += 1
                    print("PASS \(file): \(outcome.name)")
                }
            }
        }
        print("\(passed) passed, \(failed) failed")
        if unreadable { throw ExitCode(2) }
        if failed > 0 || invalid { throw ExitCode(1) }
    }

    static func defaultFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "pipelines")) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "pipelines/\($0)" }
    }
}
