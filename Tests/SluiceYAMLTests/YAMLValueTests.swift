import SluiceSupport
import SluiceYAML
import XCTest

final class YAMLValueTests: XCTestCase {
    private func value(_ text: String) throws -> Value {
        let document = YAMLLoader.load("v: \(text)\n", file: "p.yaml")
        XCTAssertEqual(document.diagnostics, [])
        return try XCTUnwrap(document.root?.value(forKey: "v")?.toValue())
    }

    func testCoreSchema() throws {
        let cases: [(String, Value)] = [
            ("", .null), ("~", .null), ("null", .null), ("NULL", .null),
            ("true", .bool(true)), ("True", .bool(true)), ("FALSE", .bool(false)), ("yes", .string("yes")),
            ("12", .int(12)), ("-3", .int(-3)), ("+7", .int(7)), ("0x1F", .int(31)), ("0o17", .int(15)),
            ("9223372036854775807", .int(Int64.max)),
            ("99999999999999999999", .double(1e20)),
            ("0xFFFFFFFFFFFFFFFFFFFF", .string("0xFFFFFFFFFFFFFFFFFFFF")),
            ("1.5", .double(1.5)), ("-.5", .double(-0.5)), ("1e3", .double(1000)), ("2.", .double(2)),
            (".inf", .double(.infinity)), ("-.Inf", .double(-.infinity)),
            ("1.2.3", .string("1.2.3")), ("e3", .string("e3")), ("60s", .string("60s")),
            ("'12'", .string("12")), ("\"true\"", .string("true")), ("!!str 12", .string("12")),
            ("''", .string("")),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try value(text), expected, "for \(text)")
        }
        guard case .double(let nan) = try value(".nan") else { return XCTFail("nan is not a double") }
        XCTAssertTrue(nan.isNaN)
    }

    func testCollections() throws {
        let expected: Value = .object(["a": .array([.int(1), .string("x"), .null]), "1": .object(["b": .bool(true)])])
        XCTAssertEqual(try value("{a: [1, x, ~], 1: {b: true}}"), expected)
    }

    func testAccessors() throws {
        let root = try XCTUnwrap(YAMLLoader.load("a: [1]\nb: x\nc:\n", file: "p.yaml").root)
        XCTAssertEqual(root.value(forKey: "a")?.kindName, "sequence")
        XCTAssertEqual(root.value(forKey: "a")?.sequence?.count, 1)
        XCTAssertNil(root.value(forKey: "a")?.scalar)
        XCTAssertEqual(root.value(forKey: "b")?.stringValue, "x")
        XCTAssertEqual(root.value(forKey: "c")?.isNull, true)
        XCTAssertNil(root.value(forKey: "missing"))
        XCTAssertEqual(root.mapping?.map(\.key.keyText), ["a", "b", "c"])
    }
}
