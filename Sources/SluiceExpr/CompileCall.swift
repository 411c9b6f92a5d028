import SluiceSupport

extension Compiler {
    /// Compiles a function call: arity is checked here, once, not per record.
    func call(_ name: String, _ arguments: [Node], _ node: Node) throws(ExpressionError) -> Eval {
        let spec = try Functions.lookup(name, offset: node.offset)
        try spec.checkArity(arguments.count, offset: node.offset)
        let offset = node.offset
        switch spec.kind {
        case .aggregate:
            if let slot = aggregateSlots?[node.canonical] {
                return { _, finished in slot < finished.count ? finished[slot] : .null }
            }
            // Not run here, but compiled so that unknown functions inside the call fail at parse time.
            for argument in arguments { _ = try compile(argument) }
            return { _, _ throws(EvaluationError) in
                throw EvaluationError("aggregate function '\(name)' can only be used in `aggregates:`", offset: offset)
            }
        case .special:
            return try special(name, arguments)
        case .scalar(let body):
            let site = CallSite(name: name, offset: offset, argumentOffsets: arguments.map(\.offset))
            let evals = try arguments.map { (argument) throws(ExpressionError) -> Compiled in Compiled(run: try compile(argument)) }
            switch evals.count {
            case 0:
                return { context, _ throws(EvaluationError) in try body(Arguments(site: site), context) }
            case 1:
                let e0 = evals[0].run
                return { context, slots throws(EvaluationError) in
                    var args = Arguments(site: site)
                    args.append(try e0(context, slots))
                    return try body(args, context)
                }
            case 2:
                let e0 = evals[0].run, e1 = evals[1].run
                return { context, slots throws(EvaluationError) in
                    var args = Arguments(site: site)
                    args.append(try e0(context, slots))
                    args.append(try e1(context, slots))
                    return try body(args, context)
                }
            default:
                return { context, slots throws(EvaluationError) in
                    var args = Arguments(site: site)
                    for eval in evals { args.append(try eval.run(context, slots)) }
                    return try body(args, context)
                }
            }
        }
    }

    private func special(_ name: String, _ arguments: [Node]) throws(ExpressionError) -> Eval {
        switch name {
        case "if":
            let condition = try compile(arguments[0]), then = try compile(arguments[1]), otherwise = try compile(arguments[2])
            let conditionOffset = arguments[0].offset
            return { context, slots throws(EvaluationError) in
                let value = try condition(context, slots)
                guard case .bool(let b) = value else {
                    throw EvaluationError("if() needs a boolean condition, got \(value.typeName)", offset: conditionOffset)
                }
                return try b ? then(context, slots) : otherwise(context, slots)
            }
        case "coalesce":
            let lookups = try arguments.map { (argument) throws(ExpressionError) -> CompiledLookup in
                CompiledLookup(run: try compileLenient(argument))
            }
            return { context, slots throws(EvaluationError) in
                for lookup in lookups {
                    if let value = try lookup.run(context, slots), !value.isNull { return value }
                }
                return .null
            }
        default:  // has
            guard case .path(let path) = arguments[0].kind else {
                throw ExpressionError("has() needs a field path, such as has(a.b)", offset: arguments[0].offset)
            }
            let lookup = Self.lookup(path.components)
            return { context, _ in .bool(lookup(context.value) != nil) }
        }
    }
}
