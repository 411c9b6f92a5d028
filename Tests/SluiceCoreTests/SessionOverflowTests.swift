import SluiceCore
import SluiceSupport
import XCTest

/// A record bridging two sessions whose sums together pass the largest number is an error
/// record, as a record that makes one sum do so: the sessions stay as they were.
final class SessionOverflowTests: XCTestCase {
    func testMergingSessionsPastTheLargestNumberIsAnErrorRecord() throws {
        var h = try EngineHarness(windowPipeline("type: session\ngap: 5s\ngrace: 10s\nkey: k\naggregates: {total: sum(v), mean: avg(v), n: count()}"))
        h.feed(#"{"k":"A","t":0,"v":1e308}"#)
        h.feed(#"{"k":"A","t":3000,"v":0}"#)  // [0, 8000)
        h.feed(#"{"k":"A","t":12000,"v":1e308}"#)  // [12000, 17000)
        h.feed(#"{"k":"A","t":7500,"v":0}"#)  // bridges both: 2e308 is past the largest double
        XCTAssertEqual(h.engine.stats.errorCount, 1, "\(h.engine.stats.errors)")
        h.finish()
        let out = h.values("out")
        XCTAssertEqual(out.count, 2, "\(out)")
        XCTAssertFalse(out.contains { $0.contains("inf") || $0.contains("null") }, "\(out)")
        XCTAssertTrue(out.first?.contains(#""window_start":0,"window_end":8000"#) ?? false, "\(out)")
        XCTAssertTrue(out.first?.contains(#""n":2"#) ?? false, "\(out)")
        XCTAssertTrue(out.last?.contains(#""window_start":12000,"window_end":17000"#) ?? false, "\(out)")
        XCTAssertTrue(out.last?.contains(#""n":1"#) ?? false, "\(out)")
    }

    /// A sliding window created over two huge records, or one record joining them, is the same.
    func testSlidingWindowPastTheLargestNumberIsAnErrorRecord() throws {
        var h = try EngineHarness(windowPipeline("type: sliding\nsize: 5s\ngrace: 0s\nkey: k\naggregates: {total: sum(v), n: count()}"))
        h.feed(#"{"k":"A","t":0,"v":1e308}"#)
        h.feed(#"{"k":"A","t":1000,"v":1e308}"#)  // its left window [-4000, 1000] holds both: too big
        XCTAssertEqual(h.engine.stats.errorCount, 1, "\(h.engine.stats.errors)")
        h.feed(#"{"k":"A","t":2000,"v":1}"#)
        h.finish()
        let out = h.values("out")
        XCTAssertFalse(out.isEmpty)
        XCTAssertFalse(out.contains { $0.contains("inf") || $0.contains("null") }, "\(out)")
        XCTAssertTrue(out.allSatisfy { !$0.contains(#""n":3"#) }, "the failed record must not count: \(out)")
    }
}
