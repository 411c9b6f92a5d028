import SluiceCore
import SluiceSupport
import Synchronization

/// Asks a run to stop, from any thread, and remembers why.
final class StopSignal: Sendable {
    private let reason = Mutex<String?>(nil)
    private let flag = Atomic<Bool>(false)

    func request(_ why: String) {
        reason.withLock { if $0 == nil { $0 = why } }
        flag.store(true, ordering: .releasing)
    }

    var isRequested: Bool { flag.load(ordering: .acquiring) }
    var why: String? { reason.withLock { $0 } }
}

/// The state of a run that lives on the runner's thread: the engine, what was produced and
/// not yet acknowledged, what may be committed, and the changelog.
///
/// Reached from the poll loop and from the rebalance handler (which librdkafka calls inside
/// `poll` and `close` on the same thread), always through `RunCoreBox`'s lock.
final class RunCore {
    let plan: EnginePlan
    let options: RunOptions
    let settings: RunSettings
    let log: RunLogger
    let producer: KafkaProducer
    let changelog: Changelog?
    let stop: StopSignal
    /// How engines of this run are made (wall clock, and the repartition topic if any).
    let engineOptions: EngineOptions
    /// The topic re-keying records for the stateful step (see `RunCore+Repartition.swift`).
    let repartitionTopic: String?

    var engine: Engine
    /// Inputs fed to engines replaced after rebalances: engine sequence number + base is the
    /// global input number the tracker uses.
    var sequenceBase: Int64 = 0
    var retiredStats = EngineStats()
    var tracker = DeliveryTracker()
    /// Inputs numbered below this have their state changes written to the changelog.
    var stateDurableBefore: Int64
    /// What the last snapshot was taken after: (input number, windows closed).
    var lastStateMark: (Int64, Int) = (0, 0)

    var assigned: Set<TopicPartition> = []
    /// Assigned partitions whose state restore was interrupted by a stop: not processed.
    var unrestored: Set<TopicPartition> = []
    /// The offsets last committed (or sent in an asynchronous commit).
    var committed: [TopicPartition: Int64] = [:]
    /// Every offset committed during the run, kept after revocation (for the summary).
    var committedEver: [TopicPartition: Int64] = [:]
    var recommitAll = false
    /// When every offset was last committed again (see `RunCore.fullCommitIntervalMs`).
    var lastFullCommitMs: Int64 = 0
    /// Safe offsets a revocation could not commit, tried again if the partitions come back in
    /// the next assignment.
    var uncommittedAtRevocation: [TopicPartition: Int64] = [:]
    /// The committed offsets of assigned partitions at assignment (lag before the first fetch).
    var startOffsets: [TopicPartition: Int64] = [:]

    var failure: String?
    var recordsSeen = 0
    var lastActivityMs: Int64
    var everAssigned = false
    var lastCheckpointMs: Int64
    var reports: [DeliveryReport] = []
    var deliveryBackoff = Backoff(initialMs: 100, maximumMs: 5000)
    var status: StatusMeter
    /// Exactly-once mode: whether a transaction is open.
    var transaction = TransactionState()
    /// Set when the run publishes metrics.
    var metricsHook: RunMetricsHook?

    init(
        plan: EnginePlan, options: RunOptions, settings: RunSettings, log: RunLogger, producer: KafkaProducer,
        changelog: Changelog?, stop: StopSignal, repartition: RepartitionSetup? = nil
    ) {
        self.plan = plan
        self.options = options
        self.settings = settings
        self.log = log
        self.producer = producer
        self.changelog = changelog
        self.stop = stop
        engineOptions = RunCore.engineOptions(repartition)
        repartitionTopic = repartition?.topic
        engine = Engine(plan: plan, options: engineOptions)
        stateDurableBefore = changelog == nil ? Int64.max : 0
        let now = RunClock.monotonicMs()
        lastActivityMs = now
        lastCheckpointMs = now
        status = StatusMeter(startMs: now)
    }

    /// How much longer `idleExitMs` waits before the first assignment.
    static let joinAllowanceMs: Int64 = 10_000

    /// The global number of the next input.
    var nextSequence: Int64 { sequenceBase &+ engine.inputCount }

