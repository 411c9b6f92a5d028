@testable import SluiceCore
import SluiceSupport
import XCTest

/// Outputs keep their bytes in one arena per drain: every output must come out as it went in,
/// and bytes handed out in place must stay readable while the buffer grows under them.
final class OutputBufferTests: XCTestCase {
    private func bytes(_ n: Int, _ seed: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) } }

    func testOutputsComeOutAsTheyWentIn() {
        let buffer = OutputBuffer(capacity: 1, byteCapacity: 1)
        var expected: [EngineOutput] = []
        for i in 0..<500 {
            let record = Record(
                topic: ["a", "b", "a-much-longer-topic-name"][i % 3], partition: i % 7 == 0 ? Int32(i % 5) : -1, offset: -1,
                timestamp: Int64(i) * 1000 - 7, key: i % 4 == 0 ? nil : bytes(i % 4 == 1 ? 0 : i % 40, i),
                headers: i % 6 == 0 ? [Header("n", "\(i)"), Header(name: "null", value: nil), Header(name: "empty", value: [])] : [],
                value: i % 5 == 0 ? nil : bytes(i % 5 == 1 ? 0 : i * 3, i + 1))
            expected.append(EngineOutput(record: record, cause: Int64(i / 2)))
            buffer.append(expected[i])
        }
        XCTAssertEqual(buffer.count, 500)
        let taken = buffer.takeAll()
        XCTAssertEqual(taken.map(\.record), expected.map(\.record))
        XCTAssertEqual(taken.map(\.cause), expected.map(\.cause))
        XCTAssertEqual(buffer.count, 0)
        // An empty key or value stays empty, not nil (a tombstone), and the other way round.
        XCTAssertEqual(taken[1].record.key, [])
        XCTAssertNil(taken[0].record.key)
        XCTAssertEqual(taken[1].record.value, [])
        XCTAssertNil(taken[5].record.value)
        // The buffer is reused after a drain.
        buffer.append(expected[42])
        var drained: [EngineOutput] = []
        buffer.drain { drained.append($0) }
        XCTAssertEqual(drained.map(\.record), [expected[42].record])
    }

    func testBorrowedBytesStayReadableWhileOutputsAreAddedDuringTheDrain() {
        let buffer = OutputBuffer(capacity: 2, byteCapacity: 64)
        for i in 0..<3 { buffer.append(topic: "t", partition: -1, key: bytes(8, i), headers: [], value: bytes(20, i), timestamp: 1, cause: 0) }
        var seen: [[UInt8]] = []
        var added = false
        buffer.drainBorrowed { output in
            let before = output.value.map { Array($0) }
            if !added {
                // Feeding the engine from a drain adds outputs: the arena grows and moves.
                added = true
                for j in 0..<200 {
                    buffer.append(topic: "u", partition: 3, key: nil, headers: [], value: bytes(300, j), timestamp: 2, cause: 1)
                }
            }
            XCTAssertEqual(output.value.map { Array($0) }, before, "bytes handed out changed under the drain")
            seen.append(Array(output.value ?? UnsafeBufferPointer(start: nil, count: 0)))
        }
        XCTAssertEqual(seen.count, 203, "outputs added during a drain are drained too")
        XCTAssertEqual(Array(seen[0..<3]), (0..<3).map { bytes(20, $0) })
        XCTAssertEqual(seen[202], bytes(300, 199))
        XCTAssertEqual(buffer.count, 0)
    }

    func testAnArenaGrownByABurstGoesBackToItsSizeAfterTheDrain() {
        let buffer = OutputBuffer()
        let start = buffer.byteCapacity
        for j in 0..<100 { buffer.append(topic: "t", partition: -1, key: nil, headers: [], value: bytes(100_000, j), timestamp: 0, cause: 0) }
        XCTAssertGreaterThan(buffer.byteCapacity, 1 << 22)
        buffer.drainBorrowed { _ in }
        buffer.append(topic: "t", partition: -1, key: nil, headers: [], value: bytes(10, 0), timestamp: 0, cause: 0)
        buffer.drainBorrowed { _ in }
        XCTAssertEqual(buffer.byteCapacity, start, "a small drain after the burst gives the memory back")
    }

    /// The Kafka path and the benchmark take outputs borrowed; tests and dry-run as records.
    func testBorrowedAndOwnedDrainsGiveTheSameOutputs() throws {
        let plan = try EngineDifferential.plan(yaml: """
            pipeline: p
            source: { topics: [input-topic] }
            steps:
              - map: { set: { doubled: value * 2 } }
              - to: { topic: mapped }
              - aggregate: { key: category, every: 3, aggregates: { n: count(), avg: avg(value) } }
            sinks: [{ topic: out }, { topic: copy }]
            """)
        let records = try EngineDifferential.tutorialSample() + [Record(topic: "input-topic", key: [], value: [])]
        var owned: [EngineOutput] = []
        var borrowed: [EngineOutput] = []
        let first = Engine(plan: plan), second = Engine(plan: plan)
        for (i, record) in records.enumerated() {
            first.process(record)
            second.process(record)
            if i % 5 == 0 {
                first.drainOutputs { owned.append($0) }
                second.drainBorrowedOutputs { borrowed.append($0.output) }
            }
        }
        first.finish()
        second.finish()
        owned += first.takeOutputs()
        second.drainBorrowedOutputs { borrowed.append($0.output) }
        XCTAssertGreaterThan(owned.count, records.count)
        XCTAssertEqual(borrowed.map(\.record), owned.map(\.record))
        XCTAssertEqual(borrowed.map(\.cause), owned.map(\.cause))
    }
}
