import ArgumentParser
import Logging
import SluiceKafka

/// The swift-log handler `sluice run` bootstraps: every entry goes to the run's console,
/// which writes it as a text or logfmt line above the status line.
struct ConsoleLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let console: RunConsole

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        console.log(RunLogEntry(level: event.level, message: event.message, metadata: merged))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
