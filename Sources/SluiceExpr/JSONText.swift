import SluiceSupport

/// JSON text for `string(x)`, `concat` and messages, written by SluiceSupport's JSON writer so
/// that expressions render values exactly as sinks do.
enum JSONText {
    static func write(_ value: Value) -> String { value.jsonText }

    /// A double as JSON: `1.0`, `0.5`, `1e+20`.
    static func number(_ d: Double) -> String { Value.double(d).jsonText }

    static func quoted(_ s: String) -> String { Value.string(s).jsonText }
}
