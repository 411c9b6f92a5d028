import SluiceExpr
import SluiceSupport

/// The first stateful step (`aggregate` or `window`), when its records must go through a
/// repartition topic: one whose index names the topic, `<group>-<step>-repartition`.
public struct RepartitionPoint: Sendable, Equatable {
    /// The index of the stateful step in `EnginePlan.steps`.
    public var step: Int

    public init(step: Int) { self.step = step }
}

extension EnginePlan {
    /// The repartition topic `run` uses for consumer group `group`; nil without a repartition point.
    public func repartitionTopic(group: String) -> String? {
        repartition.map { "\(group)-\($0.step)-repartition" }
    }

    /// The key expression of the repartition step, nil without one.
    public var repartitionKey: KeyPlan? {
        guard let repartition, steps.indices.contains(repartition.step) else { return nil }
        switch steps[repartition.step] {
        case .aggregate(let a): return a.key
        case .window(let w): return w.key
        default: return nil
        }
    }

    /// One line for people: where records are re-keyed and through which topic, nil without it.
    public func repartitionDescription(group: String) -> String? {
        guard let repartition, let topic = repartitionTopic(group: group), let key = repartitionKey else { return nil }
        return "repartition: records re-keyed by \(key.expression.source) through \(topic) before step \(repartition.step + 1) (\(key.location))"
    }
}

/// Decides whether a pipeline needs a repartition topic, and before which step.
///
/// The first stateful step needs one unless every record of one key already sits in one
/// partition: its key is `key()`, or the source declares `keyed_by` with the same expression
/// and no earlier step changes the fields it reads. Pipelines with `lookup` or `join` steps get
/// none: joins have their own co-partitioning rules. Only the first stateful step is considered.
public enum RepartitionPlacement {
    public static func point(spec: PipelineSpec, steps: [StepPlan]) -> RepartitionPoint? {
        point(keyedBy: spec.source.keyedBy, steps: steps)
    }

    public static func point(keyedBy: Expression?, steps: [StepPlan]) -> RepartitionPoint? {
        if steps.contains(where: { if case .join = $0 { true } else { false } }) { return nil }
        guard let index = steps.firstIndex(where: isStateful) else { return nil }
        let key: Expression
        switch steps[index] {
        case .aggregate(let a): key = a.key.expression
        case .window(let w): key = w.key.expression
        default: return nil
        }
        if normalized(key.source) == "key()" { return nil }
        if let keyedBy, normalized(keyedBy.source) == normalized(key.source),
            !steps[..<index].contains(where: { changes($0, fieldsOf: keyedBy) })
        {
            return nil
        }
        return RepartitionPoint(step: index)
    }

    static func isStateful(_ step: StepPlan) -> Bool {
        switch step {
        case .aggregate, .window: true
        default: false
        }
    }

    /// Whether `step` may change what `expression` reads from the record value.
    static func changes(_ step: StepPlan, fieldsOf expression: Expression) -> Bool {
        let paths = expression.fieldReferences.map(\.path)
        // Reads the value as a whole (`this`): any reshaping step changes it.
        let whole = expression.rootFieldNames == nil
        switch step {
        case .filter, .to, .aggregate, .window:
            return false
        case .join:
            return true
        case .map(let sets, _):
            return whole || sets.contains { set in paths.contains { $0.first == set.name } }
        case .select(let selected, _):
            // A read path survives when a selected path is a prefix of it (kept whole).
            return whole || paths.contains { path in !selected.contains { path.starts(with: $0) } }
        case .drop(let dropped, _):
            return whole || paths.contains { path in dropped.contains { path.starts(with: $0) || $0.starts(with: path) } }
        }
    }

    /// Expression source text without whitespace outside string literals.
    static func normalized(_ source: String) -> String {
        var result = ""
        var quote: Character?
        var escaped = false
        for character in source {
            if let open = quote {
                result.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
            } else if character == "\"" || character == "'" {
                quote = character
                result.append(character)
            } else if !character.isWhitespace {
                result.append(character)
            }
        }
        return result
    }
}
