import XCTest

@testable import SluiceSupport

final class JSONSpliceTests: XCTestCase {
    /// The spliced text equals writing the extended object in full, for every kind of value,
    /// keys that need escaping, an empty original object, and names seen in another order.
    func testSplicingEqualsWritingTheWholeObject() throws {
        let originals: [JSONObject] = [
            [:],
            ["id": .int(1)],
            ["id": .int(-7), "category": .string("A"), "value": .double(0.5)],
        ]
        let added: [[(key: String, value: Value)]] = [
            [("processed_value", .int(Int64.min)), ("processed_at", .int(1_736_990_000_000))],
            [("processed_at", .int(0)), ("processed_value", .int(Int64.max))],
            [("q\"uote", .string("line\nbreak \u{1}")), ("é", .double(1e-7)), ("nan", .double(.nan))],
            [("avg", .double(38.0)), ("third", .double(1.0 / 3)), ("flag", .bool(false)), ("none", .null)],
            [("list", .array([.int(1), .string("x")])), ("nested", .object(["a": .bool(true)]))],
        ]
        let prefixes = JSONKeyPrefixes()
        for original in originals {
            let bytes = JSON.serialize(.object(original))
            for fields in added {
                var whole = original
                for field in fields { whole.fields.append(field) }
                let expected = JSON.serialize(.object(whole))
                XCTAssertEqual(JSON.appending(fields[...], toObject: bytes, prefixes: prefixes), expected)
                XCTAssertEqual(JSON.appending(fields[...], toObject: bytes), expected)
            }
        }
    }

    func testNothingToAddGivesTheObjectUnchanged() {
        let bytes = Array(#"{"a":1}"#.utf8)
        XCTAssertEqual(JSON.appending([][...], toObject: bytes, prefixes: JSONKeyPrefixes()), bytes)
    }
}
