import SluiceExpr
import SluiceSupport

/// Runs a compiled pipeline: source records in, produced records out, driven by a clock.
///
/// The same engine serves `dry-run`/`test` (recorded input, event-time clock) and `run`
/// (Kafka, wall clock). It is fed synchronously and never blocks or does I/O:
/// - `process(_:wallTime:)` feeds records (one or a batch); each gets a sequence number;
/// - `takeOutputs()` drains what was produced since, each output naming the input that caused it;
/// - `tick(wallTime:)` lets wall-clock idleness advance stream time (run);
/// - `finish()` ends the input: stream time goes to infinity and every window closes;
/// - `snapshot()`/`restore(_:)` save and load aggregate and window state (see EngineState).
///
/// Not thread-safe: one engine belongs to one task at a time.
public final class Engine {
    public let plan: EnginePlan
    public let options: EngineOptions
    /// Counters so far (records in and out, late records, error records by kind).
    public var stats: EngineStats {
        var stats = counts
        for (index, topic) in outputs.topics.enumerated() where outputs.topicCounts[index] > 0 {
            stats.recordsOut[topic, default: 0] += outputs.topicCounts[index]
        }
        return stats
    }
    // The per-record state below skips dynamic exclusivity checks (about 50 instructions per
    // access, several per record): an engine is used by one task at a time, and no access to
    // these properties begins while a mutation of the same property is under way, since the
    // mutations (counters, appends, `clock.observe`) never call back into the engine.
    @exclusivity(unchecked) var counts = EngineStats()
    /// How many input records were fed; the next record's sequence number.
    @exclusivity(unchecked) public internal(set) var inputCount: Int64 = 0

    let runtimes: [StepRuntime]
    /// Topics of other sources and the join step each feeds; nil without joins.
    let joinRoutes: [String: Int]?
    @exclusivity(unchecked) var clock: StreamClock
    let eventTimeReader: EventTimeReader
    /// Whether any expression may call `key()`, so the key is decoded to text only when needed.
    let needsKeyText: Bool
    /// Decodes only the fields the plan reads; nil when the plan needs whole values.
    let partialDecoder: PartialDecoder?
    /// `partialDecoder` when records go through `processDirect` first, unretained (the engine
    /// holds it), so that using it per record costs no reference counting.
    let directDecoder: Unmanaged<PartialDecoder>?
    /// Runs leading map and to steps fused, for plans of that shape (see Engine+DirectMap).
    let directMap: DirectMapRunner?
    /// `directMap` unretained (the engine holds it), used per record without reference counting.
    private let directMapRef: Unmanaged<DirectMapRunner>?
    let outputs = OutputBuffer()
    /// The sinks' topics as `outputs` numbers them.
    let sinkTopics: [Int32]
    /// The escaped `,"name":` texts of fields maps add, for outputs spliced from input bytes.
    let keyPrefixes = JSONKeyPrefixes()
    var traceEvents: [TraceEvent] = []
    /// The input being processed (nil during tick/finish), for dead-letter and late records:
    /// the caller's record, borrowed for the duration of `process`.
    @exclusivity(unchecked) var currentRecord: UnsafePointer<Record>?
    /// A copy of the input being processed.
    var current: Record? { currentRecord?.pointee }
    @exclusivity(unchecked) var currentCause: Int64 = -1
    @exclusivity(unchecked) var wallTime: Int64 = 0
    /// Scratch arrays reused across records.
    @exclusivity(unchecked) var openedScratch: [WindowBounds] = []
    @exclusivity(unchecked) var mergedScratch: [WindowBounds] = []
    /// The step records are re-keyed before (`EnginePlan.repartition`), -1 for none, and the
    /// topic they come back on (see Engine+Repartition).
    let repartitionStep: Int
    let repartitionTopic: String
    /// Whether re-keyed records carry their original key and coordinates in headers, for the
    /// stateful step's expressions that read them.
    let repartitionCarriesSource: Bool

    public init(plan: EnginePlan, options: EngineOptions = EngineOptions()) {
        self.plan = plan
        sinkTopics = plan.sinks.map { [outputs] in outputs.topicIndex($0.topic) }
        self.options = options
        let decoder = options.partialDecoding ? PartialDecoder(plan: plan) : nil
        partialDecoder = decoder
        directDecoder = decoder.flatMap { $0.buildsObject ? nil : Unmanaged.passUnretained($0) }
        var stateful = false
        runtimes = plan.steps.enumerated().map { index, step in
            defer { if case .aggregate = step { stateful = true } else if case .window = step { stateful = true } }
            let direct = decoder?.direct.flatMap { $0.step == index ? $0.inputs : nil }
            return StepRuntime(step, afterStatefulStep: stateful, direct: direct)
        }
        joinRoutes = Self.joinRoutes(plan)
        clock = StreamClock(idleTimeoutMs: plan.source.idleTimeoutMs, wallClock: options.clock == .wallClock)
        eventTimeReader = EventTimeReader(eventTime: plan.source.eventTime)
        needsKeyText = plan.expressionSources.contains { $0.contains("key(") }
        repartitionStep = plan.repartition?.step ?? -1
        repartitionTopic = Self.repartitionTopic(plan, options)
        repartitionCarriesSource = Self.repartitionReadsSource(plan)
        if repartitionStep >= 0, options.repartition != nil { clock.onlyTopic = repartitionTopic }
        if !options.trace, repartitionStep < 0, let decoder {
            directMap = DirectMapRunner(plan: plan, decoder: decoder, runtimes: runtimes)
        } else {
            directMap = nil
        }
        directMapRef = directMap.map { Unmanaged.passUnretained($0) }
    }

