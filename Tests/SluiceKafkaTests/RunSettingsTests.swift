import SluiceCore
import SluiceSupport
import XCTest

@testable import SluiceKafka

/// Configuration for `sluice run`: `.env` files, precedence, Confluent credentials, redaction.
final class RunSettingsTests: XCTestCase {
    func testDotEnvReadsLikePythonDotenv() {
        let text = """
            # comment
            PLAIN=value
            export EXPORTED=yes
              SPACED = trimmed value   # a comment
            HASH=a#b
            SINGLE='literal ${PLAIN} # kept'
            DOUBLE="line\\nbreak \\"quoted\\" ${PLAIN}"
            MULTI="first
            second"
            EMPTY=
            REF=${PLAIN}-${FROM_ENV}-${MISSING:-fallback}
            not an assignment
            UNCLOSED="never closed
            """
        let parsed = DotEnv.parse(text, environment: ["FROM_ENV": "env"])
        XCTAssertEqual(parsed.values["PLAIN"], "value")
        XCTAssertEqual(parsed.values["EXPORTED"], "yes")
        XCTAssertEqual(parsed.values["SPACED"], "trimmed value")
        XCTAssertEqual(parsed.values["HASH"], "a#b")
        XCTAssertEqual(parsed.values["SINGLE"], "literal ${PLAIN} # kept")
        XCTAssertEqual(parsed.values["DOUBLE"], "line\nbreak \"quoted\" value")
        XCTAssertEqual(parsed.values["MULTI"], "first\nsecond")
        XCTAssertEqual(parsed.values["EMPTY"], "")
        XCTAssertEqual(parsed.values["REF"], "value-env-fallback")
        XCTAssertNil(parsed.values["UNCLOSED"])
        XCTAssertEqual(parsed.badLines, [12, 13])
    }

    func testRealEnvironmentWinsOverDotEnv() {
        let (values, bad) = RunSettings.environment(process: ["A": "real"], dotEnv: "A=file\nB=file\n")
        XCTAssertEqual(values["A"], "real")
        XCTAssertEqual(values["B"], "file")
        XCTAssertEqual(bad, [])
    }

    func testBrokerPrecedenceAndConfluentCredentials() throws {
        let spec = try Self.spec(kafka: ["bootstrap.servers": "spec:9092", "linger.ms": "20", "session.timeout.ms": "6000"])
        var settings = try RunSettings.resolve(spec: spec, environment: [:])
        XCTAssertEqual(settings.bootstrapServers, "spec:9092")
        XCTAssertEqual(settings.brokerSource, "the pipeline's kafka: bootstrap.servers")

        let confluent = ["CONFLUENT_BOOTSTRAP_SERVERS": "cloud:9092", "CONFLUENT_API_KEY": "KEY", "CONFLUENT_API_SECRET": "s3cret-value"]
        settings = try RunSettings.resolve(spec: spec, environment: confluent)
        XCTAssertEqual(settings.bootstrapServers, "cloud:9092")
        XCTAssertEqual(settings.properties["security.protocol"], "SASL_SSL")
        XCTAssertEqual(settings.properties["sasl.mechanisms"], "PLAIN")
        XCTAssertEqual(settings.properties["sasl.username"], "KEY")
        XCTAssertEqual(settings.properties["sasl.password"], "s3cret-value")
        XCTAssertEqual(settings.redactor.scrub("password is s3cret-value"), "password is [redacted]")

        settings = try RunSettings.resolve(spec: spec, environment: confluent.merging(["SLUICE_BROKERS": "local:9092"]) { a, _ in a })
        XCTAssertEqual(settings.bootstrapServers, "local:9092")
        XCTAssertEqual(settings.brokerSource, "SLUICE_BROKERS")
        XCTAssertNil(settings.properties["security.protocol"])

        settings = try RunSettings.resolve(
            spec: spec, brokers: "flag:9092", group: "g2", overrides: [("linger.ms", "50")], environment: ["SLUICE_BROKERS": "local:9092"])
        XCTAssertEqual(settings.bootstrapServers, "flag:9092")
        XCTAssertEqual(settings.group, "g2")
        XCTAssertEqual(settings.producerConfig["linger.ms"], "50")

        XCTAssertThrowsError(try RunSettings.resolve(spec: spec, environment: ["CONFLUENT_BOOTSTRAP_SERVERS": "x:1", "CONFLUENT_API_KEY": "k"])) {
            XCTAssertEqual(($0 as? RunSetupError)?.message, "CONFLUENT_API_KEY and CONFLUENT_API_SECRET must be set together")
        }
        XCTAssertThrowsError(try RunSettings.resolve(spec: try Self.spec(kafka: [:]), environment: [:])) {
            XCTAssertTrue(($0 as? RunSetupError)?.message.hasPrefix("no brokers configured") ?? false)
        }
    }

    func testConsumerAndProducerPropertiesAreSplitAndAutoCommitIsOff() throws {
        let spec = try Self.spec(kafka: ["bootstrap.servers": "b:1", "enable.auto.commit": "true", "session.timeout.ms": "6000", "linger.ms": "9"])
        let settings = try RunSettings.resolve(spec: spec, environment: [:])
        XCTAssertEqual(settings.group, "settings-check")
        XCTAssertEqual(settings.consumerConfig["enable.auto.commit"], "false")
        XCTAssertEqual(settings.consumerConfig["enable.auto.offset.store"], "false")
        XCTAssertEqual(settings.consumerConfig["session.timeout.ms"], "6000")
        XCTAssertEqual(settings.consumerConfig["auto.offset.reset"], "earliest")
        XCTAssertNil(settings.consumerConfig["linger.ms"])
        XCTAssertNil(settings.producerConfig["session.timeout.ms"])
        XCTAssertNil(settings.producerConfig["group.id"])
        XCTAssertEqual(settings.producerConfig["partitioner"], "murmur2_random")
        XCTAssertEqual(settings.producerConfig["enable.idempotence"], "true")
        XCTAssertEqual(settings.notes.count, 1)
        XCTAssertEqual(try RunSettings.parseOverride("a.b=c=d").1, "c=d")
        XCTAssertThrowsError(try RunSettings.parseOverride("novalue"))
    }

