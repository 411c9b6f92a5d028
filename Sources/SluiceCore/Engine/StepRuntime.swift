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
    case join(JoinRuntime)

    init(_ plan: StepPlan, afterStatefulStep: Bool = false, direct: DirectInputs? = nil) {
        switch plan {
        case .filter(let p): self = .filter(p)
        case .map(let p, _): self = .map(p)
        case .select(let p, _): self = .select(p)
        case .drop(let p, _): self = .drop(p)
        case .to(let p): self = .to(p)
        case .aggregate(let p): self = .aggregate(AggregateRuntime(plan: p, direct: direct))
        case .window(let p): self = .window(WindowRuntime(plan: p, ownClock: afterStatefulStep, direct: direct))
        case .join(let p): self = .join(JoinRuntime(plan: p))
        }
    }
}

/// Running per-key aggregates and how many records each key has seen: keys in a `KeyIndex`,
/// their accumulators in the same rows of an `AggregateTable`, their counts alongside.
final class AggregateRuntime {
    let plan: AggregatePlan
    let keys = KeyIndex()
    let table: AggregateTable
    /// Records seen per row. Not accessed during its own mutation: unchecked.
    @exclusivity(unchecked) var counts: ContiguousArray<Int64> = []

    /// Where the key and arguments are among the decoded source fields, when they are plain fields.
    let direct: DirectInputs?
    /// The result's JSON text around its values, for results written straight to the sinks.
    let jsonLayout: AggregateJSONLayout

    init(plan: AggregatePlan, direct: DirectInputs? = nil) {
        self.plan = plan
        self.direct = direct
        table = AggregateTable(program: plan.program)
        jsonLayout = AggregateJSONLayout(keyField: plan.key.fieldName, names: plan.program.names)
    }

    /// Folds a record in with `update` (which leaves the row unchanged when it throws); returns
    /// the key's state when this record is an every-N-th one.
    func add(key: Value, update: (AggregateTable, Int) throws(EvaluationError) -> Void) throws(EvaluationError) -> AggregateState? {
        let row: Int
        if let found = keys.find(key) {
            row = found
            try update(table, row)
        } else {
            row = table.appendRow()
            do {
                try update(table, row)
            } catch {
                table.removeLastRow()  // a new key whose first record failed
                throw error
            }
            keys.insert(key)
            counts.append(0)
        }
        counts[row] &+= 1
        return counts[row] % plan.every == 0 ? table.state(row: row) : nil
    }

    /// Every key with its record count and state, for snapshots.
    var entries: [(key: Value, count: Int64, state: AggregateState)] {
        keys.keys.indices.map { (keys.keys[$0], counts[$0], table.state(row: $0)) }
    }

    /// Sets a key's count and state (restoring a snapshot).
    func restore(key: Value, count: Int64, state: AggregateState) {
        if let row = keys.find(key) {
            counts[row] = count
            table.setState(row: row, state)
        } else {
            table.setState(row: table.appendRow(), state)
            keys.insert(key)
            counts.append(count)
        }
    }

    /// Bytes of state held, counted from the structures' sizes and capacities.
    var stateBytes: Int {
        keys.byteCount + keys.keyHeapBytes + table.byteCount + counts.capacity * MemoryLayout<Int64>.stride
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
    /// source's, as a downstream Kafka Streams processor would. Unchecked: never accessed
    /// during its own mutation.
    @exclusivity(unchecked) var ownStreamTime: Int64?
    let hasOwnClock: Bool
    /// Where the key and arguments are among the decoded source fields, when they are plain fields.
    let direct: DirectInputs?

    init(plan: WindowPlan, ownClock: Bool = false, direct: DirectInputs? = nil) {
        self.plan = plan
        hasOwnClock = ownClock
        self.direct = direct
        switch plan.kind {
        case .tumbling(let size):
            store = .time(TimeWindowStore(size: size, advance: size, grace: plan.graceMs, program: plan.program))
        case .hopping(let size, let advance):
            store = .time(TimeWindowStore(size: size, advance: advance, grace: plan.graceMs, program: plan.program))
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

    /// Bytes of window state held, from the structures' sizes (see `Engine.stateBytes`).
    var stateBytes: Int {
        switch store {
        case .time(let s): s.stateBytes
        case .session(let s): s.stateBytes
        case .sliding(let s): s.stateBytes
        }
    }
}
