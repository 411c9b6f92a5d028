import CRdKafka
import Synchronization

/// One log line from librdkafka.
public struct KafkaLogEntry: Sendable, Hashable {
    /// Syslog level: 0 (emergency) to 7 (debug); librdkafka logs errors at 3 and warnings at 4.
    public var level: Int32
    /// librdkafka's facility, such as `FAIL` or `REQTMOUT`.
    public var facility: String
    public var message: String
    /// The client instance name, such as `rdkafka#producer-1`.
    public var client: String
}

/// Receives librdkafka's log lines. Called on librdkafka's internal threads: it must be quick
/// and must not call back into the client.
public typealias KafkaLogHandler = @Sendable (KafkaLogEntry) -> Void

/// The Swift state that librdkafka's C callbacks reach, one instance per client.
///
/// The client class keeps this object alive for as long as its `rd_kafka_t` exists (it calls
/// `rd_kafka_destroy` in its `deinit`, before its stored properties are released), so the
/// C side gets an unretained pointer through `rd_kafka_conf_set_opaque`.
final class ClientCallbacks: Sendable {
    let logHandler: KafkaLogHandler?
    /// Delivery reports not yet taken by the producer's caller.
    let deliveries = Mutex<[DeliveryReport]>([])
    /// Errors from `error_cb` and failed async commits, oldest first, bounded.
    let errors = Mutex<[KafkaError]>([])
    /// The consumer's rebalance handler and a weak reference back to the consumer.
    let rebalance = Mutex<RebalanceState>(RebalanceState())

    static let maxErrors = 256

    init(logHandler: KafkaLogHandler?) {
        self.logHandler = logHandler
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// The instance behind a callback's opaque pointer.
    static func from(_ opaque: UnsafeMutableRawPointer?) -> ClientCallbacks? {
        guard let opaque else { return nil }
        return Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// The instance behind a client handle (for callbacks that get no opaque argument).
    static func from(handle: OpaquePointer?) -> ClientCallbacks? {
        guard let handle else { return nil }
        return from(rd_kafka_opaque(handle))
    }

    func record(_ error: KafkaError) {
        errors.withLock { errors in
            if errors.count >= ClientCallbacks.maxErrors { errors.removeFirst() }
            errors.append(error)
        }
    }

    func takeErrors() -> [KafkaError] {
        errors.withLock { errors in
            defer { errors = [] }
            return errors
        }
    }

    /// Points `conf`'s opaque at this object and installs the error and log callbacks.
    ///
    /// With no log handler, `dropLogs` decides between librdkafka's default (stderr) and
    /// silence.
    func install(on conf: OpaquePointer, dropLogs: Bool = false) {
        rd_kafka_conf_set_opaque(conf, opaque)
        rd_kafka_conf_set_error_cb(conf) { handle, code, reason, opaque in
            guard let callbacks = ClientCallbacks.from(opaque) else { return }
            let err = rd_kafka_resp_err_t(rawValue: code)
            if err == RD_KAFKA_RESP_ERR__FATAL, let handle,
                let fatal = KafkaError.fatalError(of: NativeHandle(pointer: handle))
            {
                callbacks.record(fatal)
                return
            }
            let text = reason.map { String(cString: $0) } ?? KafkaError.text(of: code)
            callbacks.record(KafkaError(code: code, message: text))
        }
        if logHandler != nil {
            rd_kafka_conf_set_log_cb(conf) { handle, level, facility, message in
                // Runs on librdkafka's threads; rd_kafka_opaque and rd_kafka_name only read fields.
                guard let callbacks = ClientCallbacks.from(handle: handle), let log = callbacks.logHandler else {
                    return
                }
                log(
                    KafkaLogEntry(
                        level: level,
                        facility: facility.map { String(cString: $0) } ?? "",
                        message: message.map { String(cString: $0) } ?? "",
                        client: handle.flatMap { rd_kafka_name($0) }.map { String(cString: $0) } ?? ""))
            }
        } else if dropLogs {
            rd_kafka_conf_set_log_cb(conf, nil)
        }
    }
}
