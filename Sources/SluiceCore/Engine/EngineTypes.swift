import SluiceSupport

/// How the engine runs: which clock drives idleness and `now()`, and whether to trace.
public struct EngineOptions: Sendable {
    public enum Clock: Sendable {
        /// Dry-run and tests: `now()` is the record timestamp; a partition is idle when its
        /// largest event time lags the overall largest by more than `idle_timeout`.
        case eventTime
        /// `run`: `now()` is the wall time passed to `process`; a partition is idle when no
        /// record arrived for `idle_timeout` of wall time (checked on `tick`).
        case wallClock
    }

    public var clock: Clock
    /// Collect `TraceEvent`s (window opened/closed, late records, error records).
    public var trace: Bool
    /// Decode only the record fields the pipeline reads when it can (the output is the same
    /// either way); false decodes every value in full, for comparisons and debugging.
    public var partialDecoding: Bool
    /// `run` with a plan that has a repartition point (`EnginePlan.repartition`): the Kafka topic
    /// records are re-keyed through. nil (dry-run, test, bench): they go through in memory.
    public var repartition: RepartitionTarget?

    public init(clock: Clock = .eventTime, trace: Bool = false, partialDecoding: Bool = true, repartition: RepartitionTarget? = nil) {
        self.clock = clock
        self.trace = trace
        self.partialDecoding = partialDecoding
        self.repartition = repartition
    }
}

/// The repartition topic of a run and its partition count: the engine writes each re-keyed
/// record to the partition its state key hashes to, and reads them back from `topic`.
public struct RepartitionTarget: Sendable, Equatable {
    public var topic: String
    public var partitions: Int

    public init(topic: String, partitions: Int) {
        self.topic = topic
        self.partitions = partitions
    }
}

/// One record the engine produced, and which input caused it.
public struct EngineOutput: Sendable {
    /// Topic, key, headers, value and timestamp. The partition is -1 (the sink's partitioner
    /// chooses) for every output except records to the repartition topic (run), which carry
    /// the explicit partition (>= 0) of their state key. The offset is -1.
    public var record: Record
    /// The sequence number (`Engine.inputCount` before it was fed) of the input whose
    /// processing produced this output. Outputs of `tick()`/`finish()` carry the last input's.
    /// At-least-once: commit an input's offset only after every output with `cause <=` its
    /// sequence number is acknowledged (and, for stateful pipelines, the state is durable).
    public var cause: Int64

    public init(record: Record, cause: Int64) {
        self.record = record
        self.cause = cause
    }
}

/// Where a record came from: enough to find it again.
public struct RecordCoordinates: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)/\(partition)@\(offset)" }
}

/// What made a record an error record.
public enum ErrorKind: String, Sendable, CaseIterable, Comparable {
    /// The value is not valid JSON.
    case decode
    /// The value violates `source.schema`.
    case schema
    /// The event-time field is missing or has the wrong type.
    case eventTime = "event-time"
    /// An expression failed (missing field, wrong type, division by zero).
    case expression
    /// A filter condition gave something other than true or false.
    case filterResult = "filter-result"
    /// An aggregate or window result could not be computed.
    case aggregate

    public static func < (a: ErrorKind, b: ErrorKind) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// Counters for the end-of-run summary.
public struct EngineStats: Sendable, Equatable {
    public var recordsIn = 0
    /// Records produced, per topic (sinks, `to`, dead letter and late topics).
    public var recordsOut: [String: Int] = [:]
    /// Late records dropped (no `late_topic`).
    public var lateDropped = 0
    /// Late records sent to a `late_topic`.
    public var lateRouted = 0
    /// Records a filter dropped.
    public var filtered = 0
    /// Error records by kind, whether or not they went to the dead-letter topic.
    public var errors: [ErrorKind: Int] = [:]
    /// Windows emitted or closed, over all window steps.
    public var windowsClosed = 0

    public init() {}

    public var errorCount: Int { errors.values.reduce(0, +) }
    public var lateCount: Int { lateDropped + lateRouted }
}

/// A window's bounds in epoch milliseconds, end exclusive.
public struct WindowBounds: Sendable, Hashable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    public var description: String { "[\(start), \(end))" }
}

/// Something users may want to see to understand why output came out when it did.
public enum TraceEvent: Sendable, Hashable {
    /// The first record for `key` arrived in the window.
    case windowOpened(step: Int, key: Value, window: WindowBounds, by: RecordCoordinates, eventTime: Int64)
    /// Sessions were merged by a bridging record into `window`.
    case windowsMerged(step: Int, key: Value, merged: [WindowBounds], into: WindowBounds, by: RecordCoordinates)
    /// The window closed at `streamTime` (nil: end of input).
    case windowClosed(step: Int, key: Value, window: WindowBounds, streamTime: Int64?)
    /// A record arrived after every window it belongs to had closed.
    case late(step: Int, record: RecordCoordinates, eventTime: Int64, streamTime: Int64, routedTo: String?)
    /// A record became an error record.
    case error(record: RecordCoordinates, kind: ErrorKind, message: String, location: SourceLocation)
    /// Stream time moved forward.
    case streamTime(Int64, by: RecordCoordinates?)
}
