import SluiceSupport
import SluiceYAML

extension NodeReader {
    /// Decodes `tests:`; `defaultTopic` is the first source topic.
    mutating func tests(_ node: YAMLNode, defaultTopic: String) -> [TestCase]? {
        guard let items = sequence(node) else { return nil }
        let errorsBefore = diagnostics.errorCount
        let cases = items.compactMap { testCase($0, defaultTopic: defaultTopic) }
        return diagnostics.errorCount == errorsBefore ? cases : nil
    }

    mutating func testCase(_ node: YAMLNode, defaultTopic: String) -> TestCase? {
        guard let found = fields(of: node, declared: TestCase.fields, context: "test") else { return nil }
        let name = found["name"].flatMap { string($0.value) }
        var input: [Record] = []
        var inputLocations: [SourceLocation] = []
        var ok = true
        if let items = found["input"].flatMap({ sequence($0.value) }) {
            for (index, item) in items.enumerated() {
                if let record = inputRecord(item, index: index, defaultTopic: defaultTopic) {
                    input.append(record)
                    inputLocations.append(item.location)
                } else {
                    ok = false
                }
            }
        }
        var expect: [String: [ExpectedRecord]] = [:]
        var topics: [String] = []
        if let pairs = found["expect"].flatMap({ mapping($0.value) }) {
            for pair in pairs {
                guard let topic = topic(pair.key) else { ok = false; continue }
                var records: [ExpectedRecord] = []
                // `topic: []` (or an empty value) says the topic must receive nothing.
                let items = pair.value.isNull ? [] : sequence(pair.value)
                for item in items ?? [] {
                    if let record = expectedRecord(item) { records.append(record) } else { ok = false }
                }
                topics.append(topic)
                expect[topic] = records
            }
        }
        guard ok, let name else { return nil }
        return TestCase(
            name: name, location: node.location, input: input, inputLocations: inputLocations,
            expect: expect, expectedTopics: topics)
    }

    mutating func inputRecord(_ node: YAMLNode, index: Int, defaultTopic: String) -> Record? {
        let errorsBefore = diagnostics.errorCount
        guard let found = fields(of: node, declared: TestCase.inputFields, context: "test input record") else {
            return nil
        }
        let topic = found["topic"].flatMap { self.topic($0.value) } ?? defaultTopic
        let partition = found["partition"].flatMap { integer($0.value, min: 0, max: Int64(Int32.max), noun: "partition") }
        let offset = found["offset"].flatMap { integer($0.value, min: 0, max: nil, noun: "offset") }
        let timestamp = found["ts"].flatMap { integer($0.value, min: nil, max: nil, noun: "ts") }
        let headers = found["headers"].flatMap { headerList($0.value) }
        for field in ["key", "value"] { if let pair = found[field] { checkFinite(pair.value) } }
        let value = payloadBytes(found)
        guard diagnostics.errorCount == errorsBefore else { return nil }
        return Record(
            topic: topic, partition: Int32(truncatingIfNeeded: partition ?? 0), offset: offset ?? Int64(index),
            timestamp: timestamp ?? 0, key: found["key"].flatMap { Self.keyBytes($0.value) },
            headers: headers ?? [], value: value)
    }

    mutating func expectedRecord(_ node: YAMLNode) -> ExpectedRecord? {
        let errorsBefore = diagnostics.errorCount
        guard let found = fields(of: node, declared: TestCase.expectedFields, context: "expected record") else {
            return nil
        }
        if found["value"] != nil, let payload = found["payload"] {
            diagnostics.error("bad-test", "use either value or payload, not both", at: payload.key.location)
        }
        var key: [UInt8]?? = nil
        if let pair = node.mapping?.first(where: { $0.key.keyText == "key" }) {
            key = .some(Self.keyBytes(pair.value))
        }
        let timestamp = found["ts"].flatMap { integer($0.value, min: nil, max: nil, noun: "ts") }
        let headers = found["headers"].flatMap { headerList($0.value) }
        let payload = found["payload"].flatMap { string($0.value) }
        // `value: null` is an explicit expectation, unlike an absent value.
        let valuePair = node.mapping?.first(where: { $0.key.keyText == "value" })
        for field in ["key", "value"] { if let pair = found[field] { checkFinite(pair.value) } }
        guard diagnostics.errorCount == errorsBefore else { return nil }
        return ExpectedRecord(
            key: key, value: valuePair.map { $0.value.toValue() }, payload: payload, headers: headers,
            timestamp: timestamp, location: node.location)
    }

    /// `value` as compact JSON, or `payload` as its text; nil (a tombstone) when neither is given.
    private mutating func payloadBytes(_ found: [String: YAMLPair]) -> [UInt8]? {
        if found["value"] != nil, let payload = found["payload"] {
            diagnostics.error("bad-test", "use either value or payload, not both", at: payload.key.location)
            return nil
        }
        if let value = found["value"] { return JSON.serialize(value.value.toValue()) }
        if let payload = found["payload"] { return string(payload.value).map { Array($0.utf8) } }
        return nil
    }

    /// Reports numbers such as `1e400` or `.inf` in a record: JSON cannot hold them, and writing
    /// them as `null` would test something other than what the file says.
    private mutating func checkFinite(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let scalar):
            if case .double(let d) = node.toValue(), !d.isFinite {
                diagnostics.error(
                    "bad-test", "'\(scalar.text)' is not a finite number, which json cannot hold", at: node.location)
            }
        case .sequence(let items):
            for item in items { checkFinite(item) }
        case .mapping(let pairs):
            for pair in pairs { checkFinite(pair.value) }
        }
    }

    private mutating func headerList(_ node: YAMLNode) -> [Header]? {
        stringMap(node)?.map { Header(name: $0.name, value: $0.value.map { Array($0.utf8) }) }
    }

    /// A key as bytes: strings as their UTF-8 text, null as no key, other values as compact JSON.
    static func keyBytes(_ node: YAMLNode) -> [UInt8]? {
        switch node.toValue() {
        case .null: return nil
        case .string(let text): return Array(text.utf8)
        case let other: return JSON.serialize(other)
        }
    }
}
