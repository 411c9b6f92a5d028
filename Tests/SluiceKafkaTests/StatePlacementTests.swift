@testable import SluiceKafka
import XCTest

/// The warning for state whose input partition another instance owns (no repartition topics).
final class StatePlacementTests: XCTestCase {
    private func write(_ partition: Int32, key: [UInt8] = Array(#"[2,"agg","A",null,null]"#.utf8), value: [UInt8]? = [1]) -> Changelog.Write {
        Changelog.Write(topic: "p-2-aggregate-changelog", partition: partition, key: key, value: value)
    }

    func testStateOutsideTheOwnedPartitionsIsFound() {
        let writes = [write(0), write(2)]
        XCTAssertEqual(StatePlacement.misplaced(writes, owned: [0, 1], inputPartitions: 3, aligned: true)?.partition, 2)
    }

    func testOwnedStateTombstonesAndMarkersAreFine() {
        let writes = [write(0), write(2, value: nil), write(2, key: Changelog.streamTimeKey)]
        XCTAssertNil(StatePlacement.misplaced(writes, owned: [0, 1], inputPartitions: 3, aligned: true))
    }

    func testOneInstanceOwningEveryPartitionOrUnalignedChangelogsNeverWarn() {
        let writes = [write(2)]
        XCTAssertNil(StatePlacement.misplaced(writes, owned: [0, 1, 2], inputPartitions: 3, aligned: true))
        XCTAssertNil(StatePlacement.misplaced(writes, owned: [0], inputPartitions: 3, aligned: false))
        XCTAssertNil(StatePlacement.misplaced(writes, owned: [], inputPartitions: 3, aligned: true))
    }
}
