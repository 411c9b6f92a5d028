import SluiceCore
import SluiceSupport
import XCTest

final class SpecDecodingTests: XCTestCase {
    func testExamplePipelinesLoadCleanly() throws {
        let files = try SpecFixtures.examplePipelines()
        XCTAssertGreaterThanOrEqual(files.count, 4)
        for file in files {
            let (spec, diagnostics) = PipelineLoader.load(file: file.path)
            XCTAssertEqual(rendered(diagnostics), "", file.lastPathComponent)
            XCTAssertNotNil(spec, file.lastPathComponent)
            XCTAssertFalse(spec?.tests.isEmpty ?? true, "\(file.lastPathComponent) has no inline test")
        }
    }

    func testCategoryWindowsModel() throws {
        let path = SpecFixtures.pipelines.appendingPathComponent("category-windows.yaml").path
        let spec = try XCTUnwrap(PipelineLoader.load(file: path).spec)
        XCTAssertEqual(spec.name, "category-windows")
        XCTAssertEqual(spec.file, path)
        XCTAssertEqual(spec.source.topics, ["input-topic"])
        XCTAssertEqual(spec.source.group, "category-windows")
        XCTAssertEqual(spec.source.format, .json)
        XCTAssertEqual(spec.source.start, .earliest)
        XCTAssertEqual(spec.source.eventTime, .field(path: ["timestamp"], unit: .seconds))
        XCTAssertEqual(spec.source.idleTimeoutMs, 30_000)
        XCTAssertTrue(spec.source.schemaPath?.hasSuffix("pipelines/../schemas/tutorial-record.schema.json") ?? false)
        XCTAssertNotNil(spec.source.schema?.objectValue?["properties"])
        XCTAssertEqual(spec.source.keyedBy?.source, "category")
        XCTAssertEqual(spec.deadLetter, "dead-letter-topic")
        XCTAssertEqual(spec.guarantee, .atLeastOnce)
        XCTAssertEqual(spec.sinks.map(\.topic), ["aggregated-topic"])
        XCTAssertNil(spec.sinks[0].key)

        let window = try XCTUnwrap(spec.steps.first)
        XCTAssertEqual(window.typeName, "window")
        XCTAssertTrue(window.type == WindowStep.self)
        XCTAssertEqual(window.location.line, 18)
        XCTAssertEqual(window.config.string("type"), "tumbling")
        XCTAssertEqual(window.config.duration("size"), 60_000)
        XCTAssertEqual(window.config.duration("grace"), 10_000)
        XCTAssertEqual(window.config.string("late_topic"), "late-topic")
        XCTAssertEqual(window.config.aggregates("aggregates")?.fields.map(\.name), ["count", "sum", "average", "min", "max"])
        XCTAssertEqual(window.config.location(of: "size").line, 20)
    }

