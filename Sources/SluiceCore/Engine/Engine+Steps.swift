import SluiceExpr
import SluiceSupport

extension Engine {
    /// Runs `working` through the steps from `start`, then to every sink.
    func run(_ working: inout Working, from start: Int) {
        var index = start
        while index < runtimes.count {
            switch runtimes[index] {
            case .filter(let filter):
                let result: Value
                do {
                    result = try filter.condition.evaluate(working.context)
                } catch {
                    return fail(.expression, error.message, at: filter.location, working)
                }
                guard case .bool(let keep) = result else {
                    return fail(
                        .filterResult, "the filter condition gave \(result.typeName), expected true or false",
                        at: filter.location, working)
                }
                if !keep {
                    counts.filtered += 1
                    return
                }
            case .map(let sets):
                for set in sets {
                    let result: Value
                    do {
                        result = try set.expression.evaluate(working.context)
                    } catch {
                        return fail(.expression, "\(set.name): \(error.message)", at: set.location, working)
                    }
                    // Setting a field the record has replaces it in place: that needs the whole value.
                    if working.originalFields >= 0, let partialDecoder, currentValueHasField(set.name, decoder: partialDecoder) {
                        materialize(&working)
                    }
                    guard case .object(var object) = working.context.value else {
                        return fail(
                            .expression, "map needs an object value, got \(working.context.value.typeName)",
                            at: set.location, working)
                    }
                    working.context.value = .null  // leaves `object` uniquely referenced: set in place
                    if working.originalFields >= 0 {
                        // A partial value holds none of the record's other fields: only those
                        // added before can have this name.
                        FieldEdit.set(set.name, result, in: &object, from: working.originalFields)
                    } else {
                        object[set.name] = result
                    }
                    working.context.value = .object(object)
                }
            case .select(let paths):
                guard case .object(let object) = working.context.value else {
                    return fail(
                        .expression, "select needs an object value, got \(working.context.value.typeName)",
                        at: stepLocation(index), working)
                }
                // Built from the selected fields only, which a partial value has: whole now.
                working.context.value = .object(FieldEdit.select(paths, from: object))
                working.originalFields = -1
            case .drop(let paths):
                materialize(&working)
                if case .object(var object) = working.context.value {
                    working.context.value = .null
                    for path in paths { FieldEdit.remove(path, from: &object) }
                    working.context.value = .object(object)
                }
            case .to(let to):
                produce(working, topic: to.topic, key: to.key, keyLocation: to.location)
            case .aggregate(let runtime):
                if index == repartitionStep { return repartition(&working, step: index) }
                return aggregate(runtime, &working, step: index)
            case .window(let runtime):
                if index == repartitionStep { return repartition(&working, step: index) }
                return window(runtime, &working, step: index)
            case .join(let runtime):
                return join(runtime, &working, step: index)
            }
            index += 1
        }
        for sink in plan.sinks {
            produce(working, topic: sink.topic, key: sink.key, keyLocation: sink.location)
        }
    }

    /// Produces the current record to `topic`, with its key from `key` or its current key.
    func produce(_ working: Working, topic: String, key: Expression?, keyLocation: SourceLocation) {
        var keyBytes = working.keyBytes
        if let key {
            do {
                keyBytes = KeyCoding.bytes(try key.evaluate(working.context))
            } catch {
                return fail(.expression, "key: \(error.message)", at: keyLocation, working)
            }
        }
        outputs.append(
            topic: topic, partition: -1, key: keyBytes, headers: working.derived ? [] : working.context.headers,
            value: splicedValue(of: working), timestamp: working.context.timestamp, cause: currentCause)
    }

