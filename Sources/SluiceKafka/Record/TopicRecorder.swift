import CRdKafka
import SluiceSupport
import Synchronization

/// What `TopicRecorder` reads, from where, and when it stops by itself.
public struct RecorderOptions: Sendable, Hashable {
    public var topics: [String]
    /// Start at the oldest retained record; otherwise only records written from now on.
    public var fromBeginning: Bool
    /// Stop after this many records.
    public var maxRecords: Int?
    /// Stop once every partition reached its end and nothing arrived for this long.
    public var idleExitMs: Int64?
    /// How long to wait for the cluster to describe the topics at start.
    public var metadataTimeoutMs: Int32

    public init(
        topics: [String], fromBeginning: Bool = false, maxRecords: Int? = nil, idleExitMs: Int64? = nil,
        metadataTimeoutMs: Int32 = 10_000
    ) {
        self.topics = topics
        self.fromBeginning = fromBeginning
        self.maxRecords = maxRecords
        self.idleExitMs = idleExitMs
        self.metadataTimeoutMs = metadataTimeoutMs
    }
}

/// Why a recording ended.
public enum RecorderStopReason: String, Sendable, Hashable {
    /// `maxRecords` records were recorded.
    case maxRecords = "max-records"
    /// Every partition was at its end for `idleExitMs`.
    case idle
    /// `stop()` was called (for example on SIGINT).
    case stopped
}

/// How far a recording got.
public struct RecorderProgress: Sendable, Hashable {
    public var recorded: Int = 0
    public var partitions: Int = 0
    /// Partitions whose end was reached and that received nothing since.
    public var partitionsAtEnd: Int = 0

    public init(recorded: Int = 0, partitions: Int = 0, partitionsAtEnd: Int = 0) {
        self.recorded = recorded
        self.partitions = partitions
        self.partitionsAtEnd = partitionsAtEnd
    }
}

/// Reads topics with an assign-based consumer (no group membership, nothing committed) and
/// hands each record over, with the id of the broker it was fetched from, for a recording.
///
/// Threading: `run` blocks until the recording ends; call it on a dedicated `Thread`.
/// `stop()` may be called from any thread (a signal handler's queue, for instance).
public final class TopicRecorder: Sendable {
    public let options: RecorderOptions
    /// Every partition of every recorded topic, in topic then partition order.
    public let partitions: [TopicPartition]
    private let consumer: KafkaConsumer
    private let stopRequested = Atomic<Bool>(false)

    /// Connects and looks the topics up; throws when a topic does not exist or the cluster
    /// does not answer within `options.metadataTimeoutMs`.
    public init(config: KafkaConfig, options: RecorderOptions, logHandler: KafkaLogHandler? = nil) throws(KafkaError) {
        var config = config
        if config["group.id"] == nil { config["group.id"] = "sluice-record" }
        config = config.merging([
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "true",
            "auto.offset.reset": options.fromBeginning ? "earliest" : "latest",
        ])
        let consumer = try KafkaConsumer(config: config, logHandler: logHandler)
        let known = try consumer.topicMetadata(timeoutMs: options.metadataTimeoutMs)
        var partitions: [TopicPartition] = []
        for topic in options.topics {
            guard let found = known.first(where: { $0.name == topic }) else {
                throw KafkaError(
                    code: KafkaError.Code.unknownTopicOrPartition, message: "topic \"\(topic)\" does not exist",
                    isRetriable: false)
            }
            if let error = found.error { throw error }
            partitions += found.partitions.sorted().map { TopicPartition(topic: topic, partition: $0) }
        }
        self.options = options
        self.partitions = partitions
        self.consumer = consumer
    }

    /// Asks `run` to return after the record it is handling (thread-safe).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// `run(progressIntervalMs:recordWithType:progress:warning:)` without the timestamp type.
    public func run(
        progressIntervalMs: Int64 = 500,
        record: (Record, Int32) -> Void,
        progress: (RecorderProgress) -> Void = { _ in },
        warning: (KafkaError) -> Void = { _ in }
    ) throws(KafkaError) -> (reason: RecorderStopReason, progress: RecorderProgress) {
        try run(
            progressIntervalMs: progressIntervalMs, recordWithType: { value, broker, _ in record(value, broker) },
            progress: progress, warning: warning)
    }

    /// Records until `maxRecords`, idleness at the end of every partition, or `stop()`.
    /// Blocks. `recordWithType` gets each record, the id of the broker that served it (-1 when
    /// unknown) and what its timestamp is; `progress` is called about every `progressIntervalMs` and `warning` with
    /// transient consumer errors (librdkafka keeps retrying). Throws on a fatal error.
    public func run(
        progressIntervalMs: Int64 = 500,
        recordWithType record: (Record, Int32, TimestampType) -> Void,
        progress: (RecorderProgress) -> Void = { _ in },
        warning: (KafkaError) -> Void = { _ in }
    ) throws(KafkaError) -> (reason: RecorderStopReason, progress: RecorderProgress) {
        let start = options.fromBeginning ? KafkaOffset.beginning : KafkaOffset.end
        try consumer.assign(partitions.map { TopicPartitionOffset($0, offset: start) })
        defer { try? consumer.unassign() }
        var state = RecorderProgress(partitions: partitions.count)
        var atEnd = Set<TopicPartition>()
        let clock = ContinuousClock()
        var lastRecord = clock.now
        var lastProgress = clock.now
        let progressInterval = Duration.milliseconds(progressIntervalMs)

        while true {
            if stopRequested.load(ordering: .acquiring) { return (.stopped, state) }
            if let limit = options.maxRecords, state.recorded >= limit { return (.maxRecords, state) }
            if let idle = options.idleExitMs, atEnd.count == partitions.count,
                clock.now - lastRecord >= .milliseconds(idle)
            {
                return (.idle, state)
            }
            if let (message, broker, type) = consumer.pollWithBroker(timeoutMs: 100) {
                switch message {
                case .record(let value):
                    state.recorded += 1
                    atEnd.remove(value.topicPartition)
                    lastRecord = clock.now
                    record(value, broker, type)
                case .partitionEnd(let position):
                    atEnd.insert(position.topicPartition)
                case .error(let error):
                    if error.isFatal { throw error }
                    warning(error)
                }
            }
            for error in consumer.takeErrors() {
                if error.isFatal { throw error }
                warning(error)
            }
            state.partitionsAtEnd = atEnd.count
            if clock.now - lastProgress >= progressInterval {
                lastProgress = clock.now
                progress(state)
            }
        }
    }
}

extension Record {
    fileprivate var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

extension KafkaConsumer {
    /// Like `poll`, with the id of the broker the message came from (as kcat's `broker`) and
    /// the type of its timestamp (kcat's `tstype`).
    fileprivate func pollWithBroker(timeoutMs: Int32) -> (KafkaMessage, Int32, TimestampType)? {
        // Ownership: a returned message is ours; it is copied out, then destroyed.
        guard let message = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        _ = rd_kafka_message_timestamp(message, &type)
        return (KafkaMessage(message, handle: handle), rd_kafka_message_broker_id(message), TimestampType(type))
    }
}
