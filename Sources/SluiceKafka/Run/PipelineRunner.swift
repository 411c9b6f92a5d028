import Foundation
import Logging
import SluiceCore
import SluiceSupport

/// Runs a pipeline against a Kafka cluster, at least once: consumes the source topics in the
/// pipeline's consumer group, feeds the engine, produces its outputs, keeps aggregate and
/// window state in changelog topics, and commits an input offset only after every output
/// derived from it (and from earlier inputs) is acknowledged and its state is written.
///
/// `run()` blocks until the run stops (on `requestStop`, `maxRecords`, `idleExitMs` or a
/// fatal error): call it on a dedicated thread (`runOnThread()` does), never on Swift's
/// cooperative pool. `requestStop` may be called from any thread (a signal handler's queue).
public final class PipelineRunner: Sendable {
    public let plan: EnginePlan
    public let pipeline: String
    public let settings: RunSettings
    public let options: RunOptions
    private let logger: RunLogger
    private let statusHandler: RunStatusHandler?
    private let metrics: RunMetrics?
    private let stop = StopSignal()

    /// - Parameters:
    ///   - logger: receives log entries (secrets already scrubbed, fields as metadata), from
    ///     the runner's thread or librdkafka's threads.
    ///   - status: receives a status every `options.statusIntervalMs` from the runner's thread.
    ///   - metrics: receives the run's totals about once per second (`MetricsEndpoint`).
    public init(
        spec: PipelineSpec, plan: EnginePlan, settings: RunSettings, options: RunOptions = RunOptions(),
        logger: Logger, status: RunStatusHandler? = nil, metrics: RunMetrics? = nil
    ) {
        self.plan = plan
        self.pipeline = spec.name
        self.settings = settings
        self.options = options
        self.logger = RunLogger(logger: logger, redactor: settings.redactor)
        self.statusHandler = status
        self.metrics = metrics
    }

    /// The same, handing each log entry to `log` as a `RunLogEntry` (fields sorted by name).
    public convenience init(
        spec: PipelineSpec, plan: EnginePlan, settings: RunSettings, options: RunOptions = RunOptions(),
        log: @escaping RunLogHandler, status: RunStatusHandler? = nil
    ) {
        self.init(spec: spec, plan: plan, settings: settings, options: options, logger: .run(log), status: status)
    }

    /// Asks the run to stop gracefully: stop fetching, finish what was fetched, flush, write
    /// state, commit, leave the group.
    public func requestStop(reason: String = "stop requested") {
        stop.request(reason)
    }

    public var isStopRequested: Bool { stop.isRequested }

