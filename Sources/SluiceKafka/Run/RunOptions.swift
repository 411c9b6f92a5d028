import SluiceCore

/// How a run behaves apart from its Kafka configuration.
public struct RunOptions: Sendable {
    /// Stop gracefully after this many input records.
    public var maxRecords: Int?
    /// Stop gracefully once no input record arrived for this long, counted from the last
    /// record or partition assignment; before the first assignment 10 s more are allowed for
    /// joining the group (while the cluster cannot be reached, it counts from the start).
    public var idleExitMs: Int64?
    /// How often outputs are checked, state written and offsets committed.
    public var commitIntervalMs: Int64
    /// How often the status handler is called.
    public var statusIntervalMs: Int64
    /// How long a graceful stop (or a revocation) may wait for outputs to be acknowledged.
    public var drainTimeoutMs: Int64
    /// How long one attempt at restoring state from changelogs may take.
    public var restoreTimeoutMs: Int64
    /// The most records taken from the consumer per poll.
    public var pollBatchSize: Int
    /// At least once (the default) or exactly once (transactions; see TransactionalCommit).
    public var guarantee: Guarantee = .atLeastOnce

    public init(
        maxRecords: Int? = nil, idleExitMs: Int64? = nil, commitIntervalMs: Int64 = 1000, statusIntervalMs: Int64 = 1000,
        drainTimeoutMs: Int64 = 7000, restoreTimeoutMs: Int64 = 60_000, pollBatchSize: Int = 1000
    ) {
        self.maxRecords = maxRecords
        self.idleExitMs = idleExitMs
        self.commitIntervalMs = max(10, commitIntervalMs)
        self.statusIntervalMs = max(100, statusIntervalMs)
        self.drainTimeoutMs = max(0, drainTimeoutMs)
        self.restoreTimeoutMs = max(1000, restoreTimeoutMs)
        self.pollBatchSize = max(1, pollBatchSize)
    }
}

/// How a run ended.
public enum RunOutcome: Sendable {
    /// Stopped on request (signal, `--max-records`, `--idle-exit`): outputs flushed, offsets
    /// committed, group left.
    case stopped(RunSummary)
    /// Stopped by an error that retrying cannot fix; the message says what.
    case failed(message: String, RunSummary)

    public var summary: RunSummary {
        switch self {
        case .stopped(let summary), .failed(_, let summary): summary
        }
    }
}

/// What a run did, for the final summary.
public struct RunSummary: Sendable {
    public var stats: EngineStats
    /// The offsets committed last, per input partition.
    public var committed: [TopicPartitionOffset]
    /// Kafka errors seen (most recovered by retrying).
    public var kafkaErrors: Int
    /// Outputs still unacknowledged at the end (not committed: they will be reprocessed).
    public var undelivered: Int
    /// Why the run stopped.
    public var reason: String
    public var durationMs: Int64
    /// Whether the pipeline has a window step (for the windows line).
    public var windowed: Bool
    /// Whether a step can find records late (for the late line).
    public var hasLateRecords = false
    public var deadLetterTopic: String?

    /// Several lines without a final newline, in the style of `dry-run`'s summary.
    public var text: String {
        var lines = ["records in: \(stats.recordsIn)"]
        let out = stats.recordsOut.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("records out: \(stats.recordsOut.values.reduce(0, +))\(out.isEmpty ? "" : " (\(out.joined(separator: ", ")))")")
        if windowed || hasLateRecords {
            lines.append("late: \(stats.lateCount) (\(stats.lateRouted) sent to a late topic, \(stats.lateDropped) dropped)")
        }
        let errors = stats.errors.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
        let destination = deadLetterTopic.map { "sent to \($0)" } ?? "counted and skipped"
        lines.append("errors: \(stats.errorCount)\(errors.isEmpty ? "" : " (\(errors.joined(separator: ", ")); \(destination))")")
        if stats.filtered > 0 { lines.append("filtered out: \(stats.filtered)") }
        if windowed { lines.append("windows closed: \(stats.windowsClosed)") }
        let offsets = committed.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map(\.description)
        lines.append("offsets committed: \(offsets.isEmpty ? "none" : offsets.joined(separator: ", "))")
        if kafkaErrors > 0 { lines.append("kafka errors: \(kafkaErrors) (retried)") }
        if undelivered > 0 { lines.append("outputs not acknowledged: \(undelivered) (their inputs were not committed)") }
        lines.append("stopped: \(reason) after \(Self.seconds(durationMs))")
        return lines.joined(separator: "\n")
    }

    static func seconds(_ ms: Int64) -> String {
        "\(ms / 1000).\(String(ms % 1000 / 100))s"
    }
}

extension EngineStats {
    /// These counters plus `other`'s (stats of an engine replaced after a rebalance).
    func adding(_ other: EngineStats) -> EngineStats {
        var sum = self
        sum.recordsIn += other.recordsIn
        for (topic, count) in other.recordsOut { sum.recordsOut[topic, default: 0] += count }
        sum.lateDropped += other.lateDropped
        sum.lateRouted += other.lateRouted
        sum.filtered += other.filtered
        for (kind, count) in other.errors { sum.errors[kind, default: 0] += count }
        sum.windowsClosed += other.windowsClosed
        return sum
    }
}
