import SluiceSupport

/// A scalar function body: argument values (already evaluated) and the record context.
typealias FunctionBody = @Sendable (borrowing Arguments, EvaluationContext) throws(EvaluationError) -> Value

/// A function the language knows: its name, how many arguments it takes and what it is.
struct FunctionSpec: Sendable {
    enum Kind: Sendable {
        case scalar(FunctionBody)
        /// Compiled by hand: lazy or path arguments (`if`, `coalesce`, `has`).
        case special
        case aggregate
    }

    let name: String
    let minArguments: Int
    /// Nil for any number of arguments.
    let maxArguments: Int?
    let kind: Kind

    var isAggregate: Bool { if case .aggregate = kind { true } else { false } }

    func checkArity(_ count: Int, offset: Int) throws(ExpressionError) {
        if count >= minArguments && count <= (maxArguments ?? Int.max) { return }
        let takes: String
        switch (minArguments, maxArguments) {
        case (0, 0): takes = "no arguments"
        case (let min, nil): takes = "at least \(Self.plural(min))"
        case (let min, let max?) where min == max: takes = Self.plural(min)
        case (let min, let max?) where max == min + 1: takes = "\(min) or \(max) arguments"
        case (let min, let max?): takes = "\(min) to \(max) arguments"
        }
        throw ExpressionError("function '\(name)' takes \(takes), got \(count)", offset: offset)
    }

    private static func plural(_ n: Int) -> String { n == 1 ? "1 argument" : "\(n) arguments" }
}

/// Where a function is called, for error messages about its arguments.
final class CallSite: Sendable {
    let name: String
    let offset: Int
    let argumentOffsets: [Int]

    init(name: String, offset: Int, argumentOffsets: [Int]) {
        self.name = name
        self.offset = offset
        self.argumentOffsets = argumentOffsets
    }
}

/// Evaluated arguments of one call; up to three are stored inline to avoid an allocation.
struct Arguments {
    let site: CallSite
    var count = 0
    var v0 = Value.null, v1 = Value.null, v2 = Value.null
    var rest: [Value] = []

    init(site: CallSite) { self.site = site }

    mutating func append(_ value: Value) {
        switch count {
        case 0: v0 = value
        case 1: v1 = value
        case 2: v2 = value
        default: rest.append(value)
        }
        count += 1
    }

    subscript(i: Int) -> Value {
        switch i {
        case 0: v0
        case 1: v1
        case 2: v2
        default: i - 3 < rest.count ? rest[i - 3] : .null
        }
    }

    func error(_ message: String, argument i: Int) -> EvaluationError {
        let offset = i < site.argumentOffsets.count ? site.argumentOffsets[i] : site.offset
        return EvaluationError(message, offset: offset)
    }

    func typeError(_ expected: String, argument i: Int) -> EvaluationError {
        let position = site.argumentOffsets.count > 1 ? " as argument \(i + 1)" : ""
        return error("\(site.name)() needs \(expected)\(position), got \(self[i].typeName)", argument: i)
    }

    /// `s` as a result, unless it is longer than `ResultLimits` allow.
    func checked(_ s: String) throws(EvaluationError) -> Value {
        try ResultLimits.checkString(bytes: s.utf8.count, building: "\(site.name)()", offset: site.offset)
        return .string(s)
    }

    func string(_ i: Int) throws(EvaluationError) -> String {
        guard case .string(let s) = self[i] else { throw typeError("a string", argument: i) }
        return s
    }

    func double(_ i: Int) throws(EvaluationError) -> Double {
        switch self[i] {
        case .int(let n): return Double(n)
        case .double(let d): return d
        default: throw typeError("a number", argument: i)
        }
    }

    func integer(_ i: Int) throws(EvaluationError) -> Int64 {
        switch self[i] {
        case .int(let n): return n
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: throw typeError("an integer", argument: i)
        }
    }

    /// Requires a number (int or double) and returns it unchanged.
    func number(_ i: Int) throws(EvaluationError) -> Value {
        switch self[i] {
        case .int, .double: return self[i]
        default: throw typeError("a number", argument: i)
        }
    }
}

enum Functions {
    static let aggregateNames: Set<String> = ["count", "sum", "avg", "min", "max", "first", "last", "count_distinct"]

    static let table: [String: FunctionSpec] = {
        var table: [String: FunctionSpec] = [:]
        func add(_ name: String, _ min: Int, _ max: Int?, _ kind: FunctionSpec.Kind) {
            table[name] = FunctionSpec(name: name, minArguments: min, maxArguments: max, kind: kind)
        }
        for (name, min, max, body) in ScalarFunctions.all { add(name, min, max, .scalar(body)) }
        add("if", 3, 3, .special)
        add("coalesce", 1, nil, .special)
        add("has", 1, 1, .special)
        add("count", 0, 1, .aggregate)
        for name in aggregateNames where name != "count" { add(name, 1, 1, .aggregate) }
        return table
    }()

    static func lookup(_ name: String, offset: Int) throws(ExpressionError) -> FunctionSpec {
        if let spec = table[name] { return spec }
        var message = "unknown function '\(name)'"
        if let suggestion = suggestion(for: name) { message += " (did you mean '\(suggestion)'?)" }
        throw ExpressionError(message, offset: offset)
    }

    /// The closest known name: a small edit distance, or a name that `name` starts.
    static func suggestion(for name: String) -> String? {
        // Long names are not typos of short ones; this also bounds the distance table's size.
        guard name.utf8.count <= 64 else { return nil }
        let lowered = name.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in table.keys.sorted() {
            var distance = editDistance(Array(lowered.utf8), Array(candidate.utf8))
            if lowered.count >= 3 && candidate.hasPrefix(lowered) { distance = min(distance, 1) }
            if distance <= max(1, min(2, candidate.count / 3)), distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions, transpositions.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
