import SluiceCore
import SluiceSupport
import XCTest

/// Stream-table joins (`lookup`) on hand-computed expectations.
final class LookupJoinTests: XCTestCase {
    static func pipeline(type: String, key: String = "") -> String {
        """
        pipeline: enrich
        sources:
          orders:
            topics: [orders]
            event_time: {field: t, unit: milliseconds}
          customers:
            topics: [customers]
            event_time: {field: t, unit: milliseconds}
        steps:
          - lookup:
              table: customers
              \(key)
              fields: {name: name, vip: tier == "gold"}
              type: \(type)
        sinks:
          - topic: out
        """
    }

    /// Table updates and deletes interleaved with orders: each order sees the table as of its
    /// event time (updates at T apply to orders at T or later; a tombstone deletes).
    func feedInterleaved(_ h: JoinHarness) {
        h.feed("customers", key: "c1", #"{"name":"Ann","tier":"gold","t":100}"#, ts: 100)
        h.feed("orders", key: "c1", #"{"id":1,"t":50}"#, ts: 50)  // before the row exists
        h.feed("orders", key: "c1", #"{"id":2,"t":100}"#, ts: 100)  // exactly at the update: sees it
        h.feed("customers", key: "c1", #"{"name":"Bea","tier":"silver","t":200}"#, ts: 200)
        h.feed("customers", key: "c1", nil, ts: 300)  // tombstone at 300
        h.feed("orders", key: "c1", #"{"id":3,"t":250}"#, ts: 250)  // sees Bea, not the delete
        h.feed("orders", key: "c1", #"{"id":4,"t":300}"#, ts: 300)  // deleted
        h.feed("orders", key: "c2", #"{"id":5,"t":310}"#, ts: 310)  // never existed
        h.finish()
    }

    func testLeftLookupFollowsTableUpdatesAndDeletesInEventTimeOrder() throws {
        let h = try JoinHarness(Self.pipeline(type: "left"))
        feedInterleaved(h)
        XCTAssertEqual(h.lines("out"), [
            #"c1 {"id":1,"t":50,"name":null,"vip":null}"#,
            #"c1 {"id":2,"t":100,"name":"Ann","vip":true}"#,
            #"c1 {"id":3,"t":250,"name":"Bea","vip":false}"#,
            #"c1 {"id":4,"t":300,"name":null,"vip":null}"#,
            #"c2 {"id":5,"t":310,"name":null,"vip":null}"#,
        ])
    }

    func testInnerLookupDropsRecordsWithoutARow() throws {
        let h = try JoinHarness(Self.pipeline(type: "inner"))
        feedInterleaved(h)
        XCTAssertEqual(h.lines("out"), [
            #"c1 {"id":2,"t":100,"name":"Ann","vip":true}"#,
            #"c1 {"id":3,"t":250,"name":"Bea","vip":false}"#,
        ])
        XCTAssertEqual(h.engine.stats.filtered, 3)
    }

    func testJoinKeyFromAFieldKeepsTheRecordKey() throws {
        let h = try JoinHarness(Self.pipeline(type: "left", key: "key: customer\n      repartition: true"))
        h.feed("customers", key: "7", #"{"name":"Cy","tier":"gold","t":0}"#)
        h.feed("orders", key: "o1", #"{"customer":7,"t":5}"#, ts: 5)  // the number 7 matches key "7"
        h.feed("orders", key: "o2", #"{"customer":null,"t":6}"#, ts: 6)  // a null key matches nothing
        XCTAssertEqual(h.lines("out"), [
            #"o1 {"customer":7,"t":5,"name":"Cy","vip":true}"#,
            #"o2 {"customer":null,"t":6,"name":null,"vip":null}"#,
        ])
    }

    func testBadTableRecordsAreErrorRecordsAndKeepTheRow() throws {
        let h = try JoinHarness(Self.pipeline(type: "left") + "\ndead_letter: {topic: dlq}\n")
        h.feed("customers", key: "c1", #"{"name":"Ann","tier":"gold","t":0}"#)
        h.feed("customers", key: "c1", "{broken")
        h.feed("customers", key: nil, #"{"name":"Nokey","tier":"x","t":1}"#)
        h.feed("orders", key: "c1", #"{"id":1,"t":2}"#, ts: 2)
        XCTAssertEqual(h.engine.stats.errors[.decode], 2)
        XCTAssertEqual(h.lines("dlq").count, 2)
        XCTAssertEqual(h.lines("out"), [#"c1 {"id":1,"t":2,"name":"Ann","vip":true}"#])
    }

    func testTableAndPendingUpdatesSurviveARestart() throws {
        let whole = try JoinHarness(Self.pipeline(type: "left"))
        feedInterleaved(whole)
        let h = try JoinHarness(Self.pipeline(type: "left"))
        h.feed("customers", key: "c1", #"{"name":"Ann","tier":"gold","t":100}"#, ts: 100)
        h.feed("orders", key: "c1", #"{"id":1,"t":50}"#, ts: 50)
        h.restart()  // the update at 100 is still pending here
        h.feed("orders", key: "c1", #"{"id":2,"t":100}"#, ts: 100)
        h.feed("customers", key: "c1", #"{"name":"Bea","tier":"silver","t":200}"#, ts: 200)
        h.feed("customers", key: "c1", nil, ts: 300)
        h.restart()
        h.feed("orders", key: "c1", #"{"id":3,"t":250}"#, ts: 250)
        h.feed("orders", key: "c1", #"{"id":4,"t":300}"#, ts: 300)
        h.feed("orders", key: "c2", #"{"id":5,"t":310}"#, ts: 310)
        h.finish()
        XCTAssertEqual(h.lines("out"), whole.lines("out"))
    }

    /// Partial decoding (only the fields read, added fields spliced in) gives what whole values give.
    func testPartialDecodingGivesTheSameOutput() throws {
        let yaml = Self.pipeline(type: "left") + "\ndead_letter: {topic: dlq}\n"
        let spec = try XCTUnwrap(PipelineLoader.load(text: yaml, file: "test.yaml", baseDirectory: ".").spec)
        let plan = try EnginePlan(spec: spec)
        let partial = Engine(plan: plan), whole = Engine(plan: plan, options: EngineOptions(partialDecoding: false))
        XCTAssertTrue(partial.decodesPartially)
        let inputs: [(String, String, String?)] = [
            ("customers", "c1", #"{"name":"Ann","tier":"gold","t":0}"#),
            ("orders", "c1", #"{"id":1,"t":5,"note":"x"}"#),
            ("orders", "c1", #"{"id":2,"name":"old","t":6}"#),  // has a joined field: replaced in place
            ("orders", "c2", #"{ "id" : 3, "t" : 7 }"#),  // not canonical
            ("orders", "c1", "[1]"),
            ("orders", "c1", #"{"id":4}"#),  // no event time
        ]
        for (index, input) in inputs.enumerated() {
            let record = Record(
                topic: input.0, partition: 0, offset: Int64(index), timestamp: 0, key: Array(input.1.utf8),
                value: input.2.map { Array($0.utf8) })
            partial.process(record)
            whole.process(record)
        }
        let a = partial.takeOutputs().map { "\($0.record.topic) \(String(decoding: $0.record.value ?? [], as: UTF8.self))" }
        let b = whole.takeOutputs().map { "\($0.record.topic) \(String(decoding: $0.record.value ?? [], as: UTF8.self))" }
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.first, #"out {"id":1,"t":5,"note":"x","name":"Ann","vip":true}"#)
        XCTAssertEqual(a.count, 5)
    }

    /// The table is versioned: a record older than an update already read sees the row as of
    /// its own event time, whatever order the topics are read in.
    func testOutOfOrderRecordsSeeTheRowAsOfTheirEventTime() throws {
        let h = try JoinHarness(Self.pipeline(type: "left"))
        h.feed("customers", key: "c1", #"{"name":"Ann","tier":"gold","t":100}"#, ts: 100)
        h.feed("customers", key: "c1", #"{"name":"Bea","tier":"gold","t":200}"#, ts: 200)
        h.feed("orders", key: "c1", #"{"id":1,"t":250}"#, ts: 250)
        h.feed("orders", key: "c1", #"{"id":2,"t":150}"#, ts: 150)
        h.feed("orders", key: "c1", #"{"id":3,"t":50}"#, ts: 50)
        // The same update read again (a restarted run re-reads the table topic) changes nothing.
        h.feed("customers", key: "c1", #"{"name":"Ann","tier":"gold","t":100}"#, ts: 100)
        h.feed("orders", key: "c1", #"{"id":4,"t":260}"#, ts: 260)
        XCTAssertEqual(h.lines("out").map { $0.components(separatedBy: "\"name\":")[1].prefix(5) }, [
            #""Bea""#, #""Ann""#, "null,", #""Bea""#,
        ])
    }

    /// Versions older than `history` before stream time are dropped once a newer one is valid.
    func testHistoryBoundsTheVersionsKept() throws {
        let yaml = Self.pipeline(type: "left").replacingOccurrences(of: "type: left", with: "type: left\n      history: 100ms")
        let h = try JoinHarness(yaml)
        h.feed("customers", key: "c1", #"{"name":"Ann","tier":"gold","t":100}"#, ts: 100)
        h.feed("customers", key: "c1", #"{"name":"Bea","tier":"gold","t":200}"#, ts: 200)
        h.feed("orders", key: "c1", #"{"id":1,"t":150}"#, ts: 150)  // stream time 150: Ann kept
        h.feed("orders", key: "c1", #"{"id":2,"t":1000}"#, ts: 1000)  // cutoff 900: Ann dropped
        h.feed("orders", key: "c1", #"{"id":3,"t":150}"#, ts: 150)
        XCTAssertEqual(h.lines("out").map { $0.components(separatedBy: "\"name\":")[1].prefix(5) }, [
            #""Ann""#, #""Bea""#, "null,",
        ])
        XCTAssertEqual(h.engine.snapshot().entries.filter { $0.kind == .tableRow }.count, 1)
    }
}
