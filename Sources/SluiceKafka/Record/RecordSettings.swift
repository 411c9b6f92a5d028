import SluiceCore
import SluiceSupport

extension RunSettings {
    /// Settings for reading topics outside any pipeline (`sluice record`), resolved with the
    /// same precedence as `sluice run`: `--brokers`, `-X` properties, `SLUICE_BROKERS`, the
    /// Confluent variables (with SASL_SSL/PLAIN credentials), from the environment or `.env`.
    /// The consumer group is `sluice-record`; nothing is ever committed to it.
    public static func forRecording(
        topics: [String], brokers: String?, overrides: [(String, String)], environment: [String: String]
    ) throws(RunSetupError) -> RunSettings {
        let location = SourceLocation(file: "sluice record", line: 1, column: 1)
        let spec = PipelineSpec(
            file: "sluice record", name: "record",
            source: SourceSpec(topics: topics, group: "sluice-record", location: location))
        return try resolve(spec: spec, brokers: brokers, overrides: overrides, environment: environment)
    }
}
