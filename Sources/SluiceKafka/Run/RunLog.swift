import SluiceCore

/// How important a runner log entry is.
public enum RunLogLevel: String, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public static func < (a: RunLogLevel, b: RunLogLevel) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// One structured log entry: a lowercase message plus `name=value` fields. Secrets are
/// already scrubbed out when a handler receives it.
public struct RunLogEntry: Sendable, Hashable {
    public var level: RunLogLevel
    public var message: String
    public var fields: [RunLogField]

    public init(level: RunLogLevel, message: String, fields: [RunLogField] = []) {
        self.level = level
        self.message = message
        self.fields = fields
    }

    /// `message name=value ...`, values quoted when they hold spaces, quotes or `=`.
    public var text: String {
        ([message] + fields.map(\.text)).joined(separator: " ")
    }
}

public struct RunLogField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: some BinaryInteger) {
        self.init(name, String(value))
    }

    /// `name=value`, the value quoted (JSON-style) when needed.
    public var text: String {
        let plain = !value.isEmpty && !value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" || $0 == "\\" }
        if plain { return "\(name)=\(value)" }
        var escaped = ""
        for char in value {
            switch char {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(char)
            }
        }
        return "\(name)=\"\(escaped)\""
    }
}

/// Receives the runner's log entries, on the runner's thread or librdkafka's threads.
public typealias RunLogHandler = @Sendable (RunLogEntry) -> Void

/// A periodic view of a running pipeline, for a status line or a log line.
public struct RunStatus: Sendable, Hashable {
    /// Milliseconds since the runner started.
    public var uptimeMs: Int64
    public var recordsIn: Int
    public var recordsOut: Int
    /// Rates over the last status interval.
    public var recordsInPerSecond: Double
    public var recordsOutPerSecond: Double
    /// Sum over assigned partitions of high watermark minus position; nil when unknown.
    public var lag: Int64?
    public var assignedPartitions: Int
    /// Open windows plus running aggregate keys.
    public var openState: Int
    /// Error records (dead-lettered or skipped) so far.
    public var errorRecords: Int
    /// Kafka errors (connection failures, failed deliveries or commits) so far.
    public var kafkaErrors: Int
    /// Outputs produced but not yet acknowledged.
    public var pendingOutputs: Int

    /// `in 1234/s out 1200/s lag 0 open 12 errors 3`, for a terminal status line.
    public var line: String {
        let lagText = lag.map(String.init) ?? "?"
        return "in \(Self.rate(recordsInPerSecond))/s (\(recordsIn)) out \(Self.rate(recordsOutPerSecond))/s (\(recordsOut)) "
            + "lag \(lagText) open \(openState) errors \(errorRecords + kafkaErrors) partitions \(assignedPartitions)"
    }

    /// The same as log fields.
    public var fields: [RunLogField] {
        [
            RunLogField("records_in", recordsIn), RunLogField("records_out", recordsOut),
            RunLogField("in_per_s", Self.rate(recordsInPerSecond)), RunLogField("out_per_s", Self.rate(recordsOutPerSecond)),
            RunLogField("lag", lag.map(String.init) ?? "unknown"), RunLogField("partitions", assignedPartitions),
            RunLogField("open_state", openState), RunLogField("error_records", errorRecords),
            RunLogField("kafka_errors", kafkaErrors), RunLogField("pending", pendingOutputs),
        ]
    }

    /// Whole numbers from 100 up, one decimal below.
    static func rate(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0" }
        if value >= 100 { return String(Int(value.rounded())) }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Receives a status every second from the runner's thread.
public typealias RunStatusHandler = @Sendable (RunStatus) -> Void
