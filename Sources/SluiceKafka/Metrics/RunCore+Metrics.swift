import SluiceCore
import SluiceSupport

/// What the runner keeps for its metrics: inputs per topic (only counted with several source
/// topics; with one, the engine's total is that topic's) and when it last published.
final class RunMetricsHook {
    let metrics: RunMetrics
    let sourceTopics: [String]
    var inputsByTopic: [String: Int] = [:]
    var lastPublishMs: Int64 = 0
    /// How often the totals are published.
    static let intervalMs: Int64 = 1000

    init(metrics: RunMetrics, sourceTopics: [String]) {
        self.metrics = metrics
        self.sourceTopics = sourceTopics
    }
}

extension RunCore {
    /// After each poll: counts the batch's inputs per topic when there are several source
    /// topics, and publishes the run's totals once per interval (and when `force`).
    func updateMetrics(_ messages: [KafkaMessage], consumer: KafkaConsumer, force: Bool = false) {
        guard let hook = metricsHook else { return }
        if hook.sourceTopics.count > 1 {
            for case .record(let record) in messages {
                let partition = TopicPartition(topic: record.topic, partition: record.partition)
                if assigned.contains(partition) { hook.inputsByTopic[record.topic, default: 0] += 1 }
            }
        }
        let now = RunClock.monotonicMs()
        guard force || now - hook.lastPublishMs >= RunMetricsHook.intervalMs else { return }
        hook.lastPublishMs = now
        hook.metrics.publish(metricsSnapshot(hook, consumer: consumer))
    }

    /// The run's totals now.
    private func metricsSnapshot(_ hook: RunMetricsHook, consumer: KafkaConsumer) -> RunMetricsSnapshot {
        let stats = self.stats
        var snapshot = RunMetricsSnapshot()
        if hook.sourceTopics.count == 1, let topic = hook.sourceTopics.first {
            snapshot.recordsIn[topic] = stats.recordsIn
        } else {
            snapshot.recordsIn = hook.inputsByTopic
        }
        snapshot.recordsOut = stats.recordsOut
        for (kind, count) in stats.errors { snapshot.errors[kind.rawValue] = count }
        snapshot.errors["kafka"] = log.kafkaErrors
        snapshot.late = ["dropped": stats.lateDropped, "routed": stats.lateRouted]
        snapshot.openWindows = engine.openStateCount
        snapshot.stateBytes = changelog?.stateBytes ?? 0
        snapshot.lag = partitionLags(consumer: consumer)
        return snapshot
    }

    /// Times a commit (offsets or transaction) for the commit latency histogram.
    func timingCommit(_ body: () -> Void) {
        guard let hook = metricsHook else { return body() }
        let started = ContinuousClock.now
        body()
        let elapsed = started.duration(to: .now).components
        let nanoseconds = elapsed.seconds &* 1_000_000_000 &+ elapsed.attoseconds / 1_000_000_000
        hook.metrics.recordCommit(nanoseconds: nanoseconds, transaction: options.isExactlyOnce)
    }
}
