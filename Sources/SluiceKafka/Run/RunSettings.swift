import SluiceCore
import SluiceSupport

/// Where `sluice run` connects and how its clients are configured, resolved from flags, the
/// environment (including `.env`) and the pipeline's `kafka:` properties.
///
/// Precedence, lowest first: the runner's defaults; the pipeline's `kafka:` properties (with
/// `${VAR}` replaced); brokers from `CONFLUENT_BOOTSTRAP_SERVERS` (with SASL_SSL/PLAIN from
/// `CONFLUENT_API_KEY`/`CONFLUENT_API_SECRET`) or, higher, `SLUICE_BROKERS`; `-X` properties;
/// `--brokers` and `--group`. Offsets are always committed by the runner itself, so
/// `enable.auto.commit` and `enable.auto.offset.store` are always false.
public struct RunSettings: Sendable {
    /// Every property given to clients, before the split into consumer and producer ones.
    public var properties: KafkaConfig
    /// The consumer group.
    public var group: String
    /// Where the broker list came from, e.g. `--brokers` or `SLUICE_BROKERS`.
    public var brokerSource: String
    /// Scrubs secrets out of every message the runner reports.
    public var redactor: Redactor
    /// Notes for the start log (for example properties the runner overrides).
    public var notes: [String]

    public var bootstrapServers: String { properties["bootstrap.servers"] ?? "" }

    /// Resolves the settings for `spec`.
    ///
    /// - Parameters:
    ///   - brokers: `--brokers`, if given.
    ///   - group: `--group`, if given.
    ///   - overrides: `-X name=value` properties, in order.
    ///   - environment: the process environment merged over `.env` (see `RunSettings.environment`).
    public static func resolve(
        spec: PipelineSpec, brokers: String? = nil, group: String? = nil, overrides: [(String, String)] = [],
        environment: [String: String]
    ) throws(RunSetupError) -> RunSettings {
        var properties = KafkaConfig([
            "client.id": "sluice-\(spec.name)",
            "auto.offset.reset": spec.source.start.rawValue,
            // Java's default partitioner, so keys land where other Kafka clients put them.
            "partitioner": "murmur2_random",
            "enable.idempotence": "true",
        ])
        var notes: [String] = []
        let fromSpec: [String: String]
        do {
            fromSpec = try spec.interpolatedKafka(environment: environment)
        } catch {
            throw RunSetupError(error.description)
        }
        properties = properties.merging(KafkaConfig(fromSpec))
        var brokerSource = fromSpec["bootstrap.servers"] != nil ? "the pipeline's kafka: bootstrap.servers" : ""

        if let servers = nonEmpty(environment["SLUICE_BROKERS"]) {
            properties["bootstrap.servers"] = servers
            brokerSource = "SLUICE_BROKERS"
        } else if let servers = nonEmpty(environment["CONFLUENT_BOOTSTRAP_SERVERS"]) {
            properties["bootstrap.servers"] = servers
            brokerSource = "CONFLUENT_BOOTSTRAP_SERVERS"
            let key = nonEmpty(environment["CONFLUENT_API_KEY"])
            let secret = nonEmpty(environment["CONFLUENT_API_SECRET"])
            switch (key, secret) {
            case (let key?, let secret?):
                properties["security.protocol"] = "SASL_SSL"
                properties["sasl.mechanisms"] = "PLAIN"
                properties["sasl.username"] = key
                properties["sasl.password"] = secret
            case (nil, nil):
                break
            default:
                throw RunSetupError("CONFLUENT_API_KEY and CONFLUENT_API_SECRET must be set together")
            }
        }
        for (name, value) in overrides {
            properties[name] = value
            if name == "bootstrap.servers" { brokerSource = "-X bootstrap.servers" }
        }
        if let brokers {
            guard let servers = nonEmpty(brokers) else { throw RunSetupError("--brokers is empty") }
            properties["bootstrap.servers"] = servers
            brokerSource = "--brokers"
        }
        guard nonEmpty(properties["bootstrap.servers"]) != nil else {
            throw RunSetupError(
                "no brokers configured: pass --brokers HOST:PORT, set SLUICE_BROKERS, or set CONFLUENT_BOOTSTRAP_SERVERS "
                    + "(with CONFLUENT_API_KEY and CONFLUENT_API_SECRET) in the environment or in .env")
        }
        let chosenGroup = nonEmpty(group) ?? nonEmpty(properties["group.id"]) ?? spec.source.group
        properties["group.id"] = chosenGroup
        for name in ["enable.auto.commit", "enable.auto.offset.store"] where properties[name].map({ $0 != "false" }) ?? false {
            notes.append("\(name) ignored: the runner commits offsets itself, after outputs are acknowledged")
        }
        properties["enable.auto.commit"] = nil
        properties["enable.auto.offset.store"] = nil
        let redactor = Redactor(environment: environment, config: properties)
        return RunSettings(
            properties: properties, group: chosenGroup, brokerSource: brokerSource, redactor: redactor, notes: notes)
    }

