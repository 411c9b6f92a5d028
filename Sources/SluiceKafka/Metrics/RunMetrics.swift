import Metrics
import SluiceCore
import Synchronization

/// The metrics of a run, through swift-metrics (so any backend works; `sluice run
/// --metrics-port` serves them in Prometheus format, see `MetricsEndpoint`).
///
/// The runner counts in its own counters (the engine's statistics) and publishes the
/// differences here about once per second: no metric call, and no lock, on the per-record path.
///
/// - `sluice_records_in_total{topic}`, `sluice_records_out_total{topic}`: input records
///   processed, records produced (sinks, dead-letter and late topics).
/// - `sluice_errors_total{kind}`: error records by kind (decode, schema, expression...) and
///   Kafka errors (`kind="kafka"`).
/// - `sluice_late_records_total{action}`: late records, `dropped` or `routed`.
/// - `sluice_open_windows`: open windows and running aggregate keys; `sluice_state_bytes`: the
///   size of that state as written to the changelogs.
/// - `sluice_consumer_lag{topic,partition}`: high watermark minus position per partition.
/// - `sluice_commit_duration_seconds{mode}`: how long each offset commit (`offsets`: write
///   state, serve deliveries, send the commit) or transaction commit (`transaction`) took.
public final class RunMetrics: Sendable {
    private let factory: any MetricsFactory
    private let published = Mutex(Published())
    private let openWindows: Gauge
    private let stateBytes: Gauge
    private let commitOffsets: Metrics.Timer
    private let commitTransaction: Metrics.Timer

    /// What was published so far, and the metric objects made for labels seen.
    private struct Published {
        var recordsIn: [String: Int] = [:]
        var recordsOut: [String: Int] = [:]
        var errors: [String: Int] = [:]
        var late: [String: Int] = [:]
        var lagPartitions: Set<TopicPartition> = []
        var counters: [String: Counter] = [:]
        var gauges: [TopicPartition: Gauge] = [:]
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
        openWindows = Gauge(label: "sluice_open_windows", factory: factory)
        stateBytes = Gauge(label: "sluice_state_bytes", factory: factory)
        commitOffsets = Metrics.Timer(label: "sluice_commit_duration_seconds", dimensions: [("mode", "offsets")], factory: factory)
        commitTransaction = Metrics.Timer(label: "sluice_commit_duration_seconds", dimensions: [("mode", "transaction")], factory: factory)
    }

    /// Publishes cumulative totals: counters grow by the difference to the last call.
    func publish(_ snapshot: RunMetricsSnapshot) {
        published.withLock { state in
            add(snapshot.recordsIn, to: &state.recordsIn, state: &state.counters, name: "sluice_records_in_total", label: "topic")
            add(snapshot.recordsOut, to: &state.recordsOut, state: &state.counters, name: "sluice_records_out_total", label: "topic")
            add(snapshot.errors, to: &state.errors, state: &state.counters, name: "sluice_errors_total", label: "kind")
            add(snapshot.late, to: &state.late, state: &state.counters, name: "sluice_late_records_total", label: "action")
            for (partition, lag) in snapshot.lag {
                gauge(partition, &state.gauges).record(lag)
            }
            // Partitions no longer assigned have no lag of ours.
            for partition in state.lagPartitions.subtracting(snapshot.lag.keys) {
                gauge(partition, &state.gauges).record(0)
            }
            state.lagPartitions = Set(snapshot.lag.keys)
        }
        openWindows.record(snapshot.openWindows)
        stateBytes.record(snapshot.stateBytes)
    }

    /// Notes how long one commit took.
    func recordCommit(nanoseconds: Int64, transaction: Bool) {
        (transaction ? commitTransaction : commitOffsets).recordNanoseconds(nanoseconds)
    }

    private func add(
        _ totals: [String: Int], to last: inout [String: Int], state counters: inout [String: Counter], name: String, label: String
    ) {
        for (value, total) in totals {
            let delta = total - (last[value] ?? 0)
            guard delta > 0 || last[value] == nil else { continue }
            let key = "\(name)\u{0}\(value)"
            let counter = counters[key] ?? Counter(label: name, dimensions: [(label, value)], factory: factory)
            counters[key] = counter
            if delta > 0 { counter.increment(by: delta) }
            last[value] = max(total, last[value] ?? 0)
        }
    }

    private func gauge(_ partition: TopicPartition, _ gauges: inout [TopicPartition: Gauge]) -> Gauge {
        if let gauge = gauges[partition] { return gauge }
        let gauge = Gauge(
            label: "sluice_consumer_lag", dimensions: [("topic", partition.topic), ("partition", String(partition.partition))],
            factory: factory)
        gauges[partition] = gauge
        return gauge
    }
}

/// Cumulative totals of a run at one moment, as `RunMetrics.publish` takes them.
struct RunMetricsSnapshot {
    var recordsIn: [String: Int] = [:]
    var recordsOut: [String: Int] = [:]
    var errors: [String: Int] = [:]
    var late: [String: Int] = [:]
    var openWindows = 0
    var stateBytes = 0
    var lag: [TopicPartition: Int64] = [:]
}
