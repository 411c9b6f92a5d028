import CRdKafka
import Synchronization

/// The runner's way to report: scrubs secrets, and lets a repeated warning through at most
/// once per interval (with a count of the repeats it held back).
final class RunLogger: Sendable {
    private let handler: RunLogHandler
    let redactor: Redactor
    private let repeats = Mutex<[String: (lastMs: Int64, held: Int)]>([:])
    private let kafkaErrorCount = Atomic<Int>(0)
    static let repeatIntervalMs: Int64 = 10_000

    init(handler: @escaping RunLogHandler, redactor: Redactor) {
        self.handler = handler
        self.redactor = redactor
    }

    func callAsFunction(_ level: RunLogLevel, _ message: String, _ fields: [RunLogField] = []) {
        let scrubbed = fields.map { RunLogField($0.name, redactor.scrub($0.value)) }
        handler(RunLogEntry(level: level, message: redactor.scrub(message), fields: scrubbed))
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
