import CRdKafka
import Logging
import Synchronization

/// The runner's way to report, through a swift-log `Logger`: scrubs secrets, and lets a
/// repeated warning through at most once per interval (with a count of the repeats it held
/// back). Fields become the entry's metadata.
final class RunLogger: Sendable {
    private let logger: Logger
    let redactor: Redactor
    private let repeats = Mutex<[String: (lastMs: Int64, held: Int)]>([:])
    private let kafkaErrorCount = Atomic<Int>(0)
    static let repeatIntervalMs: Int64 = 10_000

    init(logger: Logger, redactor: Redactor) {
        self.logger = logger
        self.redactor = redactor
    }

    func callAsFunction(_ level: RunLogLevel, _ message: String, _ fields: [RunLogField] = []) {
        let level = level.swiftLogLevel
        // Scrubbing costs: skip it for entries the logger drops anyway.
        guard logger.logLevel <= level else { return }
        var metadata = Logger.Metadata()
        for field in fields { metadata[field.name] = .string(redactor.scrub(field.value)) }
        logger.log(level: level, "\(redactor.scrub(message))", metadata: metadata)
    }

    func entry(_ entry: RunLogEntry) {
        self(entry.level, entry.message, entry.fields)
    }

    /// Logs `message` unless the same `key` was logged less than the interval ago.
    func limited(_ level: RunLogLevel, key: String, _ message: String, _ fields: [RunLogField] = []) {
        let now = RunClock.monotonicMs()
        let held: Int? = repeats.withLock { repeats in
            if let last = repeats[key], now - last.lastMs < RunLogger.repeatIntervalMs {
                repeats[key] = (last.lastMs, last.held + 1)
                return nil
            }
            let held = repeats[key]?.held ?? 0
            repeats[key] = (now, 0)
            return held
        }
        guard let held else { return }
        self(level, message, held > 0 ? fields + [RunLogField("repeated", held)] : fields)
    }

    /// A Kafka error librdkafka is recovering from: counted and logged as a warning.
    func kafkaError(_ error: KafkaError, _ context: String) {
        kafkaErrorCount.add(1, ordering: .relaxed)
        limited(.warning, key: "\(context):\(error.code):\(error.message)", "\(context): \(error.message)", [RunLogField("code", error.name)])
    }

    var kafkaErrors: Int { kafkaErrorCount.load(ordering: .relaxed) }

    /// The handler for librdkafka's own log lines: debug entries, since the errors that matter
    /// also arrive through the clients' error callbacks.
    var librdkafka: KafkaLogHandler {
        { [self] entry in
            self(.debug, "librdkafka: \(entry.message)", [RunLogField("facility", entry.facility), RunLogField("client", entry.client)])
        }
    }
}

extension KafkaError {
    /// Credentials were rejected: retrying cannot help.
    var isAuthenticationFailure: Bool {
        code == RD_KAFKA_RESP_ERR__AUTHENTICATION.rawValue || code == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED.rawValue
    }
}
