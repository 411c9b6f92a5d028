import SluiceExpr
import SluiceSupport

/// Checks of `lookup` and `join` steps that involve the pipeline's sources: names that exist,
/// self-joins with an alias, each source used once, and co-partitioning.
enum JoinChecks {
    static func check(steps: [StepInstance?], stream: SourceSpec, others: [SourceSpec], into diagnostics: inout Diagnostics) {
        var used: [String: SourceLocation] = [:]
        // Whether the records reaching a step are keyed by something other than their input key.
        var rekeyed = false
        var misspelled = false
        let names = [stream.name] + others.map(\.name)
        for case let step? in steps {
            let config = step.config
            switch step.typeName {
            case AggregateStep.name, WindowStep.name:
                if !(config.expression("key").map(isRecordKey) ?? true) { rekeyed = true }
            case LookupStep.name, JoinStep.name:
                let isLookup = step.typeName == LookupStep.name
                let field = isLookup ? "table" : "with"
                guard let name = config.string(field) else { continue }
                let location = config.location(of: field)
                guard names.contains(name) else {
                    misspelled = true
                    let hint = Suggestions.hint(for: name, in: names)
                    let declared = others.isEmpty ? "; declare it under 'sources:'" : ""
                    diagnostics.error("unknown-source", "unknown source '\(name)'\(hint)\(declared)", at: location)
                    continue
                }
                if name == stream.name {
                    if isLookup {
                        diagnostics.error(
                            "self-join", "a lookup table must be another source than the stream '\(name)'", at: location)
                        continue
                    }
                    if config.string("as").map({ $0 == stream.name }) ?? true {
                        diagnostics.error(
                            "self-join-needs-alias",
                            "joining source '\(name)' with itself needs an alias: add 'as: <name>' for the other side",
                            at: location)
                        continue
                    }
                } else if !isLookup, config.string("as") == stream.name {
                    diagnostics.error(
                        "bad-name", "as '\(stream.name)' is the stream's own name: choose another", at: config.location(of: "as"))
                }
                if name != stream.name {
                    if let first = used[name] {
                        diagnostics.error(
                            "source-used-twice", "source '\(name)' is already joined at line \(first.line): each source feeds one step",
                            at: location)
                    }
                    used[name] = location
                }
                let keys = isLookup ? ["key"] : ["key", "with_key"]
                let partitioned = !rekeyed && keys.allSatisfy { config.expression($0).map(isRecordKey) ?? true }
                if !partitioned && config.boolean("repartition") != true {
                    let notKey = keys.first { !(config.expression($0).map(isRecordKey) ?? true) }
                    let why = notKey.map { "\($0) '\(config.expression($0)?.source ?? "")' is not the record key" }
                        ?? "an earlier step changed the record key"
                    diagnostics.error(
                        "not-co-partitioned",
                        "\(step.typeName) needs both sides keyed by the join key, but \(why): records of one key may sit in different partitions; key the topics by it or declare 'repartition: true'",
                        at: notKey.map { config.location(of: $0) } ?? step.location)
                }
                if !isLookup && config.boolean("repartition") == true { rekeyed = false }
            default:
                continue
            }
        }
        // A misspelled source name is reported once, as unknown, not also as an unused source.
        for source in others where used[source.name] == nil && !misspelled {
            diagnostics.error(
                "unused-source", "source '\(source.name)' is not used by any lookup or join step: name it in 'table' or 'with', or remove it",
                at: source.location)
        }
    }

    /// Whether an expression is `key()`, the record key as it is.
    static func isRecordKey(_ expression: Expression) -> Bool {
        expression.source.filter { !$0.isWhitespace } == "key()"
    }
}
