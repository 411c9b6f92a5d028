import SluiceExpr
import SluiceSupport

/// A `lookup` or `join` step ready to run: its plan, and its table or buffers.
final class JoinRuntime {
    let plan: JoinPlan
    /// Reads the other side's event times.
    let otherTime: EventTimeReader
    /// `lookup` only.
    let table: JoinTable?
    /// `join` only.
    let store: StreamJoinStore?
    let withinMs: Int64
    let graceMs: Int64

    init(plan: JoinPlan) {
        self.plan = plan
        otherTime = EventTimeReader(eventTime: plan.other.eventTime)
        switch plan.mode {
        case .lookup:
            table = JoinTable(historyMs: plan.historyMs)
            store = nil
            withinMs = 0
            graceMs = 0
        case .windowed(let within, let grace):
            table = nil
            store = StreamJoinStore(withinMs: within, graceMs: grace)
            withinMs = within
            graceMs = grace
        }
    }

    /// State entries of this step (see `Engine.snapshot`).
    func entries(step: Int, include: (Value) -> Bool) -> [StateEntry] {
        table?.entries(step: step, include: include) ?? store?.entries(step: step, include: include) ?? []
    }

    func restore(_ entry: StateEntry) -> Bool {
        table?.restore(entry) ?? store?.restore(entry) ?? false
    }

    var stateBytes: Int { table?.stateBytes ?? store?.stateBytes ?? 0 }

    /// Table rows, or buffered records.
    var stateCount: Int { table?.rowCount ?? store?.count ?? 0 }
}

extension Engine {
    /// Which join step each topic of another source feeds; nil when there is none.
    static func joinRoutes(_ plan: EnginePlan) -> [String: Int]? {
        var routes: [String: Int] = [:]
        for (index, step) in plan.steps.enumerated() {
            guard case .join(let join) = step, !join.selfJoin else { continue }
            for topic in join.other.topics { routes[topic] = index }
        }
        return routes.isEmpty ? nil : routes
    }

    /// A record of another source: decoded as that source says, then added to the step's table
    /// (lookup) or joined and buffered as the other side (join).
    func processJoinSide(_ input: UnsafePointer<Record>, step: Int, wallTime: Int64) {
        guard runtimes.indices.contains(step), case .join(let runtime) = runtimes[step] else { return }
        let source = runtime.plan.other
        let record = input.pointee
        var value = Value.null
        let tombstone = record.value == nil
        if !(tombstone && runtime.table != nil) {
            switch source.format {
            case .json:
                guard let bytes = record.value else {
                    return fail(.decode, "the record has no value (a tombstone), expected json", at: source.location, nil)
                }
                do {
                    value = try JSON.parse(bytes)
                } catch {
                    return fail(.decode, "the value is not valid json: \(error.message)", at: source.location, nil)
                }
            case .string:
                value = record.value.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
            }
            if let schema = source.schema, let problem = schema.violation(in: value) {
                return fail(.schema, "the value does not match the schema: \(problem)", at: source.location, nil)
            }
        }
        // A tombstone has no fields: its time is the record timestamp.
        let eventTime: Int64
        switch tombstone ? .success(record.timestamp) : runtime.otherTime.read(value: value, timestamp: record.timestamp) {
        case .success(let time): eventTime = time
        case .failure(let error): return fail(.eventTime, error.message, at: source.eventTimeLocation, nil)
        }
        let context = EvaluationContext(
            value: value, key: KeyCoding.value(record.key), timestamp: record.timestamp,
            now: options.clock == .wallClock ? wallTime : record.timestamp, topic: record.topic,
            partition: record.partition, offset: record.offset, headers: record.headers)
        if let table = runtime.table {
            return tableUpdate(table, runtime, context: context, tombstone: tombstone, eventTime: eventTime)
        }
        if clock.observe(topic: record.topic, partition: record.partition, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        var key = context.key
        if let expression = runtime.plan.otherKey {
            do {
                key = try expression.evaluate(context)
            } catch {
                return fail(.expression, "with_key: \(error.message)", at: runtime.plan.otherKeyLocation, nil)
            }
        }
        let working = Working(context: context, keyBytes: record.key, eventTime: eventTime, derived: false)
        streamJoin(runtime, working, side: 1, key: key, step: step)
    }

    /// Adds a version of a table row (its computed fields, or its deletion) under its record key.
    private func tableUpdate(_ table: JoinTable, _ runtime: JoinRuntime, context: EvaluationContext, tombstone: Bool, eventTime: Int64) {
        guard case .string(let key) = context.key else {
            return fail(.decode, "a table record needs a key", at: runtime.plan.other.location, nil)
        }
        guard !tombstone else { return table.update(key: key, time: eventTime, fields: nil) }
        var fields = ContiguousArray<Value>()
        fields.reserveCapacity(runtime.plan.fields.count)
        for field in runtime.plan.fields {
            do {
                fields.append(try field.expression.evaluate(context))
            } catch {
                return fail(.expression, "\(field.name): \(error.message)", at: field.location, nil)
            }
        }
        table.update(key: key, time: eventTime, fields: fields)
    }

    /// A stream record at a join step.
    func join(_ runtime: JoinRuntime, _ working: inout Working, step: Int) {
        // A lookup works on partial values as a map does; a stream-stream join nests the whole value.
        if working.originalFields == -2 || (working.originalFields != -1 && runtime.table == nil) { materialize(&working) }
        let key: Value
        do {
            key = try runtime.plan.key.expression.evaluate(working.context)
        } catch {
            return fail(.expression, "key: \(error.message)", at: runtime.plan.key.location, working)
        }
        guard let table = runtime.table else { return streamJoin(runtime, working, side: 0, key: key, step: step) }
        let cutoff = (clock.streamTime ?? Int64.min).minusSaturating(table.historyMs)
        let row = key == .null ? nil : table.row(JoinKey.text(key), at: working.eventTime, cutoff: cutoff)
        if row == nil && runtime.plan.type == .inner {
            counts.filtered += 1
            return
        }
        // Replacing a field the record has needs the whole value.
        if working.originalFields >= 0, let partialDecoder, let bytes = currentRecord?.pointee.value,
            runtime.plan.fields.contains(where: { partialDecoder.hasField($0.name, in: bytes) })
        {
            materialize(&working)
        }
        guard case .object(var object) = working.context.value else {
            return fail(
                .expression, "lookup needs an object value, got \(working.context.value.typeName)",
                at: runtime.plan.location, working)
        }
        working.context.value = .null  // leaves `object` uniquely referenced: set in place
        for (index, field) in runtime.plan.fields.enumerated() {
            let value = row.map { index < $0.count ? $0[index] : .null } ?? .null
            if working.originalFields >= 0 {
                FieldEdit.set(field.name, value, in: &object, from: working.originalFields)
            } else {
                object[field.name] = value
            }
        }
        working.context.value = .object(object)
        run(&working, from: step + 1)
    }
}