    func testInterpolationAndRedaction() throws {
        let spec = try Self.spec(kafka: ["bootstrap.servers": "b:1", "sasl.password": "${MY_PASS}", "sasl.username": "${USER_NAME}"])
        let settings = try RunSettings.resolve(spec: spec, environment: ["MY_PASS": "pa55-word", "USER_NAME": "alice", "GITHUB_TOKEN": "tok-123"])
        XCTAssertEqual(settings.properties["sasl.password"], "pa55-word")
        XCTAssertEqual(settings.redactor.scrub("a pa55-word b tok-123 c alice"), "a [redacted] b [redacted] c alice")
        XCTAssertThrowsError(try RunSettings.resolve(spec: spec, environment: ["USER_NAME": "alice"])) {
            let message = ($0 as? RunSetupError)?.message ?? ""
            XCTAssertTrue(message.contains("MY_PASS is not set"), message)
        }
    }

    /// A minimal pipeline with `kafka:` properties.
    static func spec(kafka: [String: String]) throws -> PipelineSpec {
        var text = "pipeline: settings-check\nsource:\n  topics: [in]\nsinks:\n  - topic: out\n"
        if !kafka.isEmpty {
            text += "kafka:\n" + kafka.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"\n" }.joined()
        }
        let (spec, diagnostics) = PipelineLoader.load(text: text, file: "settings.yaml", baseDirectory: "/tmp")
        return try XCTUnwrap(spec, "\(diagnostics)")
    }
}

/// Which input offsets may be committed, given acknowledgements and state writes.
final class DeliveryTrackerTests: XCTestCase {
    let p0 = TopicPartition(topic: "in", partition: 0)
    let p1 = TopicPartition(topic: "in", partition: 1)

    func testOffsetsWaitForEveryEarlierOutput() {
        var tracker = DeliveryTracker()
        let record = Record(topic: "out", value: [])
        tracker.produced(id: 1, record: record, cause: 0)
        tracker.produced(id: 2, record: record, cause: 1)
        tracker.processed(end: 2, offsets: [p0: 11, p1: 5])
        tracker.produced(id: 3, record: record, cause: 2)
        tracker.processed(end: 3, offsets: [p0: 12])
        XCTAssertFalse(tracker.advance(stateDurableBefore: .max))
        _ = tracker.settle(id: 3)
        _ = tracker.settle(id: 2)
        XCTAssertFalse(tracker.advance(stateDurableBefore: .max), "output 1 is still unacknowledged")
        _ = tracker.settle(id: 1)
        XCTAssertTrue(tracker.advance(stateDurableBefore: 2), "state written only before input 2")
        XCTAssertEqual(tracker.safe, [p0: 11, p1: 5])
        XCTAssertTrue(tracker.advance(stateDurableBefore: 3))
        XCTAssertEqual(tracker.safe, [p0: 12, p1: 5])
    }

    func testRetriedOutputsHoldCommitsBack() {
        var tracker = DeliveryTracker()
        let record = Record(topic: "out", value: [])
        tracker.produced(id: 1, record: record, cause: 0)
        tracker.produced(id: 2, record: record, cause: 1)
        tracker.processed(end: 2, offsets: [p0: 2])
        let failed = tracker.settle(id: 1)!
        tracker.scheduleRetry(failed, at: 100)
        _ = tracker.settle(id: 2)
        XCTAssertEqual(tracker.pendingCount, 1)
        XCTAssertFalse(tracker.advance(stateDurableBefore: .max))
        XCTAssertTrue(tracker.takeDueRetries(now: 99).isEmpty)
        let due = tracker.takeDueRetries(now: 100)
        XCTAssertEqual(due.map(\.cause), [0])
        tracker.produced(id: 3, record: record, cause: 0, retry: true)
        XCTAssertFalse(tracker.advance(stateDurableBefore: .max))
        _ = tracker.settle(id: 3)
        XCTAssertTrue(tracker.advance(stateDurableBefore: .max))
        XCTAssertEqual(tracker.safe, [p0: 2])

        tracker.processed(end: 3, offsets: [p0: 3, p1: 9])
        tracker.forget(partitions: [p0])
        XCTAssertTrue(tracker.advance(stateDurableBefore: .max))
        XCTAssertEqual(tracker.safe, [p1: 9])
    }
}

/// What the status line and log lines show.
final class RunStatusTextTests: XCTestCase {
    func testStatusLineAndFields() {
        let status = RunStatus(
            uptimeMs: 5000, recordsIn: 1234, recordsOut: 1300, recordsInPerSecond: 1234.4, recordsOutPerSecond: 7.25,
            lag: 42, assignedPartitions: 3, openState: 12, errorRecords: 2, kafkaErrors: 1, pendingOutputs: 5)
        XCTAssertEqual(status.line, "in 1234/s (1234) out 7.3/s (1300) lag 42 open 12 errors 3 partitions 3")
        let fields = RunLogEntry(level: .info, message: "status", fields: status.fields).text
        XCTAssertTrue(fields.hasPrefix("status records_in=1234 records_out=1300 in_per_s=1234 out_per_s=7.3 lag=42"), fields)
        XCTAssertEqual(RunLogField("reason", #"no input for "5s""#).text, #"reason="no input for \"5s\"""#)
        XCTAssertEqual(RunLogField("empty", "").text, #"empty="""#)
    }
}