    /// Runs `run()` on a new thread and returns its outcome.
    public func runOnThread() async -> RunOutcome {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.run()) }
            thread.name = "sluice-run"
            thread.start()
        }
    }

    /// Runs until stopped. Blocks.
    public func run() -> RunOutcome {
        let started = RunClock.monotonicMs()
        logger(.info, "starting", [
            RunLogField("pipeline", pipeline), RunLogField("brokers", settings.bootstrapServers),
            RunLogField("brokers_from", settings.brokerSource), RunLogField("group", settings.group),
            RunLogField("topics", plan.source.topics.joined(separator: ",")),
        ])
        for note in settings.notes { logger(.warning, note) }
        let producer: KafkaProducer
        let consumer: KafkaConsumer
        let admin: KafkaAdmin
        do {
            let exactlyOnce = options.isExactlyOnce
            producer = try KafkaProducer(
                config: exactlyOnce ? settings.transactionalProducerConfig(pipeline: pipeline) : settings.producerConfig,
                logHandler: logger.librdkafka)
            consumer = try KafkaConsumer(
                config: exactlyOnce ? settings.transactionalConsumerConfig : settings.consumerConfig, logHandler: logger.librdkafka)
            admin = try KafkaAdmin(config: settings.adminConfig, logHandler: logger.librdkafka)
        } catch {
            return finish(failure: "invalid kafka configuration: \(error.message)", core: nil, started: started)
        }

        let inputPartitions: Int
        switch waitForSourceTopics(admin, started: started) {
        case .ready(let count): inputPartitions = count
        case .stopped: return finish(failure: nil, core: nil, started: started)
        case .failed(let message): return finish(failure: message, core: nil, started: started)
        }
        var repartition: RepartitionSetup?
        if let planned = RepartitionSetup.planned(plan: plan, group: settings.group, partitions: inputPartitions) {
            switch prepareRepartition(planned, admin: admin, producer: producer, started: started) {
            case .ready(let setup): repartition = setup
            case .stopped: return finish(failure: nil, core: nil, started: started)
            case .failed(let message): return finish(failure: message, core: nil, started: started)
            }
        }
        let changelog = Changelog(group: settings.group, plan: plan, inputPartitions: inputPartitions)
        if !changelog.isEmpty {
            switch prepareChangelogs(changelog, admin: admin, producer: producer, started: started) {
            case .ready: break
            case .stopped: return finish(failure: nil, core: nil, started: started)
            case .failed(let message): return finish(failure: message, core: nil, started: started)
            }
        }

        if options.isExactlyOnce {
            // Fences any older instance with the same transactional id and aborts what it left open.
            do {
                try producer.initTransactions(timeoutMs: 30_000)
                logger(.info, "exactly once", [RunLogField("transactional_id", settings.transactionalID(pipeline: pipeline))])
            } catch {
                return finish(failure: "cannot initialize transactions: \(error)", core: nil, started: started)
            }
        }
        let box = RunCoreBox(RunCore(
            plan: plan, options: options, settings: settings, log: logger, producer: producer,
            changelog: changelog.isEmpty ? nil : changelog, stop: stop, repartition: repartition))
        // The repartition topic is read in the same group, like another source.
        let topics = plan.inputTopics + (repartition.map { [$0.topic] } ?? [])
        if let metrics {
            box.with { $0.metricsHook = RunMetricsHook(metrics: metrics, sourceTopics: topics) }
        }
        do {
            try consumer.subscribe(topics: topics) { consumer, event in
                box.with { $0.rebalance(event, consumer: consumer) }
            }
        } catch {
            return finish(failure: "cannot subscribe: \(error)", core: box, started: started)
        }

        while !stop.isRequested {
            // Left in librdkafka's buffers: each record is copied out as the engine reaches it.
            let messages = consumer.pollMessages(maxMessages: options.pollBatchSize, timeoutMs: 100)
            let status: RunStatus? = box.with { core in
                core.step(messages, consumer: consumer)
                core.updateMetrics(messages, consumer: consumer)
                let now = RunClock.monotonicMs()
                guard statusHandler != nil, core.status.isDue(now: now, intervalMs: options.statusIntervalMs) else { return nil }
                return core.currentStatus(consumer: consumer)
            }
            if let status, let statusHandler { statusHandler(status) }
        }

        // Graceful stop: flush, write state and commit while still in the group, then leave.
        let deadline = RunClock.monotonicMs() + options.drainTimeoutMs
        let failed = box.with { core -> Bool in
            if core.failure == nil { core.drain(consumer: consumer, deadlineMs: deadline, retries: 3) }
            core.updateMetrics([], consumer: consumer, force: true)
            return core.failure != nil
        }
        if !failed {
            logger(.info, "leaving the consumer group")
        }
        do {
            try consumer.close()
        } catch {
            logger.kafkaError(error, "close")
        }
        return finish(failure: nil, core: box, started: started)
    }

    // MARK: setup

    /// The result of a setup step that retries until it succeeds, is stopped, or fails.
    private enum Setup<Value> {
        case ready(Value)
        case stopped
        case failed(String)
    }

    /// The largest partition count of the source topics, once they can be read; retries
    /// while the cluster is unreachable. Fails when a topic does not exist.
    private func waitForSourceTopics(_ admin: KafkaAdmin, started: Int64) -> Setup<Int> {
        var backoff = Backoff(initialMs: 250, maximumMs: 10_000)
        while !stop.isRequested {
            do {
                let topics = try admin.topicMetadata(timeoutMs: setupTimeoutMs(started: started))
                var counts: [Int] = []
                for name in plan.inputTopics {
                    guard let topic = topics.first(where: { $0.name == name }), topic.error == nil, !topic.partitions.isEmpty else {
                        return .failed("source topic \"\(name)\" does not exist (create it, or check `source.topics` and the brokers)")
                    }
                    counts.append(topic.partitions.count)
                }
                if let problem = plan.coPartitioningProblem(partitions: { name in topics.first { $0.name == name }?.partitions.count }) {
                    return .failed(problem)
                }
                return .ready(counts.max() ?? 1)
            } catch {
                if error.isFatal || error.isAuthenticationFailure {
                    return .failed("cannot read cluster metadata: \(error)")
                }
                logger.kafkaError(error, "cannot reach the cluster, retrying")
                sleepUnlessStopped(backoff.next(), started: started)
            }
        }
        return .stopped
    }

    /// Creates missing changelog topics and learns their partition counts; retries while the
    /// cluster is unreachable.
    private func prepareChangelogs(_ changelog: Changelog, admin: KafkaAdmin, producer: KafkaProducer, started: Int64) -> Setup<Void> {
        retryingTopicSetup("changelog topics", started: started) { () throws(KafkaError) -> Setup<Void> in
            let counts = try TopicSetup.ensure(changelog.newTopics, admin: admin, producer: producer, timeoutMs: 10_000) {
                logger.entry($0)
            }
            changelog.setPartitionCounts(counts)
            if !changelog.isAligned {
                let detail = changelog.topics.map { "\($0.name) (\($0.partitions))" }.joined(separator: ", ")
                logger(.warning, "changelog partitions differ from the input's \(changelog.inputPartitions): "
                    + "each instance reads every changelog partition, which is only right with a single instance",
                    [RunLogField("changelogs", detail)])
            }
            return .ready(())
        }
    }

    /// Creates the repartition topic if missing, with the input's partition count; an existing
    /// one must have that count, or state would not move with input partitions.
    private func prepareRepartition(_ setup: RepartitionSetup, admin: KafkaAdmin, producer: KafkaProducer, started: Int64) -> Setup<RepartitionSetup> {
        retryingTopicSetup("repartition topic", started: started) { () throws(KafkaError) -> Setup<RepartitionSetup> in
            let counts = try TopicSetup.ensure([setup.newTopic], admin: admin, producer: producer, timeoutMs: 10_000, purpose: "repartition") {
                logger.entry($0)
            }
            let found = counts[setup.topic] ?? setup.partitions
            guard found == setup.partitions else {
                return .failed(
                    "repartition topic \"\(setup.topic)\" has \(found) partitions but the input has \(setup.partitions): "
                        + "delete it (it holds no state once consumed) or create it with \(setup.partitions) partitions "
                        + "(by hand on a cluster without CreateTopics, which gives new topics its default count)")
            }
            logger(.info, "repartition topic", [
                RunLogField("topic", setup.topic), RunLogField("partitions", found), RunLogField("step", setup.step),
            ])
            return .ready(setup)
        }
    }

    /// Runs `attempt` until it gives an answer, retrying transient Kafka errors with backoff
    /// while the run is not stopped; other errors fail the setup of `what`.
    private func retryingTopicSetup<T>(_ what: String, started: Int64, _ attempt: () throws(KafkaError) -> Setup<T>) -> Setup<T> {
        var backoff = Backoff(initialMs: 250, maximumMs: 10_000)
        while !stop.isRequested {
            do {
                return try attempt()
            } catch {
                if error.isFatal || !(error.isRetriable || error.isTimedOut) {
                    return .failed("cannot prepare the \(what): \(error)")
                }
                logger.kafkaError(error, "\(what), retrying")
                sleepUnlessStopped(backoff.next(), started: started)
            }
        }
        return .stopped
    }

    /// How long one setup request may wait: 5 s, less when `idleExitMs` ends sooner.
    private func setupTimeoutMs(started: Int64) -> Int32 {
        guard let idle = options.idleExitMs else { return 5000 }
        return Int32(clamping: min(5000, max(200, idle - (RunClock.monotonicMs() - started))))
    }

    /// Waits between setup attempts; `idleExitMs` counts from the start, since no input
    /// arrives while the cluster cannot be reached.
    private func sleepUnlessStopped(_ ms: Int64, started: Int64) {
        let end = RunClock.monotonicMs() + ms
        while !stop.isRequested, RunClock.monotonicMs() < end {
            if let idle = options.idleExitMs, RunClock.monotonicMs() - started >= idle {
                stop.request("no input for --idle-exit \(DurationParser.describe(idle))")
                return
            }
            RunClock.sleep(ms: min(100, end - RunClock.monotonicMs()))
        }
    }

    // MARK: ending

    private func finish(failure: String?, core box: RunCoreBox?, started: Int64) -> RunOutcome {
        let failure = failure ?? box?.with { $0.failure }
        let parts = box?.with { core in
            (core.stats, core.committedEver.map { TopicPartitionOffset($0.key, offset: $0.value) }, core.tracker.pendingCount)
        }
        let reason = failure.map { _ in "error" } ?? stop.why ?? "stop requested"
        var summary = RunSummary(
            stats: parts?.0 ?? EngineStats(), committed: parts?.1 ?? [], kafkaErrors: logger.kafkaErrors,
            undelivered: parts?.2 ?? 0, reason: reason, durationMs: RunClock.monotonicMs() - started,
            windowed: plan.steps.contains { if case .window = $0 { true } else { false } },
            deadLetterTopic: plan.deadLetterTopic)
        summary.hasLateRecords = plan.hasLateRecords
        if let failure {
            let message = settings.redactor.scrub(failure)
            logger(.error, "stopped: \(message)")
            return .failed(message: message, summary)
        }
        logger(.info, "stopped", [RunLogField("reason", reason), RunLogField("records_in", summary.stats.recordsIn)])
        return .stopped(summary)
    }
}
