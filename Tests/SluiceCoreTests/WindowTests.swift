import SluiceCore
import XCTest

/// Every window type against windows computed by hand.
final class WindowTests: XCTestCase {
    private let counts = "aggregates: {count: count(), sum: sum(v)}"

    func testTumblingClosesWhenStreamTimePassesEndPlusGrace() throws {
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\ngrace: 2s\nkey: k\n\(counts)"))
        h.feed(#"{"k":"A","t":1000,"v":1}"#)
        h.feed(#"{"k":"A","t":5000,"v":2}"#)
        h.feed(#"{"k":"A","t":11999,"v":3}"#)
        XCTAssertEqual(h.values("out"), [], "10000 + 2000 > 11999: still open")
        h.feed(#"{"k":"B","t":9000,"v":4}"#)  // within grace
        h.feed(#"{"k":"A","t":12000,"v":5}"#)
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":0,"window_end":10000,"count":2,"sum":3}"#,
            #"{"k":"B","window_start":0,"window_end":10000,"count":1,"sum":4}"#,
        ])
        h.finish()
        XCTAssertEqual(h.values("out").dropFirst(2), [
            #"{"k":"A","window_start":10000,"window_end":20000,"count":2,"sum":8}"#,
        ])
        XCTAssertEqual(h.records("out").map(\.timestamp), [9999, 9999, 19999])
        XCTAssertEqual(h.records("out").map { String(decoding: $0.key ?? [], as: UTF8.self) }, ["A", "B", "A"])
    }

    func testLateRecordGoesUnchangedToLateTopic() throws {
        // Declared keyed by k, so no repartition topic re-keys it (see RepartitionEngineTests).
        var h = try EngineHarness(windowPipeline(
            "type: tumbling\nsize: 10s\ngrace: 2s\nkey: k\n\(counts)\nlate_topic: late")
            .replacingOccurrences(of: "  topics: [in]", with: "  topics: [in]\n  keyed_by: k"))
        h.feed(#"{"k":"A","t":1000,"v":1}"#, key: "x", ts: 77)
        h.feed(#"{"k":"A","t":13000,"v":2}"#)
        h.feed(#"{"k":"A", "t":5000, "v":3}"#, key: "y", ts: 78)  // [0, 10000) closed at 12000
        XCTAssertEqual(h.values("late"), [#"{"k":"A", "t":5000, "v":3}"#], "bytes unchanged")
        XCTAssertEqual(h.records("late").first?.key, Array("y".utf8))
        XCTAssertEqual(h.records("late").first?.timestamp, 78)
        h.finish()
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":0,"window_end":10000,"count":1,"sum":1}"#,
            #"{"k":"A","window_start":10000,"window_end":20000,"count":1,"sum":2}"#,
        ])
        XCTAssertEqual(h.engine.stats.lateRouted, 1)
    }

    func testLateRecordWithoutLateTopicIsDroppedAndCounted() throws {
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\nkey: k\n\(counts)"))
        h.feed(#"{"k":"A","t":10000,"v":1}"#)
        h.feed(#"{"k":"A","t":9999,"v":2}"#)
        h.finish()
        XCTAssertEqual(h.engine.stats.lateDropped, 1)
        XCTAssertEqual(h.values("out"), [#"{"k":"A","window_start":10000,"window_end":20000,"count":1,"sum":1}"#])
    }

    func testHoppingRecordBelongsToEveryOverlappingWindow() throws {
        var h = try EngineHarness(windowPipeline("type: hopping\nsize: 10s\nadvance: 5s\nkey: k\n\(counts)"))
        h.feed(#"{"k":"A","t":7000,"v":1}"#)  // [0,10000) and [5000,15000)
        h.feed(#"{"k":"A","t":12000,"v":2}"#)  // [5000,15000) and [10000,20000); closes [0,10000)
        XCTAssertEqual(h.values("out"), [#"{"k":"A","window_start":0,"window_end":10000,"count":1,"sum":1}"#])
        h.feed(#"{"k":"A","t":-1000,"v":4}"#)  // [-10000,0) closed, [-5000,5000) closed at 12000: late
        XCTAssertEqual(h.engine.stats.lateDropped, 1)
        h.finish()
        XCTAssertEqual(h.values("out").dropFirst(), [
            #"{"k":"A","window_start":5000,"window_end":15000,"count":2,"sum":3}"#,
            #"{"k":"A","window_start":10000,"window_end":20000,"count":1,"sum":2}"#,
        ])
    }

    func testHoppingNegativeTimesAlignToTheEpoch() throws {
        var h = try EngineHarness(windowPipeline("type: hopping\nsize: 3s\nadvance: 1s\nkey: k\naggregates: {count: count()}"))
        h.feed(#"{"k":"A","t":-1500}"#)
        h.finish()
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":-4000,"window_end":-1000,"count":1}"#,
            #"{"k":"A","window_start":-3000,"window_end":0,"count":1}"#,
            #"{"k":"A","window_start":-2000,"window_end":1000,"count":1}"#,
        ])
    }

    func testSessionsExtendAndMergeWhenARecordBridgesThem() throws {
        var h = try EngineHarness(windowPipeline(
            "type: session\ngap: 5s\ngrace: 10s\nkey: k\naggregates: {count: count(), first: first(v), last: last(v)}"),
            trace: true)
        h.feed(#"{"k":"A","t":0,"v":1}"#)  // [0, 5000)
        h.feed(#"{"k":"A","t":3000,"v":2}"#)  // extends to [0, 8000)
        h.feed(#"{"k":"A","t":12000,"v":3}"#)  // 12000 >= 8000: a new session [12000, 17000)
        h.feed(#"{"k":"B","t":9000,"v":9}"#)
        h.feed(#"{"k":"A","t":7500,"v":4}"#)  // [7500, 12500) overlaps both: merged into [0, 17000)
        let trace = h.engine.takeTrace()
        XCTAssertTrue(trace.contains {
            if case .windowsMerged(_, .string("A"), let merged, let into, _) = $0 {
                return merged.count == 2 && into == WindowBounds(start: 0, end: 17000)
            }
            return false
        })
        h.finish()
        XCTAssertEqual(h.values("out"), [
            #"{"k":"B","window_start":9000,"window_end":14000,"count":1,"first":9,"last":9}"#,
            #"{"k":"A","window_start":0,"window_end":17000,"count":4,"first":1,"last":4}"#,
        ])
    }

    func testSessionClosesAfterGapPlusGraceAndLateRecordsAreDetected() throws {
        var h = try EngineHarness(windowPipeline("type: session\ngap: 5s\nkey: k\naggregates: {count: count()}"))
        h.feed(#"{"k":"A","t":0}"#)
        h.feed(#"{"k":"A","t":4999}"#)  // [0, 9999)
        h.feed(#"{"k":"A","t":9999}"#)  // not within gap: new session; stream time 9999 closes [0, 9999)
        XCTAssertEqual(h.values("out"), [#"{"k":"A","window_start":0,"window_end":9999,"count":2}"#])
        h.feed(#"{"k":"A","t":100}"#)  // [100, 5100) closed, no open session overlaps it: late
        XCTAssertEqual(h.engine.stats.lateDropped, 1)
        h.feed(#"{"k":"A","t":6000}"#)  // overlaps the open [9999, 14999): joins it
        h.finish()
        XCTAssertEqual(h.values("out").last, #"{"k":"A","window_start":6000,"window_end":14999,"count":2}"#)
    }

    func testSlidingWindowsFollowKafkaStreams() throws {
        var h = try EngineHarness(windowPipeline("type: sliding\nsize: 10s\ngrace: 1m\nkey: k\naggregates: {count: count(), sum: sum(v)}"))
        h.feed(#"{"k":"A","t":1000,"v":1}"#)
        h.feed(#"{"k":"A","t":6000,"v":2}"#)
        h.feed(#"{"k":"A","t":14000,"v":4}"#)
        h.feed(#"{"k":"A","t":5000,"v":8}"#)  // out of order
        h.finish()
        // Left windows [t - 10000, t] of 1000, 5000, 6000, 14000; right windows [t + 1, t + 10001]
        // of 1000, 5000, 6000 (each has a later record within 10 s). End printed exclusive.
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":-9000,"window_end":1001,"count":1,"sum":1}"#,
            #"{"k":"A","window_start":-5000,"window_end":5001,"count":2,"sum":9}"#,
            #"{"k":"A","window_start":-4000,"window_end":6001,"count":3,"sum":11}"#,
            #"{"k":"A","window_start":1001,"window_end":11002,"count":2,"sum":10}"#,
            #"{"k":"A","window_start":4000,"window_end":14001,"count":3,"sum":14}"#,
            #"{"k":"A","window_start":5001,"window_end":15002,"count":2,"sum":6}"#,
            #"{"k":"A","window_start":6001,"window_end":16002,"count":1,"sum":4}"#,
        ])
    }

    func testSlidingLateRecord() throws {
        var h = try EngineHarness(windowPipeline("type: sliding\nsize: 10s\nkey: k\naggregates: {count: count()}"))
        h.feed(#"{"k":"A","t":20000}"#)
        h.feed(#"{"k":"A","t":9999}"#)  // [9999, 19999] ends at 20000 exclusive: closed
        // [10000, 20000] is still open: joins the left window of 20000, and its own right window
        // [10001, 20001] holds the later record 20000.
        h.feed(#"{"k":"A","t":10000}"#)
        h.finish()
        XCTAssertEqual(h.engine.stats.lateDropped, 1)
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":10000,"window_end":20001,"count":2}"#,
            #"{"k":"A","window_start":10001,"window_end":20002,"count":1}"#,
        ])
    }

    func testEmitUpdateEmitsEveryChangeAndNothingAtClose() throws {
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\nkey: k\n\(counts)\nemit: update"))
        h.feed(#"{"k":"A","t":1000,"v":1}"#)
        h.feed(#"{"k":"A","t":2000,"v":2}"#)
        h.feed(#"{"k":"A","t":15000,"v":3}"#)
        h.finish()
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":0,"window_end":10000,"count":1,"sum":1}"#,
            #"{"k":"A","window_start":0,"window_end":10000,"count":2,"sum":3}"#,
            #"{"k":"A","window_start":10000,"window_end":20000,"count":1,"sum":3}"#,
        ])
        XCTAssertEqual(h.engine.stats.windowsClosed, 2)
    }

    func testEndOfInputEmitsInWindowEndThenKeyOrder() throws {
        var h = try EngineHarness(windowPipeline("type: tumbling\nsize: 10s\ngrace: 1h\nkey: k\naggregates: {count: count()}"))
        for (k, t) in [("b", 15000), ("a", 16000), ("é", 1000), ("\"q\"", 2000), ("a", 3000), ("B", 4000)] {
            h.feed(#"{"k":"\#(k.replacingOccurrences(of: "\"", with: "\\\""))","t":\#(t)}"#)
        }
        h.finish()
        XCTAssertEqual(h.records("out").map { String(decoding: $0.key ?? [], as: UTF8.self) }, ["\"q\"", "B", "a", "é", "a", "b"])
    }
}

/// A window fed by another window keeps its own stream time.
final class WindowChainTests: XCTestCase {
    func testWindowAfterWindowCountsEveryResult() throws {
        var h = try EngineHarness("""
            pipeline: chain
            source:
              topics: [in]
              event_time: {field: t, unit: milliseconds}
            steps:
              - window: {type: tumbling, size: 10s, key: k, aggregates: {n: count()}}
              - window: {type: tumbling, size: 1m, key: k, aggregates: {windows: count(), records: sum(n)}}
            sinks:
              - topic: out
            """)
        for t in [1000, 2000, 15000, 25000, 61000] { h.feed(#"{"k":"A","t":\#(t)}"#) }
        h.finish()
        XCTAssertEqual(h.values("out"), [
            #"{"k":"A","window_start":0,"window_end":60000,"windows":3,"records":4}"#,
            #"{"k":"A","window_start":60000,"window_end":120000,"windows":1,"records":1}"#,
        ])
        XCTAssertEqual(h.engine.stats.lateCount, 0)
    }
}
