import SluiceSupport
import SluiceYAML

/// Decodes a pipeline file's node tree into a `PipelineSpec`, phase by phase, collecting every
/// problem: structure, values and expressions while walking the tree, then references and types.
struct PipelineDecoder {
    var reader = NodeReader()
    let file: String
    let baseDirectory: String

    init(file: String, baseDirectory: String) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    var diagnostics: Diagnostics { reader.diagnostics }

    mutating func decode(_ root: YAMLNode) -> PipelineSpec? {
        guard let found = reader.fields(of: root, declared: PipelineSpec.fields, context: nil) else { return nil }
        let name = found["pipeline"].flatMap { reader.identifier($0.value, noun: "pipeline name") }
        let description = found["description"].flatMap { reader.string($0.value) }
        var source = found["source"].flatMap {
            reader.source($0.value, pipelineName: name, baseDirectory: baseDirectory)
        }
        var otherSources: [SourceSpec] = []
        if let sources = found["sources"] {
            let named = reader.namedSources(sources.value, pipelineName: name, baseDirectory: baseDirectory)
            if found["source"] != nil {
                reader.diagnostics.error(
                    "conflicting-keys", "use either 'source' or 'sources', not both", at: sources.key.location)
            } else if let named, let first = named.first {
                source = first
                otherSources = Array(named.dropFirst())
            }
        } else if found["source"] == nil {
            reader.reportMissingSource(root)
        }
        let steps = found["steps"].map { reader.steps($0.value) } ?? []
        let sinks = found["sinks"].flatMap { self.sinks($0.value) }
        let deadLetter = found["dead_letter"].flatMap { self.deadLetter($0.value) }
        let guarantee = found["guarantee"].flatMap {
            reader.oneOf($0.value, Guarantee.allCases.map(\.rawValue), noun: "guarantee")
        }
        let kafka = found["kafka"].flatMap { kafkaProperties($0.value) }
        let tests = found["tests"].flatMap { reader.tests($0.value, defaultTopic: source?.topics.first ?? "") }

        var types = TypeChecker(origins: reader.expressionOrigins, fieldLists: reader.fieldListItems)
        types.sources = ([source].compactMap { $0 } + otherSources)
        types.check(
            source: source, eventTimeLocation: eventTimeFieldLocation(found["source"]?.value),
            steps: steps, sinks: sinks ?? [])
        for declared in types.sources { if let keyedBy = declared.keyedBy { _ = types.infer(keyedBy, TypeChecker.records(of: declared)) } }
        reader.diagnostics.emit(contentsOf: types.diagnostics.all)
        warnAboutLoops(source: source, steps: steps, sinks: sinks ?? [])
        if let source { JoinChecks.check(steps: steps, stream: source, others: otherSources, into: &reader.diagnostics) }

        guard !reader.diagnostics.hasErrors, let name, let source, let sinks else { return nil }
        var spec = PipelineSpec(
            file: file, name: name, description: description, source: source,
            steps: steps.compactMap { $0 }, sinks: sinks, deadLetter: deadLetter,
            guarantee: guarantee.flatMap(Guarantee.init(rawValue:)) ?? .atLeastOnce,
            kafka: kafka ?? [], tests: tests ?? [])
        spec.otherSources = otherSources
        return spec
    }

    mutating func sinks(_ node: YAMLNode) -> [SinkSpec]? {
        guard let items = reader.sequence(node) else { return nil }
        if items.isEmpty {
            reader.diagnostics.error("empty-list", "sinks needs at least one sink", at: node.location)
            return nil
        }
        let errorsBefore = reader.diagnostics.errorCount
        var sinks: [SinkSpec] = []
        for item in items {
            guard let found = reader.fields(of: item, declared: SinkSpec.fields, context: "sink") else { continue }
            let topic = found["topic"].flatMap { reader.topic($0.value) }
            let key = found["key"].flatMap { reader.expression($0.value) }
            if let topic { sinks.append(SinkSpec(topic: topic, key: key, location: item.location)) }
        }
        return reader.diagnostics.errorCount == errorsBefore ? sinks : nil
    }

    mutating func deadLetter(_ node: YAMLNode) -> String? {
        guard let found = reader.fields(of: node, declared: DeadLetterFields.fields, context: "dead_letter") else {
            return nil
        }
        return found["topic"].flatMap { reader.topic($0.value) }
    }

    mutating func kafkaProperties(_ node: YAMLNode) -> [KafkaProperty]? {
        guard let entries = reader.stringMap(node) else { return nil }
        var properties: [KafkaProperty] = []
        for entry in entries {
            guard let value = entry.value else {
                reader.diagnostics.error("missing-value", "kafka property '\(entry.name)' needs a value", at: entry.location)
                continue
            }
            properties.append(KafkaProperty(name: entry.name, value: value, location: entry.location))
        }
        return properties
    }

    /// Where `source.event_time.field`'s value is written, for reference errors.
    private func eventTimeFieldLocation(_ source: YAMLNode?) -> SourceLocation? {
        source?.value(forKey: "event_time")?.value(forKey: "field")?.location
    }

    /// Producing to a source topic feeds records back into the pipeline: allowed, but rarely meant.
    private mutating func warnAboutLoops(source: SourceSpec?, steps: [StepInstance?], sinks: [SinkSpec]) {
        guard let topics = source?.topics else { return }
        for sink in sinks where topics.contains(sink.topic) {
            reader.diagnostics.warning(
                "topic-loop", "sink topic '\(sink.topic)' is also a source topic: its records will be read again",
                at: sink.location)
        }
        for case let step? in steps {
            for field in ["topic", "late_topic"] {
                if let topic = step.config.string(field), topics.contains(topic),
                    step.type.fields.contains(where: { $0.name == field })
                {
                    reader.diagnostics.warning(
                        "topic-loop", "\(field) '\(topic)' is also a source topic: its records will be read again",
                        at: step.config.location(of: field))
                }
            }
        }
    }
}
