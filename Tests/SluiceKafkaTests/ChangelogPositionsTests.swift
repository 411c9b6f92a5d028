import SluiceCore
import SluiceSupport
import XCTest

@testable import SluiceKafka

/// The changelog's markers carry the input positions its state reflects: a restore skips
/// the inputs the state already counts, and markers wait for what they cover.
final class ChangelogPositionsTests: XCTestCase {
    func testMarkersCarryPositionsAndARestoreSkipsCountedInput() throws {
        let (spec, plan) = try RunTestSupport.load("pipelines/category-windows.yaml")
        let changelog = Changelog(group: spec.source.group, plan: plan, inputPartitions: 3)
        let engine = Engine(plan: plan, options: EngineOptions(clock: .wallClock))
        engine.process(
            Record(
                topic: "input-topic", partition: 1, offset: 41, timestamp: 1_000_000, key: Array("A".utf8),
                value: Array(#"{"id":1,"timestamp":1000,"value":1,"category":"A"}"#.utf8)), wallTime: 1)
        let one = TopicPartition(topic: "input-topic", partition: 1)
        changelog.advance([one: 42])
        let writes = changelog.changes(to: engine.snapshot(), owned: [0, 1, 2])
        let markers = writes.filter { $0.key == Changelog.streamTimeKey }
        XCTAssertEqual(markers.map(\.partition), [0, 1, 2])
        let marker = try XCTUnwrap(markers.first { $0.partition == 1 }?.value)
        XCTAssertEqual(String(decoding: marker, as: UTF8.self), #"{"stream_time":1000000,"offsets":[["input-topic",1,42]]}"#)
        // Partition 0's marker holds stream time only: its input was not read.
        XCTAssertFalse(String(decoding: markers[0].value ?? [], as: UTF8.self).contains("offsets"))
        // Nothing changed: no new marker.
        XCTAssertTrue(changelog.changes(to: engine.snapshot(), owned: [0, 1, 2]).isEmpty)

        let records = writes.enumerated().map { index, write in
            Record(topic: write.topic, partition: write.partition, offset: Int64(index), key: write.key, value: write.value)
        }
        let fresh = Changelog(group: spec.source.group, plan: plan, inputPartitions: 3)
        let restored = fresh.absorb(records)
        XCTAssertEqual(restored.positions, [one: 42])
        XCTAssertTrue(fresh.alreadyCounts(one, offset: 40))
        XCTAssertTrue(fresh.alreadyCounts(one, offset: 41))
        XCTAssertFalse(fresh.alreadyCounts(one, offset: 42))
        XCTAssertFalse(fresh.alreadyCounts(one, offset: 41), "once past the position nothing is skipped")
        XCTAssertFalse(fresh.alreadyCounts(TopicPartition(topic: "input-topic", partition: 2), offset: 0))
        XCTAssertTrue(fresh.changes(to: engine.snapshot(), owned: [0, 1, 2]).isEmpty, "a restore knows the markers")
    }

    func testHeldMarkersWaitForWhatTheyCover() throws {
        let (spec, plan) = try RunTestSupport.load("pipelines/category-windows.yaml")
        let changelog = Changelog(group: spec.source.group, plan: plan, inputPartitions: 3)
        let marker = Changelog.Write(topic: changelog.topics[0].name, partition: 1, key: Changelog.streamTimeKey, value: [1])
        changelog.hold([marker], before: 10, cause: 9)
        XCTAssertTrue(changelog.takeReleasableMarkers(minPendingCause: 9).writes.isEmpty, "an input below 10 is unacknowledged")
        let released = changelog.takeReleasableMarkers(minPendingCause: Int64.max)
        XCTAssertEqual(released.writes.map(\.partition), [1])
        XCTAssertEqual(released.cause, 9)
        XCTAssertTrue(changelog.takeReleasableMarkers(minPendingCause: Int64.max).writes.isEmpty)

        // A failed state entry drops held markers: they are written again with the entry.
        changelog.hold([marker], before: 20, cause: 19)
        XCTAssertTrue(changelog.invalidate(Record(topic: marker.topic, partition: 0, key: [1, 2, 3], value: [1])))
        XCTAssertTrue(changelog.takeReleasableMarkers(minPendingCause: Int64.max).writes.isEmpty)
    }
}
