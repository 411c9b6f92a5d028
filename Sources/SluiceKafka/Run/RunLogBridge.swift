import Logging

extension RunLogLevel {
    /// The swift-log level of this level.
    public var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }

    /// The closest level to a swift-log level.
    public init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info, .notice: self = .info
        case .warning: self = .warning
        case .error, .critical: self = .error
        }
    }
}

extension RunLogEntry {
    /// An entry from a swift-log event: metadata (the logger's, then the event's) becomes
    /// fields sorted by name, since metadata has no order.
    public init(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata) {
        let fields = metadata.sorted { $0.key < $1.key }.map { RunLogField($0.key, $0.value.description) }
        self.init(level: RunLogLevel(level), message: message.description, fields: fields)
    }
}

/// A swift-log handler that hands every entry, as a `RunLogEntry`, to a closure: how callers
/// of `PipelineRunner(log:)` (tests, the demo) receive the runner's logs.
public struct RunLogEntryHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .debug
    private let handler: RunLogHandler

    public init(_ handler: @escaping RunLogHandler) {
        self.handler = handler
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        handler(RunLogEntry(level: event.level, message: event.message, metadata: merged))
    }
}

extension Logger {
    /// A logger that hands every entry (debug and up) to `handler`.
    public static func run(_ handler: @escaping RunLogHandler, label: String = "sluice.run") -> Logger {
        Logger(label: label) { _ in RunLogEntryHandler(handler) }
    }
}
