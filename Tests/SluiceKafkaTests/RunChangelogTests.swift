import SluiceCore
import SluiceSupport
import XCTest

@testable import SluiceKafka

/// Changelog writes are the changes since the last write, tombstones included, and reading
/// them back restores the same state.
final class RunChangelogTests: XCTestCase {
    /// Another group running the same pipeline must not restore this group's state or positions.
    func testTopicsAreNamedAfterTheGroup() throws {
        let (_, plan) = try RunTestSupport.load("pipelines/category-windows.yaml")
        XCTAssertEqual(Changelog(group: "nightly", plan: plan, inputPartitions: 3).topics.map(\.name), ["nightly-0-window-changelog"])
    }

    func testChangesRoundTripThroughRecords() throws {
        let (spec, plan) = try RunTestSupport.load("pipelines/category-windows.yaml")
        let changelog = Changelog(group: spec.source.group, plan: plan, inputPartitions: 3)
        XCTAssertEqual(changelog.topics.map(\.name), ["category-windows-0-window-changelog"])
        XCTAssertTrue(changelog.isAligned)

        let engine = Engine(plan: plan, options: EngineOptions(clock: .wallClock))
        func reading(_ id: Int, _ time: Int64, _ category: String, partition: Int32) -> Record {
            Record(
                topic: "input-topic", partition: partition, timestamp: time * 1000, key: Array(category.utf8),
                value: Array(#"{"id":\#(id),"timestamp":\#(time),"value":\#(id),"category":"\#(category)"}"#.utf8))
        }
        engine.process([reading(1, 1000, "A", partition: 0), reading(2, 1010, "B", partition: 0)], wallTime: 1)
        var writes = changelog.changes(to: engine.snapshot(), owned: [0, 1, 2])
        XCTAssertEqual(writes.filter { $0.key != Changelog.streamTimeKey }.count, 2)
        XCTAssertEqual(writes.filter { $0.key == Changelog.streamTimeKey }.map(\.partition), [0, 1, 2])
        XCTAssertTrue(changelog.changes(to: engine.snapshot(), owned: [0, 1, 2]).isEmpty, "nothing changed")

        // A's window gets another record; then stream time passes both windows' end + grace.
        engine.process(reading(3, 1015, "A", partition: 0), wallTime: 2)
        writes += changelog.changes(to: engine.snapshot(), owned: [0, 1, 2])
        let beforeClose = engine.snapshot()
        engine.process(reading(4, 2000, "C", partition: 0), wallTime: 3)
        let closing = changelog.changes(to: engine.snapshot(), owned: [0, 1, 2])
        XCTAssertEqual(closing.filter { $0.value == nil }.count, 2, "closed windows become tombstones")
        writes += closing

        // Reading every write back gives the state after the last one.
        let records = writes.enumerated().map { index, write in
            Record(topic: write.topic, partition: write.partition, offset: Int64(index), key: write.key, value: write.value)
        }
        let fresh = Changelog(group: spec.source.group, plan: plan, inputPartitions: 3)
        let restored = fresh.absorb(records)
        XCTAssertEqual(restored.unreadable, 0)
        XCTAssertEqual(restored.state.entries, engine.snapshot().entries)
        XCTAssertEqual(restored.state.streamTime, engine.streamTime)
        XCTAssertNotEqual(restored.state.entries, beforeClose.entries)
        XCTAssertTrue(fresh.changes(to: engine.snapshot(), owned: [0, 1, 2]).isEmpty, "a restore knows what is written")

        // A failed write is sent again with the current value, and a failed tombstone again.
        let open = try XCTUnwrap(writes.last { $0.value != nil && $0.key != Changelog.streamTimeKey })
        XCTAssertTrue(fresh.invalidate(Record(topic: open.topic, partition: open.partition, key: open.key, value: open.value)))
        XCTAssertFalse(fresh.invalidate(Record(topic: "output-topic", key: [1], value: [1])))
        let again = fresh.changes(to: engine.snapshot(), owned: [0, 1, 2])
        XCTAssertEqual(again.count, 1)
        XCTAssertEqual(again.first?.key, open.key)
    }
}