    /// The environment `sluice run` reads: `.env` values, overridden by the real environment.
    public static func environment(process: [String: String], dotEnv: String?) -> (values: [String: String], badLines: [Int]) {
        guard let dotEnv else { return (process, []) }
        let parsed = DotEnv.parse(dotEnv, environment: process)
        return (parsed.values.merging(process) { _, real in real }, parsed.badLines)
    }

    /// Parses `-X name=value`.
    public static func parseOverride(_ text: String) throws(RunSetupError) -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw RunSetupError("-X expects name=value, e.g. -X session.timeout.ms=6000")
        }
        return (String(text[..<equals]).trimmingSpaces(), String(text[text.index(after: equals)...]))
    }

    /// The main consumer's configuration: the group, no auto-commit.
    public var consumerConfig: KafkaConfig {
        var config = properties.filter { !Self.producerOnly.contains($0) }
        config["enable.auto.commit"] = "false"
        config["enable.auto.offset.store"] = "false"
        return config
    }

    /// The producer's configuration (outputs and changelogs).
    public var producerConfig: KafkaConfig {
        properties.filter { !Self.consumerOnly.contains($0) }
    }

    /// A consumer that reads changelog partitions by assignment, outside the group.
    var restoreConfig: KafkaConfig {
        var config = properties.filter { !Self.producerOnly.contains($0) && $0 != "group.instance.id" }
        config["group.id"] = "\(group).restore"
        config["client.id"] = "\(properties["client.id"] ?? "sluice")-restore"
        config["enable.auto.commit"] = "false"
        config["enable.partition.eof"] = "true"
        config["auto.offset.reset"] = "earliest"
        // Changelogs may one day be written in transactions (exactly-once).
        config["isolation.level"] = "read_committed"
        return config
    }

    /// The admin client's configuration.
    var adminConfig: KafkaConfig {
        properties.filter { !Self.consumerOnly.contains($0) && !Self.producerOnly.contains($0) }
    }

    /// librdkafka's consumer-only properties (a producer warns about each one it is given).
    static let consumerOnly: Set<String> = [
        "auto.commit.enable", "auto.commit.interval.ms", "auto.offset.reset", "check.crcs", "consume.callback.max.messages",
        "coordinator.query.interval.ms", "enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof",
        "fetch.error.backoff.ms", "fetch.max.bytes", "fetch.message.max.bytes", "fetch.min.bytes", "fetch.wait.max.ms",
        "group.id", "group.instance.id", "group.protocol.type", "heartbeat.interval.ms", "isolation.level",
        "max.partition.fetch.bytes", "max.poll.interval.ms", "offset.store.method", "offset.store.path",
        "offset.store.sync.interval.ms", "partition.assignment.strategy", "queued.max.messages.kbytes",
        "queued.min.messages", "session.timeout.ms",
    ]

    /// librdkafka's producer-only properties.
    static let producerOnly: Set<String> = [
        "acks", "batch.num.messages", "batch.size", "compression.codec", "compression.level", "compression.type",
        "delivery.report.only.error", "delivery.timeout.ms", "enable.gapless.guarantee", "enable.idempotence",
        "linger.ms", "message.send.max.retries", "message.timeout.ms", "partitioner", "produce.offset.report",
        "queue.buffering.backpressure.threshold", "queue.buffering.max.kbytes", "queue.buffering.max.messages",
        "queue.buffering.max.ms", "queuing.strategy", "request.required.acks", "request.timeout.ms", "retries",
        "retry.backoff.ms", "sticky.partitioning.linger.ms", "transaction.timeout.ms", "transactional.id",
    ]
}

/// Why `sluice run` cannot start with the given configuration. The message never includes a
/// secret value.
public struct RunSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

extension KafkaConfig {
    /// The properties whose names satisfy `include`.
    func filter(_ include: (String) -> Bool) -> KafkaConfig {
        KafkaConfig(properties.filter { include($0.key) })
    }
}

private func nonEmpty(_ text: String?) -> String? {
    guard let text = text?.trimmingSpaces(), !text.isEmpty else { return nil }
    return text
}