    /// Whether this engine decodes only the record fields the pipeline reads (see
    /// `EngineOptions.partialDecoding`; some pipelines need whole values).
    public var decodesPartially: Bool { partialDecoder != nil }

    /// The current stream time (nil before the first event time; Int64.max after `finish`).
    public var streamTime: Int64? { clock.streamTime }

    /// Feeds one record; its outputs wait in `takeOutputs()`.
    public func process(_ record: Record, wallTime: Int64 = 0) {
        self.wallTime = wallTime
        let cause = inputCount
        inputCount &+= 1
        counts.recordsIn += 1
        currentCause = cause
        // Borrowed for the call rather than copied: copying a record costs several retains.
        withUnsafePointer(to: record) { pointer in
            currentRecord = pointer
            defer { currentRecord = nil }
            process(pointer, wallTime: wallTime)
        }
    }

    func process(_ input: UnsafePointer<Record>, wallTime: Int64) {
        if let joinRoutes, let step = joinRoutes[input.pointee.topic] { return processJoinSide(input, step: step, wallTime: wallTime) }
        if repartitionStep >= 0, input.pointee.topic == repartitionTopic { return processRepartitioned(input, wallTime: wallTime) }
        if let directDecoder, repartitionStep != 0, processDirect(input, directDecoder, wallTime: wallTime) { return }
        if let directMapRef, directMapRef._withUnsafeGuaranteedRef({ processDirectMap(input, $0, wallTime: wallTime) }) { return }
        // Fields are read through the pointer one at a time, so the record is never copied whole.
        let bytes = input.pointee.value
        var value = Value.null
        var originalFields = -1
        var canonical = false
        var scannedTime: Int64?
        var fields: [(key: String, value: Value)] = []
        var decoded = false
        if let partialDecoder, let bytes, partialDecoder.decode(bytes, into: &fields, eventTime: &scannedTime) {
            // Valid, schema checked, and only the fields the plan reads decoded.
            decoded = true
            canonical = partialDecoder.scan.isCanonical
            if partialDecoder.buildsObject {
                originalFields = fields.count
                value = .object(JSONObject(fields))
                fields = []
            } else {
                originalFields = -2
            }
        } else {
            switch plan.source.format {
            case .json:
                guard let bytes else {
                    return fail(.decode, "the record has no value (a tombstone), expected json", at: plan.source.location, nil)
                }
                do {
                    value = try JSON.parse(bytes)
                } catch {
                    return fail(.decode, "the value is not valid json: \(error.message)", at: plan.source.location, nil)
                }
            case .string:
                value = bytes.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
            }
            if let schema = plan.source.schema, let problem = schema.violation(in: value) {
                return fail(.schema, "the value does not match the schema: \(problem)", at: plan.source.location, nil)
            }
        }
        let eventTime: Int64
        if let scannedTime {
            eventTime = scannedTime
        } else {
            if originalFields == -2, let bytes, let whole = try? JSON.parse(bytes) {
                // No partial object was built: read the time (or the exact error) from the whole value.
                value = whole
                originalFields = -1
            }
            switch eventTimeReader.read(value: value, timestamp: input.pointee.timestamp) {
            case .success(let time): eventTime = time
            case .failure(let error): return fail(.eventTime, error.message, at: plan.source.eventTimeLocation, nil)
            }
        }
        let topic = input.pointee.topic, partition = input.pointee.partition, timestamp = input.pointee.timestamp
        if clock.observe(topic: topic, partition: partition, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        let key = input.pointee.key
        var working = Working(
            context: EvaluationContext(
                value: consume value, key: needsKeyText ? KeyCoding.value(key) : .null, timestamp: timestamp,
                now: options.clock == .wallClock ? wallTime : timestamp, topic: topic,
                partition: partition, offset: input.pointee.offset, headers: input.pointee.headers),
            keyBytes: key, eventTime: eventTime, derived: false, originalFields: originalFields,
            canonical: canonical, decoded: decoded)
        run(&working, from: 0)
        // The partial value's fields array serves the next record too.
        if working.originalFields >= 0, case .object(var object) = working.context.value {
            working.context.value = .null
            swap(&fields, &object.fields)
            partialDecoder?.recycle(&fields)
        }
    }

    /// Feeds records in order.
    public func process<S: Sequence<Record>>(_ records: S, wallTime: Int64 = 0) {
        for record in records { process(record, wallTime: wallTime) }
    }

    /// Wall-clock mode: lets partitions silent for `idle_timeout` stop holding stream time back,
    /// which may close windows. Call it periodically (e.g. every poll).
    public func tick(wallTime: Int64) {
        self.wallTime = wallTime
        currentCause = inputCount - 1
        if clock.tick(wallTime: wallTime) { streamTimeAdvanced() }
    }

    /// End of input: stream time goes to infinity and every open window closes and emits
    /// (`emit: final`), in window-end order, then key order.
    public func finish() {
        currentCause = inputCount - 1
        clock.finish()
        closeWindows(streamTime: Int64.max)
    }

    /// Registers input partitions before their first record (run: on assignment), so they hold
    /// stream time back until they deliver or go idle.
    public func assign(partitions: [(topic: String, partition: Int32)], wallTime: Int64) {
        for p in partitions { clock.assign(topic: p.topic, partition: p.partition, wallTime: wallTime) }
    }

    /// Forgets revoked input partitions; stream time may move on (and close windows).
    public func revoke(partitions: [(topic: String, partition: Int32)]) {
        currentCause = inputCount - 1
        var advanced = false
        for p in partitions where clock.revoke(topic: p.topic, partition: p.partition) { advanced = true }
        if advanced { streamTimeAdvanced() }
    }

    /// The records produced since the last call, in emission order.
    public func takeOutputs() -> [EngineOutput] {
        outputs.takeAll()
    }

    /// Drains produced records into `body` without building an array.
    public func drainOutputs(_ body: (EngineOutput) -> Void) {
        outputs.drain(body)
    }

    /// Drains produced records into `body` with their bytes in place, valid only during each
    /// call: what a caller that copies them anyway (a Kafka producer) should use.
    public func drainBorrowedOutputs(_ body: (BorrowedOutput) -> Void) {
        outputs.drainBorrowed(body)
    }

    /// Trace events since the last call (only with `options.trace`).
    public func takeTrace() -> [TraceEvent] {
        defer { traceEvents.removeAll(keepingCapacity: true) }
        return traceEvents
    }

    /// Open windows (window and key pairs) over all window steps, and running aggregate keys.
    public var openStateCount: Int {
        runtimes.reduce(0) { total, runtime in
            switch runtime {
            case .window(let w): total + w.openWindowCount
            case .join(let j): total + j.stateCount
            case .aggregate(let a): total + a.keys.count
            default: total
            }
        }
    }

    /// Bytes of aggregate and window state, counted from the sizes and capacities of the
    /// structures that hold it (not measured: allocator overhead is not included).
    public var stateBytes: Int {
        runtimes.reduce(0) { total, runtime in
            switch runtime {
            case .window(let w): total + w.stateBytes
            case .join(let j): total + j.stateBytes
            case .aggregate(let a): total + a.stateBytes
            default: total
            }
        }
    }

    func streamTimeAdvanced() {
        guard let time = clock.streamTime else { return }
        guard options.trace else { return closeWindows(streamTime: time) }
        // Traced only when it closes something: that is when users need to know what moved it.
        let mark = traceEvents.count
        traceEvents.append(.streamTime(time, by: current.map(Self.coordinates)))
        closeWindows(streamTime: time)
        if traceEvents.count == mark + 1 { traceEvents.removeLast() }
    }

    static func coordinates(_ record: Record) -> RecordCoordinates {
        RecordCoordinates(topic: record.topic, partition: record.partition, offset: record.offset)
    }
}

/// The record travelling down the steps: its evaluation context (value, key text, timestamp,
/// coordinates) plus what is not in it.
struct Working {
    var context: EvaluationContext
    var keyBytes: [UInt8]?
    var eventTime: Int64
    /// True for aggregate and window results (no single original input record).
    var derived: Bool
    /// With a partial value (see `PartialDecoder`): how many of its fields come from the record,
    /// the rest having been added by maps. -1: the value is whole. -2: no value was built (only
    /// a step with direct inputs reads the record; `materialize` decodes it when needed).
    var originalFields = -1
    /// With a partial value: whether the record's bytes are canonical JSON, so outputs can splice.
    var canonical = false
    /// Whether the partial decoder decoded this record: its values of the fields the plan reads
    /// are there (`PartialDecoder.slot`), for steps with direct inputs.
    var decoded = false
}

extension EnginePlan {
    /// The source text of every expression, for cheap static questions about them.
    var expressionSources: [String] {
        var sources = sinks.compactMap { $0.key?.source }
        for step in steps {
            switch step {
            case .filter(let f): sources.append(f.condition.source)
            case .map(let sets, _): sources += sets.map(\.expression.source)
            case .to(let t): if let key = t.key { sources.append(key.source) }
            case .aggregate(let a): sources += [a.key.expression.source] + a.aggregateSources
            case .window(let w): sources += [w.key.expression.source] + w.aggregateSources
            case .join(let j): sources += j.expressionSources
            case .select, .drop: break
            }
        }
        return sources
    }
}
