import SluiceExpr
import SluiceSupport
import XCTest

final class FunctionTests: XCTestCase {
    func testStringFunctions() {
        XCTAssertEqual(eval("length('héllo')"), .int(5))
        XCTAssertEqual(eval("length(tags)", sample), .int(2))
        XCTAssertEqual(eval("length(user)", sample), .int(3))
        XCTAssertEqual(eval("lower('AbC')"), .string("abc"))
        XCTAssertEqual(eval("upper('AbC')"), .string("ABC"))
        XCTAssertEqual(eval("trim(name)", sample), .string("Widget"))
        XCTAssertEqual(eval("trim('   ')"), .string(""))
        XCTAssertEqual(eval("concat(category, '-', id, '-', 1.5, true, nothing)", sample), .string("A-1-1.5true"))
        XCTAssertEqual(eval("substring('abcdef', 2)"), .string("cdef"))
        XCTAssertEqual(eval("substring('abcdef', 2, 3)"), .string("cde"))
        XCTAssertEqual(eval("substr('abcdef', -2)"), .string("ef"))
        XCTAssertEqual(eval("substring('abc', 10)"), .string(""))
        XCTAssertEqual(eval("substring('abc', 1, 99)"), .string("bc"))
        XCTAssertEqual(eval("contains('hello', 'ell')"), .bool(true))
        XCTAssertEqual(eval("contains(tags, 'y')", sample), .bool(true))
        XCTAssertEqual(eval("starts_with('hello', 'he')"), .bool(true))
        XCTAssertEqual(eval("ends_with('hello', 'he')"), .bool(false))
        XCTAssertEqual(eval("replace('a-b-c', '-', '+')"), .string("a+b+c"))
        XCTAssertEqual(eval("split('a,b,,c', ',')"), .array(["a", "b", "", "c"].map { .string($0) }))
        XCTAssertEqual(eval("split('ab', '')"), .array([.string("a"), .string("b")]))
    }

    func testStringFunctionErrors() {
        let lower = evaluationError("lower(value)", sample)
        XCTAssertEqual(lower?.message, "lower() needs a string, got integer")
        XCTAssertEqual(lower?.offset, 6)
        let substring = evaluationError("substring('abc', 'x')")
        XCTAssertEqual(substring?.message, "substring() needs an integer as argument 2, got string")
        XCTAssertEqual(substring?.offset, 17)
        XCTAssertNotNil(evaluationError("substring('abc', 0, -1)"))
        XCTAssertNotNil(evaluationError("replace('abc', '', 'x')"))
        XCTAssertNotNil(evaluationError("length(1)"))
    }

    func testMathFunctions() {
        XCTAssertEqual(eval("abs(-3)"), .int(3))
        XCTAssertEqual(eval("abs(-2.5)"), .double(2.5))
        XCTAssertEqual(eval("round(2.5)"), .int(3))
        XCTAssertEqual(eval("round(-2.5)"), .int(-3))
        XCTAssertEqual(eval("round(3.14159, 2)"), .double(3.14))
        XCTAssertEqual(eval("round(1234, -2)"), .int(1200))
        XCTAssertEqual(eval("round(7)"), .int(7))
        XCTAssertEqual(eval("floor(2.7)"), .int(2))
        XCTAssertEqual(eval("floor(-2.5)"), .int(-3))
        XCTAssertEqual(eval("ceil(2.1)"), .int(3))
        XCTAssertEqual(eval("sqrt(16)"), .double(4))
        XCTAssertEqual(eval("pow(2, 10)"), .int(1024))
        XCTAssertEqual(eval("pow(2, -1)"), .double(0.5))
        XCTAssertEqual(eval("pow(2.0, 0.5)"), .double(2.0.squareRoot()))
        XCTAssertEqual(eval("least(3, 1.5, nothing, 2)", sample), .double(1.5))
        XCTAssertEqual(eval("greatest(3, 1.5, 2)"), .int(3))
        XCTAssertEqual(eval("greatest('a', 'c', 'b')"), .string("c"))
        XCTAssertEqual(eval("least(nothing)", sample), .null)
        XCTAssertEqual(evaluationError("abs(-9223372036854775807 - 1)")?.message, "integer overflow in abs()")
        XCTAssertEqual(evaluationError("pow(10, 19)")?.message, "integer overflow in pow()")
        XCTAssertEqual(evaluationError("sqrt(-1)")?.message, "sqrt() of a negative number")
        XCTAssertEqual(evaluationError("greatest(1, 'a')")?.message, "greatest() cannot compare string and integer")
        XCTAssertEqual(evaluationError("abs('x')")?.message, "abs() needs a number, got string")
    }

    func testConversions() {
        XCTAssertEqual(eval("string(12)"), .string("12"))
        XCTAssertEqual(eval("string(1.5)"), .string("1.5"))
        XCTAssertEqual(eval("string(null)"), .string("null"))
        XCTAssertEqual(eval("string(user)", sample), .string("{\"name\":\"ann\",\"x y\":7,\"address\":null}"))
        XCTAssertEqual(eval("string(tags)", sample), .string("[\"x\",\"y\"]"))
        XCTAssertEqual(eval("int('42')"), .int(42))
        XCTAssertEqual(eval("int(' -7 ')"), .int(-7))
        XCTAssertEqual(eval("int(3.9)"), .int(3))
        XCTAssertEqual(eval("int(-3.9)"), .int(-3))
        XCTAssertEqual(eval("float(2)"), .double(2))
        XCTAssertEqual(eval("float('2.5')"), .double(2.5))
        XCTAssertEqual(evaluationError("int('abc')")?.message, "int() cannot convert \"abc\" to an integer")
        XCTAssertEqual(evaluationError("int(1e30)")?.message, "int() cannot convert 1e+30 to an integer")
        XCTAssertEqual(evaluationError("int(true)")?.message, "int() needs a number or a numeric string, got boolean")
        XCTAssertNotNil(evaluationError("float('x')"))
        XCTAssertEqual(eval("is_null(nothing)", sample), .bool(true))
        XCTAssertEqual(eval("is_null(value)", sample), .bool(false))
        let types = ["null", "true", "1", "1.5", "'s'", "[1]", "user"].map { eval("typeof(\($0))", sample) }
        XCTAssertEqual(types, ["null", "boolean", "integer", "number", "string", "array", "object"].map { .string($0) })
    }

    func testIfIsLazy() {
        XCTAssertEqual(eval("if(value > 5, 'big', missing)", sample), .string("big"))
        XCTAssertEqual(eval("if(value > 50, 1 / 0, 'small')", sample), .string("small"))
        XCTAssertEqual(evaluationError("if(value, 1, 2)", sample)?.message, "if() needs a boolean condition, got integer")
        XCTAssertEqual(evaluationError("if(value, 1, 2)", sample)?.offset, 3)
    }
}
