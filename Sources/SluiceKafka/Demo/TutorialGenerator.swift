import SluiceSupport

/// Makes the tutorial's input records: `{"id", "timestamp" (epoch seconds), "value" (1-100),
/// "category" (A-E)}` keyed by category, with a few malformed ones (for the dead-letter topic)
/// and a few late ones (event time two minutes back, for the late topic). Deterministic for a
/// given seed and clock readings.
public struct TutorialGenerator: Sendable {
    /// What a generated record is meant to show.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case normal, malformed, late
    }

    public var topic: String
    /// About one record in `malformedEvery` is malformed (0: never).
    public var malformedEvery: UInt64
    /// About one record in `lateEvery` is late (0: never).
    public var lateEvery: UInt64
    /// How far back a late record's event time lies (beyond a 60 s window and 10 s grace).
    public var lateByMs: Int64 = 120_000
    public private(set) var nextID = 1
    private var random: SplitMix64

    public static let categories = ["A", "B", "C", "D", "E"]

    public init(topic: String = "input-topic", seed: UInt64 = 20_250_116, malformedEvery: UInt64 = 40, lateEvery: UInt64 = 50) {
        self.topic = topic
        self.random = SplitMix64(seed: seed)
        self.malformedEvery = malformedEvery
        self.lateEvery = lateEvery
    }

    /// The next record, with event time `nowMs` (milliseconds since the epoch), unless late.
    public mutating func next(nowMs: Int64) -> (record: Record, kind: Kind) {
        let id = nextID
        nextID += 1
        let category = TutorialGenerator.categories[Int(draw() % UInt64(TutorialGenerator.categories.count))]
        let value = draw() % 100 + 1
        var kind = Kind.normal
        if malformedEvery > 0, draw() % malformedEvery == 0 {
            kind = .malformed
        } else if lateEvery > 0, draw() % lateEvery == 0 {
            kind = .late
        }
        let eventMs = kind == .late ? nowMs &- lateByMs : nowMs
        let seconds = eventMs / 1000
        let text: String
        switch kind {
        case .malformed:
            // Three ways to be wrong: not JSON, a string value, no category.
            switch draw() % 3 {
            case 0: text = #"{"id":\#(id),"timestamp":\#(seconds),"value":\#(value),"category":"\#(category)""#
            case 1: text = #"{"id":\#(id),"timestamp":\#(seconds),"value":"\#(value) units","category":"\#(category)"}"#
            default: text = #"{"id":\#(id),"timestamp":\#(seconds),"value":\#(value)}"#
            }
        case .normal, .late:
            text = #"{"id":\#(id),"timestamp":\#(seconds),"value":\#(value),"category":"\#(category)"}"#
        }
        let record = Record(
            topic: topic, partition: -1, offset: -1, timestamp: eventMs, key: Array(category.utf8), value: Array(text.utf8))
        return (record, kind)
    }

    private mutating func draw() -> UInt64 { random.next() }
}
