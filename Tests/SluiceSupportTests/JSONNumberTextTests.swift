import XCTest

@testable import SluiceSupport

/// The number writers' fast paths give exactly the text of the general ones.
final class JSONNumberTextTests: XCTestCase {
    private func expectedText(_ number: Double) -> String {
        number.isFinite ? number.description : "null"
    }

    private func checkDouble(_ number: Double, file: StaticString = #filePath, line: UInt = #line) {
        var bytes: [UInt8] = []
        JSON.writeDouble(number, into: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), expectedText(number), "\(number.bitPattern)", file: file, line: line)
        XCTAssertEqual(JSON.serialize(.double(number)), Array(expectedText(number).utf8), file: file, line: line)
    }

    func testDoublesMatchDescription() {
        let fixed: [Double] = [
            0, -0.0, 38.0, 50.4, 47.333333333333336, 0.1, 0.001, 0.0015, 0.0001, 0.00099, 1e15, 999_999_999_999_999.9,
            1e14, 123_456_789_012.345, -2.125, 0.3, 0.7, 2.675, 1.005, 1e-7, 1e16, 4_503_599_627_370_496.5,
            .infinity, -.infinity, .nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 100.25, 1.5e-300,
        ]
        for number in fixed { checkDouble(number) }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            // Averages of integers, decimals of a few places and arbitrary bit patterns.
            let sum = Double(Int64.random(in: -1_000_000_000...1_000_000_000, using: &random))
            checkDouble(sum / Double(Int64.random(in: 1...1000, using: &random)))
            let places = [1.0, 10, 100, 1000, 10000][Int.random(in: 0..<5, using: &random)]
            checkDouble(Double(Int64.random(in: -10_000_000_000...10_000_000_000, using: &random)) / places)
            checkDouble(Double(bitPattern: random.next()))
        }
    }

    func testIntegersMatchDescription() {
        var numbers: [Int64] = [0, 1, -1, 9, 10, 99, 100, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            numbers += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100_000 { numbers.append(Int64(bitPattern: random.next()) >> Int64.random(in: 0..<63, using: &random)) }
        for number in numbers {
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            JSON.writeInteger(number, into: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "x\(number)")
            XCTAssertEqual(JSON.serialize(.int(number)), Array("\(number)".utf8))
        }
    }
}
