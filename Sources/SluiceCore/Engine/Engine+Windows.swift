import SluiceExpr
import SluiceSupport

extension Engine {
    /// Adds a record to its windows; with `emit: update` emits every window it changed.
    func window(_ runtime: WindowRuntime, _ working: inout Working, step: Int) {
        // Key and aggregate arguments straight from the decoded fields, when they are plain fields.
        // (Plans are reached through `runtime` rather than copied: copying one costs dozens of retains.)
        if working.decoded, !working.derived, let direct = runtime.direct, let decoder = partialDecoder,
            case .time(let store) = runtime.store, let key = decoder.slot(direct.keySlot)
        {
            if fastTumblingAdd(runtime, store, eventTime: working.eventTime, key: key, decoder: decoder, slots: direct.argumentSlots) {
                return
            }
            let done: Void? = decoder.withValues(at: direct.argumentSlots) { arguments in
                add(to: store, runtime, &working, step: step, key: key) { (table, row) throws(EvaluationError) in
                    try table.update(row: row, arguments: arguments)
                } single: { () throws(EvaluationError) in
                    try store.program.single(arguments: arguments)
                }
            }
            if done != nil { return }
        }
        if working.originalFields == -2 { materialize(&working) }
        let key: Value
        do {
            key = try runtime.plan.key.expression.evaluate(working.context)
        } catch {
            return fail(.expression, "key: \(error.message)", at: runtime.plan.key.location, working)
        }
        if case .time(let store) = runtime.store {
            let context = working.context
            return add(to: store, runtime, &working, step: step, key: key) { (table, row) throws(EvaluationError) in
                try table.update(row: row, with: context)
            } single: { () throws(EvaluationError) in
                try store.program.single(context)
            }
        }
        let plan = runtime.plan
        let streamTime = windowStreamTime(runtime, working, step: step)
        let collect = plan.emit == .update
        var changed: [WindowResult] = []
        openedScratch.removeAll(keepingCapacity: true)
        mergedScratch.removeAll(keepingCapacity: true)
        let accepted: Bool
        do {
            switch runtime.store {
            case .time:
                return
            case .session(let store):
                accepted = try store.add(
                    key: key, eventTime: working.eventTime, streamTime: streamTime, context: working.context,
                    program: plan.program, changed: &changed, opened: &openedScratch, merged: &mergedScratch,
                    collectChanges: collect)
            case .sliding(let store):
                accepted = try store.add(
                    key: key, eventTime: working.eventTime, streamTime: streamTime, context: working.context,
                    program: plan.program, changed: &changed, opened: &openedScratch, collectChanges: collect)
            }
        } catch {
            return fail(.expression, error.message, at: plan.location, working)
        }
        guard accepted else { return late(working, runtime: runtime, step: step, streamTime: streamTime) }
        if options.trace { traceAdded(step: step, key: key, eventTime: working.eventTime) }
        for result in changed { emitWindow(result, runtime: runtime, step: step) }
    }

    /// The stream time a window step judges lateness and closing by; a step with its own clock
    /// first closes what the record's event time closes.
    private func windowStreamTime(_ runtime: WindowRuntime, _ working: Working, step: Int) -> Int64 {
        guard runtime.hasOwnClock else { return clock.streamTime ?? Int64.min }
        if runtime.ownStreamTime.map({ working.eventTime > $0 }) ?? true {
            runtime.ownStreamTime = working.eventTime
            close(runtime, step: step, streamTime: working.eventTime)
        }
        return runtime.ownStreamTime ?? Int64.min
    }

    /// Adds a record to a tumbling or hopping window store: `update` folds it into a row,
    /// `single` gives its state alone (hopping).
    private func add(
        to store: TimeWindowStore, _ runtime: WindowRuntime, _ working: inout Working, step: Int, key: Value,
        update: (AggregateTable, Int) throws(EvaluationError) -> Void,
        single: () throws(EvaluationError) -> AggregateState
    ) {
        let streamTime = windowStreamTime(runtime, working, step: step)
        let collect = runtime.plan.emit == .update
        var changed: [WindowResult] = []
        openedScratch.removeAll(keepingCapacity: true)
        mergedScratch.removeAll(keepingCapacity: true)
        let accepted: Bool
        do {
            accepted = try store.add(
                key: key, eventTime: working.eventTime, streamTime: streamTime, update: update, single: single,
                changed: &changed, opened: &openedScratch, collectChanges: collect)
        } catch {
            return fail(.expression, error.message, at: runtime.plan.location, working)
        }
        guard accepted else { return late(working, runtime: runtime, step: step, streamTime: streamTime) }
        if options.trace { traceAdded(step: step, key: key, eventTime: working.eventTime) }
        for result in changed { emitWindow(result, runtime: runtime, step: step) }
    }