    var stats: EngineStats { retiredStats.adding(engine.stats) }

    func fail(_ message: String) {
        guard failure == nil else { return }
        // Exactly once: whichever call noticed it, a fenced producer means a newer instance.
        failure = options.isExactlyOnce && producer.fatalError?.isFenced == true ? RunCore.fencedMessage : message
        stop.request("error")
    }

    // MARK: the poll loop's work

    /// Processes one poll's messages, produces the outputs, serves deliveries, and commits
    /// when the interval has passed.
    func step<Messages: Sequence<KafkaMessage>>(_ messages: Messages, consumer: KafkaConsumer) {
        guard failure == nil else { return }
        // Exactly once, after a failure: these messages may predate the rewind; dropped.
        if isRewinding { return rewind(consumer: consumer) }
        let wall = RunClock.wallMs()
        let now = RunClock.monotonicMs()
        var runs = OffsetRuns()
        var check = PartitionCheck()
        messages: for message in messages {
            switch consume message {
            case .record(let record):
                if let max = options.maxRecords, recordsSeen >= max {
                    stop.request("processed --max-records \(max) records")
                    break messages
                }
                let partition = TopicPartition(topic: record.topic, partition: record.partition)
                // A record fetched before its partition was revoked is not ours any more; one
                // whose state could not be restored (stopping) is left for the next run.
                guard check.isReadable(partition, in: self) else { continue }
                if skipCounted(partition, offset: record.offset) {
                    runs.note(partition, next: record.offset &+ 1)
                    continue
                }
                engine.process(record, wallTime: wall)
                // Produced at once, while the outputs are still in cache.
                produceOutputs()
                runs.note(partition, next: record.offset &+ 1)
                // Repartitioned copies are not new input (--max-records counts the source's).
                if repartitionTopic == nil || record.topic != repartitionTopic { recordsSeen += 1 }
                lastActivityMs = now
            case .error(let error):
                consumerError(error)
            case .partitionEnd:
                break
            }
        }
        engine.tick(wallTime: wall)
        produceOutputs()
        let offsets = runs.all
        tracker.processed(end: nextSequence, offsets: offsets)
        changelog?.advance(offsets)
        for error in consumer.takeErrors() {
            recommitAll = true
            consumerError(error)
        }
        serveDeliveries()
        if now - lastCheckpointMs >= options.commitIntervalMs {
            checkpoint(consumer: consumer, sync: false)
        }
        if let max = options.maxRecords, recordsSeen >= max {
            stop.request("processed --max-records \(max) records")
        }
        // Until the group first assigns partitions, allow time for joining it.
        if let idle = options.idleExitMs, now - lastActivityMs >= (everAssigned ? idle : idle + RunCore.joinAllowanceMs) {
            stop.request("no input for --idle-exit \(DurationParser.describe(idle))")
        }
    }

    /// A consumer error: fatal ones stop the run; the rest librdkafka recovers from.
    func consumerError(_ error: KafkaError) {
        if error.isFatal {
            fail("kafka consumer failed: \(error)")
        } else if error.isAuthenticationFailure {
            fail("authentication failed: \(error.message) (check the credentials: CONFLUENT_API_KEY/CONFLUENT_API_SECRET or the sasl.* properties)")
        } else {
            log.kafkaError(error, "consumer")
        }
    }

    // MARK: producing

    /// Produces what the engine emitted since the last call.
    func produceOutputs() {
        // Drained in place with the bytes borrowed (librdkafka copies them): no array per output.
        engine.drainBorrowedOutputs { output in
            guard failure == nil else { return }
            // Repartition records name their partition: the state key's, as for changelogs.
            let partition = repartitionTopic != nil && output.topic == repartitionTopic ? output.partition : nil
            produce(topic: output.topic, partition: partition, timestamp: output.timestamp, cause: sequenceBase &+ output.cause, retry: false) {
                (producer) throws(KafkaError) in
                try producer.produceBorrowed(
                    topic: output.topic, partition: partition, key: output.key, value: output.value, headers: output.headers,
                    timestamp: output.timestamp > 0 ? output.timestamp : nil)
            }
        }
    }

