import SluiceSupport

/// The outcome of one inline test (`tests:` in a pipeline file).
public struct TestOutcome: Sendable {
    public var name: String
    /// Where the test is written.
    public var location: SourceLocation
    /// nil when the test passed.
    public var failure: TestFailure?

    public var passed: Bool { failure == nil }
}

/// The first difference between what a test expected and what the pipeline produced.
public struct TestFailure: Sendable, Hashable {
    public var message: String
    /// The failing expectation (or the test, when a topic received records it should not have).
    public var location: SourceLocation
}

/// Runs the inline tests of pipeline files through the engine.
public enum TestRunner {
    /// Runs every test of `spec`: its input through the engine, end of input closing all
    /// windows, then each topic's output compared in order with `expect`. A topic that `expect`
    /// does not name must receive nothing.
    public static func run(_ spec: PipelineSpec) -> [TestOutcome] {
        let plan: EnginePlan
        do {
            plan = try EnginePlan(spec: spec)
        } catch {
            let first = error.diagnostics.first
            return spec.tests.map {
                TestOutcome(
                    name: $0.name, location: $0.location,
                    failure: TestFailure(message: first?.message ?? "the pipeline cannot run", location: first?.location ?? $0.location))
            }
        }
        return spec.tests.map { run($0, plan: plan) }
    }

    /// Runs one test against a compiled plan.
    public static func run(_ test: TestCase, plan: EnginePlan) -> TestOutcome {
        let engine = Engine(plan: plan)
        engine.process(test.input)
        engine.finish()
        var produced: [String: [Record]] = [:]
        var topicOrder: [String] = []
        for output in engine.takeOutputs() {
            if produced[output.record.topic] == nil { topicOrder.append(output.record.topic) }
            produced[output.record.topic, default: []].append(output.record)
        }
        let failure = compare(test, produced: produced, topicOrder: topicOrder)
        return TestOutcome(name: test.name, location: test.location, failure: failure)
    }

    private static func compare(_ test: TestCase, produced: [String: [Record]], topicOrder: [String]) -> TestFailure? {
        for topic in test.expectedTopics {
            let expected = test.expect[topic] ?? []
            let actual = produced[topic] ?? []
            for (index, expectation) in expected.enumerated() {
                guard index < actual.count else {
                    return TestFailure(
                        message: "\(topic): expected \(expected.count) record\(expected.count == 1 ? "" : "s"), got \(actual.count); record \(index + 1) is missing",
                        location: expectation.location)
                }
                if let problem = mismatch(expectation, actual[index]) {
                    return TestFailure(message: "\(topic) record \(index + 1): \(problem)", location: expectation.location)
                }
            }
            if actual.count > expected.count {
                let extra = actual[expected.count]
                return TestFailure(
                    message: "\(topic): expected \(expected.count) record\(expected.count == 1 ? "" : "s"), got \(actual.count); the first extra one is key \(RecordMatch.keyText(extra.key)), value \(RecordMatch.text(extra.value))",
                    location: expected.last?.location ?? test.location)
            }
        }
        for topic in topicOrder where test.expect[topic] == nil {
            let records = produced[topic] ?? []
            let first = records.first
            return TestFailure(
                message: "\(topic) received \(records.count) record\(records.count == 1 ? "" : "s") but expect does not list it; the first is key \(RecordMatch.keyText(first?.key)), value \(RecordMatch.text(first?.value))",
                location: test.location)
        }
        return nil
    }

    /// What differs between an expectation and a record, or nil; only the parts given are checked.
    static func mismatch(_ expected: ExpectedRecord, _ actual: Record) -> String? {
        if let key = expected.key, key != actual.key {
            return "expected key \(RecordMatch.keyText(key)), got \(RecordMatch.keyText(actual.key))"
        }
        if let value = expected.value {
            let actualValue = actual.value.flatMap { try? JSON.parse($0) }
            guard let actualValue, RecordMatch.sameValue(value, actualValue) else {
                return "expected value \(value.jsonText), got \(RecordMatch.text(actual.value))"
            }
        }
        if let payload = expected.payload, actual.value != Array(payload.utf8) {
            return "expected payload \(payload.debugDescription), got \(RecordMatch.text(actual.value).debugDescription)"
        }
        if let timestamp = expected.timestamp, timestamp != actual.timestamp {
            return "expected ts \(timestamp), got \(actual.timestamp)"
        }
        for header in expected.headers ?? [] where !actual.headers.contains(header) {
            let found = actual.headers.first { $0.name == header.name }
            return "expected header \(header.name) = \(RecordMatch.text(header.value)), got \(found.map { RecordMatch.text($0.value) } ?? "no such header")"
        }
        return nil
    }
}