    private func traceAdded(step: Int, key: Value, eventTime: Int64) {
        let by = current.map(Self.coordinates) ?? RecordCoordinates(topic: "", partition: -1, offset: -1)
        if let into = mergedScratch.last {
            traceEvents.append(.windowsMerged(step: step, key: key, merged: mergedScratch.dropLast(), into: into, by: by))
        }
        for bounds in openedScratch {
            traceEvents.append(.windowOpened(step: step, key: key, window: bounds, by: by, eventTime: eventTime))
        }
    }

    /// A late record: sent unchanged (as read from the source) to `late_topic`, or dropped and counted.
    private func late(_ working: Working, runtime: WindowRuntime, step: Int, streamTime: Int64) {
        routeLate(working, to: runtime.plan.lateTopic, step: step, streamTime: streamTime)
    }

    /// Sends a late record (windows and joins alike) to `topic`, or drops and counts it.
    func routeLate(_ working: Working, to topic: String?, step: Int, streamTime: Int64) {
        if options.trace {
            let by = current.map(Self.coordinates) ?? RecordCoordinates(topic: "", partition: -1, offset: -1)
            traceEvents.append(.late(step: step, record: by, eventTime: working.eventTime, streamTime: streamTime, routedTo: topic))
        }
        guard let topic else {
            counts.lateDropped += 1
            return
        }
        counts.lateRouted += 1
        var record: Record
        if !working.derived, let current {
            record = current
            record.topic = topic
            record.partition = -1
            record.offset = -1
        } else {
            record = Record(
                topic: topic, partition: -1, offset: -1, timestamp: working.context.timestamp, key: working.keyBytes,
                value: encode(working.context.value))
        }
        emit(record)
    }

    /// Closes, in step order, every window whose end + grace <= `streamTime`; with `emit: final`
    /// their results continue down the pipeline (end order, then key order).
    func closeWindows(streamTime: Int64) {
        for (step, runtime) in runtimes.enumerated() {
            guard case .window(let window) = runtime else { continue }
            // A window with its own stream time closes as its input advances, and at the end.
            if window.hasOwnClock && streamTime != Int64.max { continue }
            close(window, step: step, streamTime: streamTime)
        }
        expireJoins(streamTime: streamTime)
    }

    private func close(_ window: WindowRuntime, step: Int, streamTime: Int64) {
        // Most advances of stream time close nothing: tell without asking the store to look.
        if case .time(let store) = window.store, streamTime < store.nextClose { return }
        var closed: [WindowResult] = []
        window.close(streamTime: streamTime, into: &closed)
        for result in closed {
            counts.windowsClosed += 1
            if options.trace {
                traceEvents.append(.windowClosed(
                    step: step, key: result.key, window: result.bounds,
                    streamTime: streamTime == Int64.max ? nil : streamTime))
            }
            if window.plan.emit == .final { emitWindow(result, runtime: window, step: step) }
        }
    }

    /// Sends one window result down the pipeline: `{key, window_start, window_end, aggregates...}`,
    /// keyed by the key value, timestamped `window_end - 1`.
    private func emitWindow(_ result: WindowResult, runtime: WindowRuntime, step: Int) {
        let plan = runtime.plan
        // The last step, to sinks keyed by the window key: the object's JSON written directly.
        if step + 1 == runtimes.count, !options.trace, case .time(let store) = runtime.store,
            !self.plan.sinks.contains(where: { $0.key != nil }),
            let bytes = store.resultJSON(result, keyField: plan.key.fieldName)
        {
            return emitToSinks(bytes, key: result.key, timestamp: result.bounds.end.minusSaturating(1))
        }
        var object = JSONObject()
        object.fields.reserveCapacity(plan.program.names.count + 3)
        object.fields.append((plan.key.fieldName, result.key))
        object.fields.append((ResultFields.windowStart, .int(result.bounds.start)))
        object.fields.append((ResultFields.windowEnd, .int(result.bounds.end)))
        let time = result.bounds.end.minusSaturating(1)
        do {
            object.fields.append(contentsOf: try plan.program.result(result.state).fields)
        } catch {
            let working = derived(value: .object(object), key: result.key, timestamp: time, eventTime: time)
            return fail(.aggregate, error.message, at: plan.location, working)
        }
        var working = derived(value: .object(object), key: result.key, timestamp: time, eventTime: time)
        run(&working, from: step + 1)
    }
}
