import SluiceSupport

/// An expression of integer arithmetic (`value * 2`, `now()`, `a + b - 1`) compiled to a short
/// postfix program over unboxed integers, for an engine that has the fields it reads as
/// integers: `run` gives what `Expression.evaluate` gives when every input is an integer,
/// without building values.
///
/// Only integer literals, top-level fields, `now()`, `timestamp()`, `partition()`, `offset()`,
/// unary `-` and binary `+`, `-`, `*` compile, in the very shape the parser gave them, so each
/// operation sees the operands `evaluate` sees. Where `evaluate` would throw (an overflow), `run`
/// gives nil and the caller evaluates the expression instead.
public struct IntegerProgram: Sendable {
    /// Where an input's integer comes from.
    public enum Input: Sendable, Hashable {
        case field(String)
        case now, timestamp, partition, offset
    }

    @usableFromInline enum Op: UInt8, Sendable {
        case constant, load, negate, add, subtract, multiply

        @inlinable var isBinary: Bool { self == .add || self == .subtract || self == .multiply }
    }

    /// One step of a program (see `run(_:count:depth:values:)`).
    public struct Instruction: Sendable {
        @usableFromInline var op: Op
        /// The constant, or the register a load reads.
        @usableFromInline var operand: Int64
    }

    /// The distinct inputs, in first-use order; `run` reads input `i` from register `registers[i]`.
    public let inputs: [Input]
    /// Per input, the register `run` reads it from (see `reading(from:)`); at first `0..<inputs.count`.
    public private(set) var registers: [Int]
    /// The program, for callers that keep it in their own memory (see `run(_:count:depth:values:)`).
    public private(set) var code: [Instruction]
    /// The stack room `run` needs.
    public let depth: Int

    init?(_ node: Node) {
        var inputs: [Input] = []
        var code: [Instruction] = []
        var depth = 0, maxDepth = 0
        func push() {
            depth += 1
            maxDepth = max(maxDepth, depth)
        }
        func load(_ input: Input) {
            let index = inputs.firstIndex(of: input) ?? inputs.count
            if index == inputs.count { inputs.append(input) }
            code.append(Instruction(op: .load, operand: Int64(index)))
            push()
        }
        func emit(_ node: Node) -> Bool {
            switch node.kind {
            case .literal(.int(let number)):
                code.append(Instruction(op: .constant, operand: number))
                push()
            case .path(let path):
                guard path.components.count == 1, case .key(let name) = path.components[0] else { return false }
                load(.field(name))
            case .call(let name, let arguments):
                guard arguments.isEmpty else { return false }
                switch name {
                case "now": load(.now)
                case "timestamp": load(.timestamp)
                case "partition": load(.partition)
                case "offset": load(.offset)
                default: return false
                }
            case .unary(.negate, let operand):
                guard emit(operand) else { return false }
                code.append(Instruction(op: .negate, operand: 0))
            case .binary(let op, let left, let right, _):
                let kind: Op
                switch op {
                case .add: kind = .add
                case .subtract: kind = .subtract
                case .multiply: kind = .multiply
                default: return false
                }
                guard emit(left), emit(right) else { return false }
                code.append(Instruction(op: kind, operand: 0))
                depth -= 1
            default:
                return false
            }
            return true
        }
        // The parser bounds a tree's height, so the recursion is bounded too.
        guard node.height <= 64, emit(node), depth == 1 else { return nil }
        self.inputs = inputs
        registers = Array(inputs.indices)
        self.code = code
        self.depth = maxDepth
    }

    /// The same program reading input `i` from register `registers[i]` (one per input).
    public func reading(from registers: [Int]) -> IntegerProgram? {
        guard registers.count == inputs.count, registers.allSatisfy({ $0 >= 0 }) else { return nil }
        var program = self
        program.registers = registers
        for index in program.code.indices where program.code[index].op == .load {
            program.code[index].operand = Int64(registers[Int(program.code[index].operand)])
        }
        return program
    }

    /// The result, reading the inputs from `values` (see `registers`); nil on an overflow, where
    /// `evaluate` throws.
    public func run(_ values: UnsafePointer<Int64>) -> Int64? {
        code.withUnsafeBufferPointer { code in
            guard let base = code.baseAddress else { return nil }
            return Self.run(base, count: code.count, depth: depth, values: values)
        }
    }

    /// Runs the `count` instructions at `code` (a program's `code`, needing `depth`), reading
    /// the inputs from `values`; nil on an overflow.
    public static func run(_ code: UnsafePointer<Instruction>, count: Int, depth: Int, values: UnsafePointer<Int64>) -> Int64? {
        // The usual programs, without a stack: one input (`now()`), an input and a constant (`value * 2`).
        if count == 1, code[0].op == .load { return values[Int(code[0].operand)] }
        if count == 3, code[0].op == .load, code[1].op == .constant {
            return apply(code[2].op, values[Int(code[0].operand)], code[1].operand)
        }
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(1, depth)) { stack -> Int64? in
            guard let stack = stack.baseAddress else { return nil }
            var top = -1
            for index in 0..<count {
                let instruction = code[index]
                switch instruction.op {
                case .constant:
                    top += 1
                    stack[top] = instruction.operand
                case .load:
                    top += 1
                    stack[top] = values[Int(instruction.operand)]
                case .negate:
                    guard let result = apply(.subtract, 0, stack[top]) else { return nil }
                    stack[top] = result
                case .add, .subtract, .multiply:
                    guard let result = apply(instruction.op, stack[top - 1], stack[top]) else { return nil }
                    top -= 1
                    stack[top] = result
                }
            }
            return top == 0 ? stack[0] : nil
        }
    }

    /// `run(_:count:depth:values:)`, with the usual program of an input and a constant
    /// (`value * 2`) computed in the caller: inlinable, so that an engine in another module
    /// runs it without a call. Only the instructions' fields and `apply` are exposed to it;
    /// anything else calls `run`.
    @inlinable
    public static func runInlined(
        _ code: UnsafePointer<Instruction>, count: Int, depth: Int, values: UnsafePointer<Int64>
    ) -> Int64? {
        if count == 3, code[0].op == .load, code[1].op == .constant, code[2].op.isBinary {
            return apply(code[2].op, values[Int(code[0].operand)], code[1].operand)
        }
        return run(code, count: count, depth: depth, values: values)
    }

    /// `x op y` for `+`, `-`, `*`; nil on an overflow (or another op).
    @inlinable @inline(__always)
    static func apply(_ op: Op, _ x: Int64, _ y: Int64) -> Int64? {
        let result: (partialValue: Int64, overflow: Bool)
        switch op {
        case .add: result = x.addingReportingOverflow(y)
        case .subtract: result = x.subtractingReportingOverflow(y)
        case .multiply: result = x.multipliedReportingOverflow(by: y)
        default: return nil
        }
        return result.overflow ? nil : result.partialValue
    }
}

extension Expression {
    /// The expression as an `IntegerProgram`, when it is integer arithmetic it can express.
    public var integerProgram: IntegerProgram? { IntegerProgram(root) }
}
