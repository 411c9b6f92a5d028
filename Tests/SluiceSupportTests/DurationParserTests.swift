import XCTest
import SluiceSupport

final class DurationParserTests: XCTestCase {
    func testUnits() {
        XCTAssertEqual(DurationParser.milliseconds("250ms"), 250)
        XCTAssertEqual(DurationParser.milliseconds("60s"), 60_000)
        XCTAssertEqual(DurationParser.milliseconds("5m"), 300_000)
        XCTAssertEqual(DurationParser.milliseconds("1h"), 3_600_000)
        XCTAssertEqual(DurationParser.milliseconds("1d"), 86_400_000)
        XCTAssertEqual(DurationParser.milliseconds("0s"), 0)
        XCTAssertEqual(DurationParser.milliseconds("0ms"), 0)
        XCTAssertEqual(DurationParser.milliseconds("0"), 0)
    }

    func testFractionsAndCombinations() {
        XCTAssertEqual(DurationParser.milliseconds("1.5s"), 1_500)
        XCTAssertEqual(DurationParser.milliseconds("0.25h"), 900_000)
        XCTAssertEqual(DurationParser.milliseconds("1.500s"), 1_500)
        XCTAssertEqual(DurationParser.milliseconds("2.0m"), 120_000)
        XCTAssertEqual(DurationParser.milliseconds("1h30m"), 5_400_000)
        XCTAssertEqual(DurationParser.milliseconds("1d2h3m4s5ms"), 93_784_005)
        XCTAssertEqual(DurationParser.milliseconds("1m0.5s"), 60_500)
        XCTAssertEqual(DurationParser.milliseconds("0.0000003125d"), 27)
    }

    func testRejects() {
        for text in [
            "", "60", "-5s", "+5s", "60 parsecs", "60parsecs", "5 m", " 5m", "5m ", "5M", "1.5ms", "0.0001s",
            ".5s", "5.s", "s", "ms", "1m1h", "1m1m", "1h30", "1w", "1e3s", "--", "1__s", "١s",
        ] {
            XCTAssertNil(DurationParser.milliseconds(text), text)
        }
    }

    func testRejectsOverflow() {
        XCTAssertEqual(DurationParser.milliseconds("9223372036854775807ms"), Int64.max)
        XCTAssertNil(DurationParser.milliseconds("9223372036854775808ms"))
        XCTAssertNil(DurationParser.milliseconds("106751991167301d"))
        XCTAssertNil(DurationParser.milliseconds("99999999999999999999999s"))
        XCTAssertNil(DurationParser.milliseconds("106751991167d9223372036854775807ms"))
        XCTAssertNil(DurationParser.milliseconds("1.1234567890123456789s"))
    }

    func testDescribe() {
        XCTAssertEqual(DurationParser.describe(0), "0s")
        XCTAssertEqual(DurationParser.describe(250), "250ms")
        XCTAssertEqual(DurationParser.describe(1_000), "1s")
        XCTAssertEqual(DurationParser.describe(1_500), "1s500ms")
        XCTAssertEqual(DurationParser.describe(60_000), "1m")
        XCTAssertEqual(DurationParser.describe(90_000), "1m30s")
        XCTAssertEqual(DurationParser.describe(5_400_000), "1h30m")
        XCTAssertEqual(DurationParser.describe(86_400_000), "1d")
        XCTAssertEqual(DurationParser.describe(-60_000), "-1m")
        XCTAssertEqual(DurationParser.describe(Int64.min), "-106751991167d7h12m55s808ms")
    }

    func testDescribeRoundTrips() {
        for ms: Int64 in [1, 999, 1_000, 59_999, 60_001, 3_599_999, 86_400_001, 123_456_789_012, Int64.max] {
            XCTAssertEqual(DurationParser.milliseconds(DurationParser.describe(ms)), ms)
        }
    }
}
