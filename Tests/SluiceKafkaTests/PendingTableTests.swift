import XCTest

@testable import SluiceKafka

final class PendingTableTests: XCTestCase {
    func testConsecutiveIdsSettleInAnyOrder() {
        var table = PendingTable<String>()
        for id in UInt64(1)...5000 { table[id] = "v\(id)" }
        XCTAssertEqual(table.count, 5000)
        XCTAssertEqual(table[2500], "v2500")
        // Out of order: odd ids first, then even ones.
        for id in stride(from: UInt64(1), through: 5000, by: 2) { XCTAssertEqual(table.removeValue(forKey: id), "v\(id)") }
        XCTAssertEqual(table.count, 2500)
        XCTAssertNil(table[1])
        XCTAssertNil(table.removeValue(forKey: 1))
        for id in stride(from: UInt64(2), through: 5000, by: 2) { XCTAssertEqual(table.removeValue(forKey: id), "v\(id)") }
        XCTAssertTrue(table.isEmpty)
        // After emptying, new ids keep working.
        table[5001] = "next"
        XCTAssertEqual(table[5001], "next")
        XCTAssertEqual(table.count, 1)
    }

    func testIdsFarApartOrOlderThanTheWindow() {
        var table = PendingTable<Int>()
        table[100] = 1
        table[100 + PendingTable<Int>.maxGap * 10] = 2  // far ahead: kept aside
        table[7] = 3  // older than the window
        table[101] = 4
        XCTAssertEqual(table.count, 4)
        XCTAssertEqual(table[100 + PendingTable<Int>.maxGap * 10], 2)
        XCTAssertEqual(table[7], 3)
        XCTAssertEqual(Set(table.values), [1, 2, 3, 4])
        XCTAssertEqual(table.removeValue(forKey: 7), 3)
        XCTAssertEqual(table.removeValue(forKey: 100), 1)
        XCTAssertEqual(table.removeValue(forKey: 100 + PendingTable<Int>.maxGap * 10), 2)
        XCTAssertEqual(table[101], 4)
        XCTAssertEqual(table.count, 1)
    }

    func testReplacingAndClearingThroughTheSubscript() {
        var table = PendingTable<Int>()
        table[1] = 10
        table[1] = 11
        XCTAssertEqual(table.count, 1)
        XCTAssertEqual(table[1], 11)
        table[1] = nil
        XCTAssertTrue(table.isEmpty)
        XCTAssertNil(table[1])
    }
}
