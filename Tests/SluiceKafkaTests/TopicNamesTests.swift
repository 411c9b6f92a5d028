import XCTest

@testable import SluiceKafka

final class TopicNamesTests: XCTestCase {
    func testKeysAreCopiedExactly() {
        var names = TopicNames()
        var seen: [[UInt8]] = []
        for index in 0..<2000 {
            let bytes: [UInt8] = index % 3 == 0 ? Array("key-\(index % 7)".utf8) : Array("unique-\(index)".utf8)
            let key = bytes.withUnsafeBytes { names.key($0) }
            XCTAssertEqual(key, bytes)
            seen.append(key)
        }
        let empty = [UInt8]().withUnsafeBytes { names.key($0) }
        XCTAssertEqual(empty, [])
        let long = [UInt8](repeating: 65, count: 500)
        XCTAssertEqual(long.withUnsafeBytes { names.key($0) }, long)
        XCTAssertEqual(seen.count, 2000)
    }
}
