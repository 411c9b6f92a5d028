import SluiceExpr
import SluiceSupport

/// Repartitioning (`EnginePlan.repartition`): records reaching the repartition step from the
/// source (stage 1) are re-keyed by the step's key and written to the repartition topic; records
/// read from that topic (stage 2) enter at the step. In `run` the topic is a Kafka topic
/// (`EngineOptions.repartition`) and only its partitions drive stream time; otherwise stage 1
/// hands each record straight to stage 2 and stream time is as without the topic.
extension Engine {
    /// The header carrying a re-keyed record's event time: milliseconds, as decimal text.
    public static let eventTimeHeader = "sluice-event-time"
    /// Headers carrying the original record's key and coordinates, written only when the
    /// stateful step's expressions call `key()`, `topic()`, `partition()` or `offset()`, so they
    /// see the original record as they would without a repartition topic.
    static let sourceKeyHeader = "sluice-source-key"
    static let sourceTopicHeader = "sluice-source-topic"
    static let sourcePartitionHeader = "sluice-source-partition"
    static let sourceOffsetHeader = "sluice-source-offset"

    /// The topic re-keyed records come back on: the run's, else the in-memory name after the
    /// group; "" without a repartition point.
    static func repartitionTopic(_ plan: EnginePlan, _ options: EngineOptions) -> String {
        guard plan.repartition != nil else { return "" }
        if let target = options.repartition { return target.topic }
        return plan.repartitionTopic(group: plan.group.isEmpty ? "sluice" : plan.group) ?? ""
    }

    static func repartitionReadsSource(_ plan: EnginePlan) -> Bool {
        guard let step = plan.repartition?.step, plan.steps.indices.contains(step) else { return false }
        let sources: [String]
        switch plan.steps[step] {
        case .aggregate(let a): sources = [a.key.expression.source] + a.aggregateSources
        case .window(let w): sources = [w.key.expression.source] + w.aggregateSources
        default: return false
        }
        return sources.contains { source in ["key(", "topic(", "partition(", "offset("].contains { source.contains($0) } }
    }

    /// Stage 1: re-keys the record by the step's key and sends it through the repartition topic.
    func repartition(_ working: inout Working, step: Int) {
        let keyPlan: KeyPlan
        switch runtimes[step] {
        case .aggregate(let runtime): keyPlan = runtime.plan.key
        case .window(let runtime): keyPlan = runtime.plan.key
        default: return
        }
        if working.originalFields == -2 { materialize(&working) }
        let key: Value
        do {
            key = try keyPlan.expression.evaluate(working.context)
        } catch {
            return fail(.expression, "key: \(error.message)", at: keyPlan.location, working)
        }
        var value: [UInt8]
        if working.originalFields == -1 {
            // Always JSON, whatever the source format: stage 2 parses it as such.
            value = []
            value.reserveCapacity(128)
            working.context.value.writeJSON(into: &value)
        } else {
            value = encodeValue(of: working)
        }
        var headers = working.context.headers
        headers.append(Header(Self.eventTimeHeader, String(working.eventTime)))
        if repartitionCarriesSource {
            if let key = working.keyBytes { headers.append(Header(name: Self.sourceKeyHeader, value: key)) }
            headers.append(Header(Self.sourceTopicHeader, working.context.topic))
            headers.append(Header(Self.sourcePartitionHeader, String(working.context.partition)))
            headers.append(Header(Self.sourceOffsetHeader, String(working.context.offset)))
        }
        let keyBytes = KeyCoding.bytes(key)
        if let target = options.repartition {
            let partition = Int32(truncatingIfNeeded: Self.partition(forKey: key, partitions: target.partitions))
            emit(Record(
                topic: target.topic, partition: partition, offset: -1, timestamp: working.context.timestamp,
                key: keyBytes, headers: headers, value: value))
            return
        }
        // In memory: as if read back from the topic, on the input's partition.
        let record = Record(
            topic: repartitionTopic, partition: working.context.partition, offset: working.context.offset,
            timestamp: working.context.timestamp, key: keyBytes, headers: headers, value: value)
        // Stream time is as without a repartition topic: the input record observed the clock.
        withUnsafePointer(to: record) { enterRepartitioned($0, observe: false) }
    }

    /// A record fed from the repartition topic (run): not counted as a new input record.
    func processRepartitioned(_ input: UnsafePointer<Record>, wallTime: Int64) {
        counts.recordsIn -= 1
        enterRepartitioned(input, observe: true)
    }

    /// Stage 2: a re-keyed record enters at the repartition step.
    private func enterRepartitioned(_ input: UnsafePointer<Record>, observe: Bool) {
        var record = input.pointee
        var eventTimeText: String?
        var source = SourceHeaders()
        if !record.headers.isEmpty {
            record.headers.removeAll { header in
                switch header.name {
                case Self.eventTimeHeader: eventTimeText = header.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
                case Self.sourceKeyHeader: source.key = header.value
                case Self.sourceTopicHeader: source.topic = header.value.map { String(decoding: $0, as: UTF8.self) }
                case Self.sourcePartitionHeader: source.partition = header.value.flatMap { Int32(String(decoding: $0, as: UTF8.self)) }
                case Self.sourceOffsetHeader: source.offset = header.value.flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
                default: return false
                }
                return true
            }
        }
        // Dead-letter and late records from here on are this record, without the internal headers.
        let outer = currentRecord
        withUnsafePointer(to: record) { pointer in
            currentRecord = pointer
            defer { currentRecord = outer }
            enterRepartitioned(pointer.pointee, eventTimeText: eventTimeText, source: source, observe: observe)
        }
    }

    private func enterRepartitioned(_ record: Record, eventTimeText: String?, source: SourceHeaders, observe: Bool) {
        guard let step = plan.repartition?.step, runtimes.indices.contains(step) else { return }
        guard let bytes = record.value else {
            return fail(.decode, "the repartitioned record has no value (a tombstone), expected json", at: plan.source.location, nil)
        }
        let value: Value
        do {
            value = try JSON.parse(bytes)
        } catch {
            return fail(.decode, "the repartitioned value is not valid json: \(error.message)", at: plan.source.location, nil)
        }
        var eventTime = record.timestamp
        if let eventTimeText {
            guard let time = Int64(eventTimeText) else {
                return fail(
                    .eventTime, "the \(Self.eventTimeHeader) header '\(eventTimeText)' is not a whole number of milliseconds",
                    at: plan.source.eventTimeLocation, nil)
            }
            eventTime = time
        }
        if observe, clock.observe(topic: record.topic, partition: record.partition, eventTime: eventTime, wallTime: wallTime) {
            streamTimeAdvanced()
        }
        let keyBytes = source.topic != nil ? source.key : record.key
        var working = Working(
            context: EvaluationContext(
                value: value, key: needsKeyText ? KeyCoding.value(keyBytes) : .null, timestamp: record.timestamp,
                now: options.clock == .wallClock ? wallTime : record.timestamp, topic: source.topic ?? record.topic,
                partition: source.partition ?? record.partition, offset: source.offset ?? record.offset,
                headers: record.headers),
            keyBytes: record.key, eventTime: eventTime, derived: false)
        switch runtimes[step] {
        case .aggregate(let runtime): aggregate(runtime, &working, step: step)
        case .window(let runtime): window(runtime, &working, step: step)
        default: break
        }
    }
}

/// The original record's key and coordinates, when re-keyed records carry them.
private struct SourceHeaders {
    var key: [UInt8]?
    var topic: String?
    var partition: Int32?
    var offset: Int64?
}
