import SluiceSupport
import SluiceYAML

extension NodeReader {
    /// Decodes `sources:`: a mapping of source name to a source section, in file order.
    mutating func namedSources(_ node: YAMLNode, pipelineName: String?, baseDirectory: String) -> [SourceSpec]? {
        guard let pairs = mapping(node) else { return nil }
        if pairs.isEmpty {
            diagnostics.error("empty-list", "sources needs at least one source", at: node.location)
            return nil
        }
        let errorsBefore = diagnostics.errorCount
        var sources: [SourceSpec] = []
        var topicOwners: [String: String] = [:]
        for pair in pairs {
            let name = pair.key.keyText
            guard Self.isSourceName(name) else {
                diagnostics.error(
                    "bad-name", "source name '\(name)' must be lowercase letters, digits, '_' and '-'", at: pair.key.location)
                continue
            }
            if sources.contains(where: { $0.name == name }) {
                diagnostics.error("duplicate-key", "source '\(name)' is declared twice", at: pair.key.location)
                continue
            }
            guard var source = source(pair.value, pipelineName: pipelineName, baseDirectory: baseDirectory) else { continue }
            source.name = name
            sources.append(source)
        }
        let decoded = diagnostics.errorCount == errorsBefore
        // Reported after, so that the sources still serve the checks of the steps.
        for source in sources {
            for topic in source.topics {
                if let owner = topicOwners[topic] {
                    diagnostics.error(
                        "duplicate-topic",
                        "topic '\(topic)' is read by sources '\(owner)' and '\(source.name)': each topic belongs to one source (to join a stream with itself, use join with 'as')",
                        at: source.location)
                }
                topicOwners[topic] = source.name
            }
        }
        return decoded ? sources : nil
    }

    /// Neither `source` nor `sources`: reported as a missing `source`, unless a misspelled key
    /// was already reported with that suggestion.
    mutating func reportMissingSource(_ root: YAMLNode) {
        let names = PipelineSpec.fields.map(\.name)
        for pair in root.mapping ?? [] where !names.contains(pair.key.keyText) {
            if let close = Suggestions.closest(to: pair.key.keyText, in: names), close.hasPrefix("source") { return }
        }
        diagnostics.error("missing-key", "missing required top-level key 'source'", at: root.location)
    }

    static func isSourceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2d }
    }
}
