import Foundation
import SluiceSupport
import SluiceYAML

extension NodeReader {
    /// Decodes `source:`; `pipelineName` is the default group, `baseDirectory` resolves `schema`.
    mutating func source(_ node: YAMLNode, pipelineName: String?, baseDirectory: String) -> SourceSpec? {
        let errorsBefore = diagnostics.errorCount
        guard let found = fields(of: node, declared: SourceSpec.fields, context: "source") else { return nil }
        let topics = found["topics"].flatMap { topicList($0.value, noun: "topics") }
        let group = found["group"].flatMap { string($0.value) }
        let format = found["format"].flatMap { oneOf($0.value, ValueFormat.allCases.map(\.rawValue), noun: "source format") }
        let start = found["start"].flatMap { oneOf($0.value, StartPosition.allCases.map(\.rawValue), noun: "source start") }
        let eventTime = found["event_time"].flatMap { self.eventTime($0.value) }
        let idle = found["idle_timeout"].flatMap { duration($0.value) }
        let keyedBy = found["keyed_by"].flatMap { expression($0.value) }
        var schemaPath: String?
        var schema: Value?
        if let node = found["schema"]?.value, let path = string(node) {
            schemaPath = Self.resolve(path, against: baseDirectory)
            schema = loadSchema(at: schemaPath ?? path, written: path, node: node)
        }
        guard diagnostics.errorCount == errorsBefore, let topics else { return nil }
        var source = SourceSpec(
            topics: topics, group: group ?? pipelineName ?? "",
            format: format.flatMap(ValueFormat.init(rawValue:)) ?? .json,
            start: start.flatMap(StartPosition.init(rawValue:)) ?? .earliest,
            eventTime: eventTime ?? .kafka, idleTimeoutMs: idle ?? 30_000,
            schemaPath: schemaPath, schema: schema, location: node.location)
        source.keyedBy = keyedBy
        return source
    }

    /// `kafka`, or `{field: <path>, unit: seconds|milliseconds|iso8601}`.
    mutating func eventTime(_ node: YAMLNode) -> EventTime? {
        if node.scalar != nil {
            return oneOf(node, ["kafka"], noun: "event_time").map { _ in .kafka }
        }
        guard let found = fields(of: node, declared: EventTime.fields, context: "event_time") else { return nil }
        let path = found["field"].flatMap { fieldPath($0.value) }
        let unit = found["unit"].flatMap { oneOf($0.value, TimeUnit.allCases.map(\.rawValue), noun: "event_time unit") }
        guard let path, let unit = unit.flatMap(TimeUnit.init(rawValue:)) else { return nil }
        return .field(path: path, unit: unit)
    }

    /// Reads and parses the JSON Schema file at `path`.
    mutating func loadSchema(at path: String, written: String, node: YAMLNode) -> Value? {
        guard let data = FileManager.default.contents(atPath: path) else {
            diagnostics.error("bad-schema", "cannot read schema file '\(written)' (looked for \(path))", at: node.location)
            return nil
        }
        let schema: Value
        do {
            schema = try JSON.parse(Array(data))
        } catch {
            diagnostics.error("bad-schema", "schema file '\(written)' is not valid json: \(error.message)", at: node.location)
            return nil
        }
        guard case .object = schema else {
            diagnostics.error("bad-schema", "schema file '\(written)' must hold a json object", at: node.location)
            return nil
        }
        // The run-time check must be able to compile it, or `run` would refuse the pipeline.
        do {
            _ = try SchemaCheck(schema: schema)
        } catch {
            diagnostics.error("bad-schema", "schema file '\(written)': \(error.message)", at: node.location)
            return nil
        }
        return schema
    }

    /// `path` as is when absolute, else relative to `directory`.
    static func resolve(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty || directory == "." { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
