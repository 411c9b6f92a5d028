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
        for (index, topic) in outputTopics.enumerated() { stats.recordsOut[topic, default: 0] += outputCounts[index] }
        return stats
    }
    var counts = EngineStats()
    /// Records out per topic, kept apart from `counts` so counting an output is an array bump.
    var outputTopics: [String] = []
    var outputCounts: [Int] = []
    /// How many input records were fed; the next record's sequence number.
    public private(set) var inputCount: Int64 = 0

    var runtimes: [StepRuntime]
    var clock: StreamClock
    let eventTimeReader: EventTimeReader
    /// Whether any expression may call `key()`, so the key is decoded to text only when needed.
    let needsKeyText: Bool
    var outputs: [EngineOutput] = []
    var traceEvents: [TraceEvent] = []
    /// The input being processed (nil during tick/finish), for dead-letter and late records.
    var current: Record?
    var currentCause: Int64 = -1
    var wallTime: Int64 = 0
    /// Scratch arrays reused across records.
    var openedScratch: [WindowBounds] = []
    var mergedScratch: [WindowBounds] = []

    public init(plan: EnginePlan, options: EngineOptions = EngineOptions()) {
        self.plan = plan
        self.options = options
        var stateful = false
        runtimes = plan.steps.map { step in
            defer { if case .aggregate = step { stateful = true } else if case .window = step { stateful = true } }
            return StepRuntime(step, afterStatefulStep: stateful)
        }
        clock = StreamClock(idleTimeoutMs: plan.source.idleTimeoutMs, wallClock: options.clock == .wallClock)
        eventTimeReader = EventTimeReader(eventTime: plan.source.eventTime)
        needsKeyText = plan.expressionSources.contains { $0.contains("key(") }
    }

    /// The current stream time (nil before the first event time; Int64.max after `finish`).
    public var streamTime: Int64? { clock.streamTime }

    /// Feeds one record; its outputs wait in `takeOutputs()`.
    public func process(_ record: Record, wallTime: Int64 = 0) {
        self.wallTime = wallTime
        let cause = inputCount
        inputCount &+= 1
        counts.recordsIn += 1
        current = record
        currentCause = cause
        defer { current = nil }

        let value: Value
        switch plan.source.format {
        case .json:
            guard let bytes = record.value else {
                return fail(.decode, "the record has no value (a tombstone), expected json", at: plan.source.location, nil)
            }
            do {
                value = try JSON.parse(bytes)
            } catch {
                return fail(.decode, "the value is not valid json: \(error.message)", at: plan.source.location, nil)
            }
        case .string:
            value = record.value.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        }
        if let schema = plan.source.schema, let problem = schema.violation(in: value) {
            return fail(.schema, "the value does not match the schema: \(problem)", at: plan.source.location, nil)
        }
        let eventTime: Int64
        switch eventTimeReader.read(value: value, timestamp: record.timestamp) {
        case .success(let time): eventTime = time
        case .failure(let error): return fail(.eventTime, error.message, at: plan.source.eventTimeLocation, nil)
        }
        if clock.observe(topic: record.topic, partition: record.partition, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        var working = Working(
            context: EvaluationContext(
                value: value, key: needsKeyText ? KeyCoding.value(record.key) : .null, timestamp: record.timestamp,
                now: options.clock == .wallClock ? wallTime : record.timestamp, topic: record.topic,
                partition: record.partition, offset: record.offset, headers: record.headers),
            keyBytes: record.key, eventTime: eventTime, derived: false)
        run(&working, from: 0)
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
        defer { outputs.removeAll(keepingCapacity: true) }
        return outputs
    }

    /// Drains produced records into `body` without building an array.
    public func drainOutputs(_ body: (EngineOutput) -> Void) {
        for output in outputs { body(output) }
        outputs.removeAll(keepingCapacity: true)
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
            case .aggregate(let a): total + a.entries.count
            default: total
            }
        }
    }

    private func streamTimeAdvanced() {
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
            case .select, .drop: break
            }
        }
        return sources
    }
}