    func encode(_ value: Value) -> [UInt8] {
        if plan.source.format == .string, case .string(let text) = value { return Array(text.utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        value.writeJSON(into: &bytes)
        return bytes
    }

    func emit(_ record: consuming Record) {
        outputs.append(EngineOutput(record: record, cause: currentCause))
    }

    func aggregate(_ runtime: AggregateRuntime, _ working: inout Working, step: Int) {
        // Key and aggregate arguments straight from the decoded fields, when they are plain fields.
        if working.decoded, !working.derived, let direct = runtime.direct, let decoder = partialDecoder,
            let key = decoder.slot(direct.keySlot)
        {
            if aggregateStraightToSinks(runtime, key: key, decoder: decoder, slots: direct.argumentSlots, working, step: step) {
                return
            }
            if let state = fastAggregateAdd(runtime, key: key, decoder: decoder, slots: direct.argumentSlots) {
                return aggregated(state, key: key, runtime, working, step: step)
            }
            let outcome = decoder.withValues(at: direct.argumentSlots) { arguments in
                Result { () throws(EvaluationError) -> AggregateState? in
                    try runtime.add(key: key) { (table, row) throws(EvaluationError) in
                        try table.update(row: row, arguments: arguments)
                    }
                }
            }
            switch outcome {
            case .success(let state)?: return aggregated(state, key: key, runtime, working, step: step)
            case .failure(let error)?: return fail(.expression, error.message, at: runtime.plan.location, working)
            case nil: break
            }
        }
        if working.originalFields == -2 { materialize(&working) }
        let key: Value
        do {
            key = try runtime.plan.key.expression.evaluate(working.context)
        } catch {
            return fail(.expression, "key: \(error.message)", at: runtime.plan.key.location, working)
        }
        let state: AggregateState?
        do {
            let context = working.context
            state = try runtime.add(key: key) { (table, row) throws(EvaluationError) in try table.update(row: row, with: context) }
        } catch {
            return fail(.expression, error.message, at: runtime.plan.location, working)
        }
        aggregated(state, key: key, runtime, working, step: step)
    }

    /// Sends an aggregate result (every N-th record of a key) down the pipeline.
    func aggregated(_ state: AggregateState?, key: Value, _ runtime: AggregateRuntime, _ working: Working, step: Int) {
        guard let state else { return }
        let fields: JSONObject
        do {
            fields = try runtime.plan.program.result(state)
        } catch {
            return fail(.aggregate, error.message, at: runtime.plan.location, working)
        }
        if produceAggregateDirectly(fields, key: key, runtime, working, step: step) { return }
        var object = JSONObject()
        object.fields.reserveCapacity(fields.count + 1)
        object.fields.append((runtime.plan.key.fieldName, key))
        object.fields.append(contentsOf: fields.fields)
        var result = derived(value: .object(object), key: key, timestamp: working.context.timestamp, eventTime: working.eventTime)
        run(&result, from: step + 1)
    }

    /// A result record (aggregate or window) carrying `value` with key `key`.
    func derived(value: Value, key: Value, timestamp: Int64, eventTime: Int64) -> Working {
        let keyBytes = KeyCoding.bytes(key)
        // What `key()` gives: the key bytes as text (a string key is that text already).
        let keyText: Value
        if !needsKeyText {
            keyText = .null
        } else if case .string = key {
            keyText = key
        } else {
            keyText = KeyCoding.value(keyBytes)
        }
        let context = EvaluationContext(
            value: value, key: keyText, timestamp: timestamp,
            now: options.clock == .wallClock ? wallTime : timestamp, topic: currentRecord?.pointee.topic ?? "",
            partition: currentRecord?.pointee.partition ?? -1, offset: currentRecord?.pointee.offset ?? -1, headers: [])
        return Working(context: context, keyBytes: keyBytes, eventTime: eventTime, derived: true)
    }

    func stepLocation(_ index: Int) -> SourceLocation {
        switch plan.steps[index] {
        case .filter(let f): f.location
        case .map(_, let location), .select(_, let location), .drop(_, let location): location
        case .to(let t): t.location
        case .aggregate(let a): a.location
        case .window(let w): w.location
        case .join(let j): j.location
        }
    }
}

/// Field-path edits for `map`, `select` and `drop`.
enum FieldEdit {
    /// `object[name] = value`, looking for an existing `name` only from index `start` on.
    @inline(__always)
    static func set(_ name: String, _ value: Value, in object: inout JSONObject, from start: Int) {
        var index = start
        while index < object.fields.count {
            if object.fields[index].key == name {
                object.fields[index].value = value
                return
            }
            index += 1
        }
        object.fields.append((key: name, value: value))
    }

    /// An object with only `paths`, in the order listed; nested paths keep their parents.
    static func select(_ paths: [[String]], from object: JSONObject) -> JSONObject {
        var result = JSONObject()
        for path in paths {
            guard let value = FieldPath.lookup(path, in: .object(object)) else { continue }
            insert(value, at: path[...], into: &result)
        }
        return result
    }

    private static func insert(_ value: Value, at path: ArraySlice<String>, into object: inout JSONObject) {
        guard let name = path.first else { return }
        if path.count == 1 {
            object[name] = value
            return
        }
        var child = object[name]?.objectValue ?? JSONObject()
        insert(value, at: path.dropFirst(), into: &child)
        object[name] = .object(child)
    }

    static func remove(_ path: [String], from object: inout JSONObject) {
        remove(path[...], from: &object)
    }

    private static func remove(_ path: ArraySlice<String>, from object: inout JSONObject) {
        guard let name = path.first else { return }
        if path.count == 1 {
            object[name] = nil
            return
        }
        guard case .object(var child)? = object[name] else { return }
        remove(path.dropFirst(), from: &child)
        object[name] = .object(child)
    }
}
