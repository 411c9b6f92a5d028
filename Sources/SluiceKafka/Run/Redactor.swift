/// Replaces secret values with `[redacted]` in text shown to people (logs, errors, status).
///
/// Secrets are the values of librdkafka properties that `KafkaConfig.isSecret` names (any
/// property whose name holds `password` or `secret`, private keys) and of environment
/// variables whose names hold `SECRET`, `PASSWORD`, `PASSWD`, `TOKEN` or `CREDENTIAL`.
public struct Redactor: Sendable, Hashable {
    /// Secret values, longest first so that a secret containing another is replaced whole.
    private let secrets: [String]

    /// Values shorter than this are not searched for: they would mask ordinary words.
    static let minimumLength = 3
    static let mask = "[redacted]"

    public init(secrets: some Sequence<String>) {
        self.secrets = Set(secrets.filter { $0.count >= Redactor.minimumLength }).sorted {
            $0.count != $1.count ? $0.count > $1.count : $0 < $1
        }
    }

    /// Secrets from `environment` variables and `config` properties with secret names.
    public init(environment: [String: String], config: KafkaConfig) {
        let fromEnvironment = environment.filter { Redactor.isSecretVariable($0.key) }.map(\.value)
        let fromConfig = config.properties.filter { KafkaConfig.isSecret($0.key) }.map(\.value)
        self.init(secrets: fromEnvironment + fromConfig)
    }

    /// True for environment variable names that hold secrets.
    public static func isSecretVariable(_ name: String) -> Bool {
        let name = name.lowercased()
        return ["secret", "password", "passwd", "token", "credential"].contains { name.contains($0) }
            || KafkaConfig.isSecret(name)
    }

    /// `text` with every secret replaced by `[redacted]`.
    public func scrub(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var text = text
        for secret in secrets where text.contains(secret) { text = text.replacing(secret, with: Redactor.mask) }
        return text
    }

    public var isEmpty: Bool { secrets.isEmpty }
}
