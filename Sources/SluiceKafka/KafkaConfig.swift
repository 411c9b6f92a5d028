import CRdKafka

/// librdkafka configuration properties, such as `bootstrap.servers` or `group.id`.
///
/// Secret values (passwords, API secrets, private keys) never appear in `description`, in
/// `dump` output or in the errors this type produces: they read `[redacted]`.
public struct KafkaConfig: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public var properties: [String: String]

    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.properties = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// This configuration with `other`'s properties added, `other` winning on conflicts.
    public func merging(_ other: KafkaConfig) -> KafkaConfig {
        KafkaConfig(properties.merging(other.properties, uniquingKeysWith: { _, new in new }))
    }

    /// True for properties whose value must never be shown.
    public static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("password") || key.contains("secret") || key == "sasl.oauthbearer.config"
            || key == "ssl.key.pem" || key.hasSuffix("private.key")
    }

    /// The properties with every secret value replaced by `[redacted]`.
    public var redacted: [String: String] {
        var result = properties
        for key in result.keys where KafkaConfig.isSecret(key) { result[key] = KafkaConfig.mask }
        return result
    }

    /// `text` with every secret value of this configuration replaced by `[redacted]`.
    public func scrubbed(_ text: String) -> String {
        var text = text
        // Longest first, so that a secret containing another is replaced whole.
        let secrets = properties.filter { KafkaConfig.isSecret($0.key) && !$0.value.isEmpty }
            .map(\.value).sorted { $0.count > $1.count }
        for secret in secrets { text = text.replacing(secret, with: KafkaConfig.mask) }
        return text
    }

    static let mask = "[redacted]"
}

extension KafkaConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let pairs = redacted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "KafkaConfig(\(pairs.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["properties": redacted], displayStyle: .struct)
    }
}

extension KafkaConfig {
    /// Builds a new `rd_kafka_conf_t` holding every property (set in name order).
    ///
    /// Ownership: the caller owns the returned conf. `rd_kafka_new` takes it over on success;
    /// on any other path the caller must call `rd_kafka_conf_destroy`.
    func makeNative() throws(KafkaError) -> OpaquePointer {
        // Ownership: rd_kafka_conf_new returns a conf we own until handed to rd_kafka_new.
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.local(KafkaError.Code.invalidArgument, "cannot allocate a librdkafka configuration")
        }
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let (result, text) = withErrorBuffer { rd_kafka_conf_set(conf, key, value, $0, $1) }
            guard result != RD_KAFKA_CONF_OK else { continue }
            rd_kafka_conf_destroy(conf)
            throw configError(key: key, unknown: result == RD_KAFKA_CONF_UNKNOWN, librdkafkaText: text)
        }
        return conf
    }

    /// The error for a property librdkafka rejected, without any secret value.
    func configError(key: String, unknown: Bool, librdkafkaText: String) -> KafkaError {
        let reason = scrubbed(librdkafkaText)
        let message: String
        if unknown {
            message = "unknown configuration property \"\(key)\""
        } else if KafkaConfig.isSecret(key) && KafkaConfig.quotesSomethingBut(key, in: reason) {
            // librdkafka quoted the rejected value (maybe transformed): leave its text out.
            message = "invalid value for configuration property \"\(key)\""
        } else {
            message = "invalid configuration property \"\(key)\": \(reason)"
        }
        return KafkaError(
            code: KafkaError.Code.invalidArgument, message: message, isRetriable: false, property: key)
    }

    /// True when `text` has a double-quoted part other than `key` and the redaction mask.
    static func quotesSomethingBut(_ key: String, in text: String) -> Bool {
        let parts = text.split(separator: "\"", omittingEmptySubsequences: false)
        // Odd-indexed parts are inside quotes.
        return parts.indices.contains { $0 % 2 == 1 && parts[$0] != key && parts[$0] != mask }
    }
}