    func testInlineTestsBecomeRecords() throws {
        let text = """
            pipeline: t
            source: {topics: [in, other]}
            sinks: [{topic: out}]
            tests:
              - name: records
                input:
                  - {key: A, ts: 5, value: {id: 1, name: "x y", ok: true, ratio: 0.5, none: null}}
                  - {topic: other, partition: 2, offset: 40, payload: "not json", headers: {h: v, empty: null}}
                  - {key: 7}
                expect:
                  out:
                    - {key: A, value: {id: 1}}
                    - {payload: raw, headers: {h: v}, ts: 9}
                    - {key: null, value: null}
                  other: []
            """
        let spec = try XCTUnwrap(SpecFixtures.load(text).spec, rendered(SpecFixtures.load(text).diagnostics))
        let test = try XCTUnwrap(spec.tests.first)
        XCTAssertEqual(test.name, "records")
        XCTAssertEqual(test.input.count, 3)
        let first = test.input[0]
        XCTAssertEqual(first.topic, "in")
        XCTAssertEqual(first.offset, 0)
        XCTAssertEqual(first.timestamp, 5)
        XCTAssertEqual(first.key, Array("A".utf8))
        XCTAssertEqual(first.value.map { String(decoding: $0, as: UTF8.self) }, #"{"id":1,"name":"x y","ok":true,"ratio":0.5,"none":null}"#)
        let second = test.input[1]
        XCTAssertEqual(second.topic, "other")
        XCTAssertEqual(second.partition, 2)
        XCTAssertEqual(second.offset, 40)
        XCTAssertEqual(second.value, Array("not json".utf8))
        XCTAssertEqual(second.headers, [Header("h", "v"), Header(name: "empty", value: nil)])
        XCTAssertNil(second.key)
        XCTAssertEqual(test.input[2].key, Array("7".utf8))
        XCTAssertNil(test.input[2].value)
        XCTAssertEqual(test.input[2].offset, 2)

        XCTAssertEqual(test.expectedTopics, ["out", "other"])
        XCTAssertEqual(test.expect["other"]?.count, 0)
        let expected = try XCTUnwrap(test.expect["out"])
        XCTAssertEqual(expected.count, 3)
        XCTAssertEqual(expected[0].key, .some(Array("A".utf8)))
        XCTAssertEqual(expected[0].value, .object(["id": .int(1)]))
        XCTAssertNil(expected[0].payload)
        XCTAssertEqual(expected[1].payload, "raw")
        XCTAssertEqual(expected[1].timestamp, 9)
        XCTAssertEqual(expected[1].headers, [Header("h", "v")])
        XCTAssertTrue(expected[1].key == nil)
        XCTAssertEqual(expected[2].key, .some(nil))
        XCTAssertEqual(expected[2].value, .null)
        XCTAssertEqual(expected[2].location.line, 14)
    }

    func testShorthandsAndEventTimeForms() throws {
        let text = """
            pipeline: forms
            source:
              topics: in
              event_time: kafka
              format: string
              start: latest
              idle_timeout: 2m
              group: my-group
            steps:
              - filter: this != ""
              - drop: [a.b, 'c["x y"]']
              - select: one
            sinks:
              - {topic: out, key: key()}
            guarantee: exactly-once
            """
        let (spec, diagnostics) = SpecFixtures.load(text)
        let loaded = try XCTUnwrap(spec, rendered(diagnostics))
        XCTAssertEqual(loaded.source.topics, ["in"])
        XCTAssertEqual(loaded.source.eventTime, .kafka)
        XCTAssertEqual(loaded.source.format, .string)
        XCTAssertEqual(loaded.source.start, .latest)
        XCTAssertEqual(loaded.source.idleTimeoutMs, 120_000)
        XCTAssertEqual(loaded.source.group, "my-group")
        XCTAssertEqual(loaded.steps[0].config.expression("where")?.source, #"this != """#)
        XCTAssertEqual(loaded.steps[1].config.fieldList("fields"), [["a", "b"], ["c", "x y"]])
        XCTAssertEqual(loaded.steps[2].config.fieldList("fields"), [["one"]])
        XCTAssertEqual(loaded.sinks[0].key?.source, "key()")
        XCTAssertEqual(loaded.guarantee, .exactlyOnce)
    }

    func testKafkaPropertiesKeepAndInterpolateVariables() throws {
        let text = """
            pipeline: props
            source: {topics: [in]}
            sinks: [{topic: out}]
            kafka:
              session.timeout.ms: 6000
              sasl.username: ${API_KEY}
              sasl.password: "${API_SECRET}"
              client.id: sluice-$${literal}-$HOME
            """
        let spec = try XCTUnwrap(SpecFixtures.load(text).spec)
        XCTAssertEqual(spec.kafka.map(\.name), ["session.timeout.ms", "sasl.username", "sasl.password", "client.id"])
        XCTAssertEqual(spec.kafka[1].value, "${API_KEY}")
        XCTAssertEqual(spec.kafka[1].location.line, 6)
        let environment = ["API_KEY": "key", "API_SECRET": "s3cret"]
        let properties = try spec.interpolatedKafka(environment: environment)
        XCTAssertEqual(properties["session.timeout.ms"], "6000")
        XCTAssertEqual(properties["sasl.username"], "key")
        XCTAssertEqual(properties["sasl.password"], "s3cret")
        XCTAssertEqual(properties["client.id"], "sluice-${literal}-$HOME")

        XCTAssertThrowsError(try spec.kafka.interpolated(environment: ["API_KEY": "key"])) { error in
            let failure = error as? InterpolationError
            XCTAssertEqual(failure?.variable, "API_SECRET")
            XCTAssertEqual(failure?.property, "sasl.password")
            XCTAssertEqual(failure?.diagnostic.code, "missing-variable")
            XCTAssertEqual(
                failure?.diagnostic.message, "kafka property 'sasl.password' uses ${API_SECRET}, but API_SECRET is not set")
            XCTAssertFalse(failure?.description.contains("key") ?? true, "no values in errors")
        }
    }

    func testMissingFileIsAnIOError() {
        let (spec, diagnostics) = PipelineLoader.load(file: "/nonexistent/pipeline.yaml")
        XCTAssertNil(spec)
        XCTAssertEqual(diagnostics.map(\.code), [PipelineLoader.ioErrorCode])
        XCTAssertEqual(diagnostics.first?.message, "cannot read '/nonexistent/pipeline.yaml': no such file")
    }

    func testKeyFieldNames() throws {
        var names: [String] = []
        for key in ["category", "a.b", "'a[\"x y\"]'", "'upper(n)'", "key()"] {
            let text = SpecFixtures.pipeline(steps: "  - aggregate: {key: \(key), aggregates: {n: count()}}")
            let (spec, diagnostics) = SpecFixtures.load(text)
            let expression = try XCTUnwrap(spec?.steps.first?.config.expression("key"), rendered(diagnostics))
            names.append(ResultFields.keyFieldName(for: expression))
        }
        XCTAssertEqual(names, ["category", "b", "x y", "key", "key"])
    }
}
