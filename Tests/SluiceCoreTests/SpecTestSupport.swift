import Foundation
import SluiceCore
import SluiceSupport
import XCTest

/// Paths and helpers shared by the spec, registry, validation, golden and schema tests.
enum SpecFixtures {
    /// The repository root, found from this file's path (no SwiftPM resources needed).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pipelines = root.appendingPathComponent("pipelines")
    static let bad = root.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/bad")

    /// The example pipelines' paths, sorted.
    static func examplePipelines() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: pipelines, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Loads pipeline text as if it were `pipelines/test.yaml`.
    static func load(_ text: String, file: String = "test.yaml") -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        PipelineLoader.load(text: text, file: file, baseDirectory: pipelines.path)
    }

    /// A minimal valid pipeline around the given `steps:` items (already indented by two spaces).
    static func pipeline(steps: String, extra: String = "") -> String {
        """
        pipeline: test
        source:
          topics: [input-topic]
        steps:
        \(steps)
        sinks:
          - topic: output-topic
        \(extra)
        """
    }

    /// Indents every line of `text` by `spaces`.
    static func indent(_ text: String, by spaces: Int = 2) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
    }
}

/// Renders diagnostics one per line, for readable assertion failures.
func rendered(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map(\.description).joined(separator: "\n")
}