    /// Queues one record; waits (serving deliveries) while the producer's queue is full, for
    /// at most `drainTimeoutMs` once a stop was requested.
    func produce(_ record: Record, partition: Int32?, cause: Int64, retry: Bool) {
        produce(topic: record.topic, partition: partition, timestamp: record.timestamp, cause: cause, retry: retry) {
            (producer) throws(KafkaError) in
            try producer.produce(
                topic: record.topic, partition: partition, key: record.key, value: record.value, headers: record.headers,
                timestamp: record.timestamp > 0 ? record.timestamp : nil)
        }
    }

    /// `produce(_:partition:cause:retry:)` with the producing done by `send`.
    private func produce(
        topic: String, partition: Int32?, timestamp: Int64, cause: Int64, retry: Bool,
        _ send: (KafkaProducer) throws(KafkaError) -> UInt64
    ) {
        var stopDeadline: Int64?
        ensureTransaction()
        // Exactly once: after a failure nothing more joins the transaction being rewound.
        while failure == nil, !isRewinding {
            do {
                let id = try send(producer)
                tracker.produced(id: id, partition: partition ?? -1, timestamp: timestamp, cause: cause, retry: retry)
                return
            } catch where error.isQueueFull {
                if stop.isRequested {
                    let now = RunClock.monotonicMs()
                    let deadline = stopDeadline ?? now + options.drainTimeoutMs
                    stopDeadline = deadline
                    if now >= deadline {
                        // Nothing after this output may be committed: stop as failed.
                        return fail("cannot stop cleanly: the producer queue stayed full (are the brokers reachable?); uncommitted input will be processed again")
                    }
                }
                producer.poll(timeoutMs: 50)
                serveDeliveries(retrying: false)
            } catch {
                fail("cannot produce to topic \"\(topic)\": \(error)")
            }
        }
    }

    /// Takes delivery reports: acknowledged outputs are settled, retriable failures are
    /// produced again after a backoff, other failures stop the run.
    func serveDeliveries(retrying: Bool = true) {
        producer.poll(timeoutMs: 0)
        producer.takeDeliveryReports(into: &reports)
        let now = RunClock.monotonicMs()
        var failed = false
        for report in reports {
            // Only failed outputs come back (with the record the report carries).
            guard let pending = tracker.settle(report) else { continue }
            guard let error = report.error else { continue }
            failed = true
            if error.isFatal || !(error.isRetriable || error.isTimedOut) {
                fail("cannot deliver to topic \"\(pending.record.topic)\": \(error)")
                return
            }
            if options.isExactlyOnce {
                // The transaction cannot commit any more: abort it and redo its work.
                requestRewind("delivery to \(pending.record.topic) failed: \(error)")
                continue
            }
            log.kafkaError(error, "delivery to \(pending.record.topic)")
            if let changelog, changelog.invalidate(pending.record) {
                // Producing the old value again could overwrite a newer one: the next write
                // sends the entry's current value instead, and commits wait for it.
                stateDurableBefore = min(stateDurableBefore, pending.cause)
                lastStateMark = (-1, -1)
                continue
            }
            tracker.scheduleRetry(pending, at: now + deliveryBackoff.next())
        }
        if !failed && !reports.isEmpty { deliveryBackoff.reset() }
        for error in producer.takeErrors() {
            if error.isFatal {
                fail("kafka producer failed: \(error)")
                return
            }
            if error.isAuthenticationFailure {
                fail("authentication failed: \(error.message)")
                return
            }
            log.kafkaError(error, "producer")
        }
        releaseMarkers()
        guard retrying else { return }
        for pending in tracker.takeDueRetries(now: now) {
            let partition = pending.record.partition >= 0 ? pending.record.partition : nil
            produce(pending.record, partition: partition, cause: pending.cause, retry: true)
        }
    }
}

/// The lock around a run's core, shared by the poll loop and the rebalance handler.
final class RunCoreBox: Sendable {
    private let core: Mutex<RunCore>

    init(_ core: consuming sending RunCore) {
        self.core = Mutex(core)
    }

    func with<T: Sendable>(_ body: (RunCore) -> T) -> T {
        core.withLock { body($0) }
    }
}
