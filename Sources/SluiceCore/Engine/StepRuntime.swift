import SluiceExpr
import SluiceSupport

/// A step ready to run: stateless steps carry their plan, stateful ones a runtime object.
enum StepRuntime {
    case filter(FilterPlan)
    case map([NamedExpression])
    case select([[String]])
    case drop([[String]])
    case to(ToPlan)
    case aggregate(AggregateRuntime)
    case window(WindowRuntime)

    init(_ plan: StepPlan, afterStatefulStep: Bool = false) {
        switch plan {
        case .filter(let p): self = .filter(p)
        case .map(let p, _): self = .map(p)
        case .select(let p, _): self = .select(p)
        case .drop(let p, _): self = .drop(p)
        case .to(let p): self = .to(p)
        case .aggregate(let p): self = .aggregate(AggregateRuntime(plan: p))
        case .window(let p): self = .window(WindowRuntime(plan: p, ownClock: afterStatefulStep))
        }
    }
}

/// Running per-key aggregates and how many records each key has seen.
final class AggregateRuntime {
    struct Entry {
        var count: Int64
        var state: AggregateState
    }

    let plan: AggregatePlan
    var entries: [Value: Entry] = [:]

    init(plan: AggregatePlan) { self.plan = plan }

    /// Folds a record in; returns the key's state when this record is an every-N-th one.
    func add(key: Value, context: EvaluationContext) throws(EvaluationError) -> AggregateState? {
        let program = plan.program, every = plan.every
        do {
            // In place (one hash lookup); `update` leaves the state unchanged when it throws.
            return try Self.modify(&entries[key, default: Entry(count: 0, state: program.makeState())]) {
                (entry) throws(EvaluationError) -> AggregateState? in
                try program.apply(&entry.state, context)
                entry.count &+= 1
                return entry.count % every == 0 ? entry.state : nil
            }
        } catch {
            if entries[key]?.count == 0 { entries[key] = nil }  // a new key whose first record failed
            throw error
        }
    }

    @inline(__always)
    private static func modify<T>(
        _ entry: inout Entry, _ body: (inout Entry) throws(EvaluationError) -> T
    ) throws(EvaluationError) -> T {
        try body(&entry)
    }
}

/// A window step's store, whichever kind of window it is.
final class WindowRuntime {
    enum Store {
        case time(TimeWindowStore)
        case session(SessionWindowStore)
        case sliding(SlidingWindowStore)
    }

    let plan: WindowPlan
    let store: Store
    /// Set for a window fed by an earlier aggregate or window step: its records are results,
    /// so it keeps its own stream time (the largest event time it has seen) rather than the
    /// source's, as a downstream Kafka Streams processor would.
    var ownStreamTime: Int64?
    let hasOwnClock: Bool

    init(plan: WindowPlan, ownClock: Bool = false) {
        self.plan = plan
        hasOwnClock = ownClock
        switch plan.kind {
        case .tumbling(let size): store = .time(TimeWindowStore(size: size, advance: size, grace: plan.graceMs))
        case .hopping(let size, let advance): store = .time(TimeWindowStore(size: size, advance: advance, grace: plan.graceMs))
        case .session(let gap): store = .session(SessionWindowStore(gap: gap, grace: plan.graceMs))
        case .sliding(let size): store = .sliding(SlidingWindowStore(size: size, grace: plan.graceMs))
        }
    }

    func close(streamTime: Int64, into results: inout [WindowResult]) {
        switch store {
        case .time(let s): s.close(streamTime: streamTime, into: &results)
        case .session(let s): s.close(streamTime: streamTime, into: &results)
        case .sliding(let s): s.close(streamTime: streamTime, into: &results)
        }
    }

    var openWindowCount: Int {
        switch store {
        case .time(let s): s.openWindowCount
        case .session(let s): s.openWindowCount
        case .sliding(let s): s.openWindowCount
        }
    }
}
