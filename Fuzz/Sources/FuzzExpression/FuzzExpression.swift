import SluiceExpr
import SluiceSupport

/// The records every expression is evaluated against: a typical one, edge values, and non-objects.
let contexts: [EvaluationContext] = {
    let typical = """
        {"id":1,"value":10,"price":2.5,"category":"A","name":"Ü \\"q\\" 🚀","tags":["a","b",""],
         "nested":{"a":{"b":[1,2.5,{"c":null}]}},"flag":true,"none":null,"empty":{},"list":[],
         "big":9223372036854775807,"small":-9223372036854775808,"tiny":5e-324,"huge":1.7976931348623157e308,
         "zero":0,"text":"12","spaces":"  x  ","when":"2025-01-16T01:13:20Z"}
        """
    let values: [Value] = [(try? JSON.parse(typical)) ?? .null, .null, .string("plain"), .array([.int(1), .null])]
    let headers = [Header("trace", "abc"), Header(name: "empty", value: nil)]
    return values.enumerated().map { index, value in
        EvaluationContext(value: value, key: index == 0 ? .string("A") : .null, timestamp: 1_736_990_000_000,
                          now: index == 1 ? Int64.max : 1_736_990_000_000, topic: "input-topic",
                          partition: Int32(index), offset: Int64(index), headers: headers)
    }
}()

/// libFuzzer entry: the bytes are an expression; parse, evaluate, and aggregate when it aggregates.
///
/// Errors are fine; crashes, hangs, runaway memory and offsets outside the source are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpression(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    let length = source.utf8.count
    let expression: Expression
    do {
        expression = try Expression.parse(source)
    } catch {
        if error.offset < 0 || error.offset > length || error.message.isEmpty {
            fatalError("bad parse error \(error.message) at \(error.offset) of \(length)")
        }
        return 0
    }
    for reference in expression.fieldReferences where reference.offset < 0 || reference.offset + reference.length > length {
        fatalError("field reference outside the source")
    }
    if expression.containsAggregate {
        aggregate(expression, length: length)
    } else {
        for context in contexts {
            do {
                _ = try expression.evaluate(context)
                _ = try expression.evaluateCondition(context)
            } catch {
                check(error, length: length)
            }
        }
    }
    return 0
}

/// Runs the expression as an aggregate over the records, merging and serialising the state too.
func aggregate(_ expression: Expression, length: Int) {
    do {
        try AggregateProgram.validate(expression, name: "x")
    } catch {
        if error.offset < 0 || error.offset > length { fatalError("bad aggregate error offset") }
        return
    }
    let program: AggregateProgram
    do {
        program = try AggregateProgram([(name: "x", expression: expression)])
    } catch {
        fatalError("validate accepted what init rejects: \(error.message)")
    }
    var first = program.makeState(), second = program.makeState()
    for (index, context) in contexts.enumerated() {
        do {
            if index % 2 == 0 { try program.update(&first, with: context) } else { try program.update(&second, with: context) }
        } catch {
            check(error, length: length)
        }
    }
    let merged = program.merge(first, second)
    guard let restored = AggregateState(encoded: merged.encoded()) else { fatalError("state does not decode") }
    do {
        let a = try program.result(merged), b = try program.result(restored)
        if a != b { fatalError("result changed after encoding the state") }
    } catch {
        check(error, length: length)
    }
}

func check(_ error: EvaluationError, length: Int) {
    if error.offset < 0 || error.offset > length || error.message.isEmpty {
        fatalError("bad evaluation error \(error.message) at \(error.offset) of \(length)")
    }
}
