import SluiceCore
import SluiceSupport
import XCTest

/// Stream-stream joins (`join`) on hand-computed expectations: within 10 s, grace 2 s, so a
/// record is late when t + 12 s < stream time and leaves the buffers when t + 22 s < stream time.
final class StreamJoinTests: XCTestCase {
    static func pipeline(type: String) -> String {
        """
        pipeline: orders-payments
        sources:
          orders:
            topics: [orders]
            event_time: {field: t, unit: milliseconds}
          payments:
            topics: [payments]
            event_time: {field: t, unit: milliseconds}
        steps:
          - join:
              with: payments
              within: 10s
              grace: 2s
              type: \(type)
              late_topic: late
        sinks:
          - topic: out
        """
    }

    static let o1 = #"{"o":1,"t":10000}"#, p1 = #"{"p":1,"t":20000}"#, pB = #"{"p":2,"t":21000}"#
    static let oB = #"{"o":2,"t":31001}"#, oC = #"{"o":3,"t":60000}"#, pLate = #"{"p":3,"t":47000}"#
    static let pC = #"{"p":4,"t":48000}"#

    func feed(_ h: JoinHarness, restartAt restart: Int = -1) {
        let inputs: [(String, String, String, Int64)] = [
            ("orders", "A", Self.o1, 10000),  // stream time 10000
            ("payments", "A", Self.p1, 20000),  // exactly 10 s later: matches
            ("payments", "B", Self.pB, 21000),
            ("orders", "B", Self.oB, 31001),  // 10.001 s after pB: no match; stream time 21000
            // Payments lag by more than idle_timeout (30 s): stream time 60000; everything with
            // t + 22000 < 60000 leaves: pB (unmatched, right) then oB (unmatched, left).
            ("orders", "C", Self.oC, 60000),
            ("payments", "C", Self.pLate, 47000),  // 47000 + 12000 < 60000: late
            ("payments", "C", Self.pC, 48000),  // 60000 is not < 60000: in time, but 12 s from oC
        ]
        for (index, input) in inputs.enumerated() {
            if index == restart { h.restart() }
            h.feed(input.0, key: input.1, input.2, ts: input.3)
        }
        h.finish()  // pC (48000) then oC (60000) leave unmatched
    }

    static let both = #"A {"orders":{"o":1,"t":10000},"payments":{"p":1,"t":20000},"matched":"both"}"#
    static let rightB = #"B {"orders":null,"payments":{"p":2,"t":21000},"matched":"right"}"#
    static let leftB = #"B {"orders":{"o":2,"t":31001},"payments":null,"matched":"left"}"#
    static let rightC = #"C {"orders":null,"payments":{"p":4,"t":48000},"matched":"right"}"#
    static let leftC = #"C {"orders":{"o":3,"t":60000},"payments":null,"matched":"left"}"#

    func testOuterJoinEmitsMatchesAndBothSidesUnmatched() throws {
        let h = try JoinHarness(Self.pipeline(type: "outer"))
        feed(h)
        XCTAssertEqual(h.lines("out"), [Self.both, Self.rightB, Self.leftB, Self.rightC, Self.leftC])
        XCTAssertEqual(h.lines("late"), ["C " + Self.pLate])
        XCTAssertEqual(h.produced.first { $0.topic == "out" }?.timestamp, 20000)
    }

    func testLeftJoinEmitsUnmatchedStreamRecords() throws {
        let h = try JoinHarness(Self.pipeline(type: "left"))
        feed(h)
        XCTAssertEqual(h.lines("out"), [Self.both, Self.leftB, Self.leftC])
    }

    func testInnerJoinEmitsMatchesOnly() throws {
        let h = try JoinHarness(Self.pipeline(type: "inner"))
        feed(h)
        XCTAssertEqual(h.lines("out"), [Self.both])
        XCTAssertEqual(h.engine.stats.lateRouted, 1)
    }

    func testRecordsExactlyWithinApartMatchInEitherOrder() throws {
        let h = try JoinHarness(Self.pipeline(type: "inner"))
        h.feed("payments", key: "K", #"{"p":9,"t":0}"#, ts: 0)
        h.feed("orders", key: "K", #"{"o":9,"t":10000}"#, ts: 10000)  // the payment is 10 s earlier
        h.feed("orders", key: "K", #"{"o":10,"t":10001}"#, ts: 10001)  // 10.001 s: no
        h.finish()
        XCTAssertEqual(h.lines("out"), [#"K {"orders":{"o":9,"t":10000},"payments":{"p":9,"t":0},"matched":"both"}"#])
    }

    func testBuffersSurviveRestartsAtEveryPoint() throws {
        for restart in 1..<7 {
            let h = try JoinHarness(Self.pipeline(type: "outer"))
            feed(h, restartAt: restart)
            XCTAssertEqual(h.lines("out"), [Self.both, Self.rightB, Self.leftB, Self.rightC, Self.leftC], "restart at \(restart)")
        }
    }

    func testSelfJoinPairsEachRecordWithItselfAndOthersInBothRoles() throws {
        let h = try JoinHarness("""
            pipeline: self
            source:
              topics: [clicks]
              event_time: {field: t, unit: milliseconds}
            steps:
              - join: {with: source, as: other, within: 5s}
            sinks:
              - topic: out
            """)
        h.feed("clicks", key: "u", #"{"t":0}"#)
        h.feed("clicks", key: "u", #"{"t":3000}"#)
        h.finish()
        XCTAssertEqual(h.lines("out"), [
            #"u {"source":{"t":0},"other":{"t":0},"matched":"both"}"#,
            #"u {"source":{"t":3000},"other":{"t":0},"matched":"both"}"#,
            #"u {"source":{"t":3000},"other":{"t":3000},"matched":"both"}"#,
            #"u {"source":{"t":0},"other":{"t":3000},"matched":"both"}"#,
        ])
    }
}
