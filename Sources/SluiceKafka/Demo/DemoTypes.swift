import SluiceSupport
import Synchronization

/// How `sluice demo` runs.
public struct DemoOptions: Sendable {
    /// Live tutorial records produced per second.
    public var ratePerSecond: Double
    /// Event time produced at start, one record per second of it, so that the first windows
    /// close within the first seconds.
    public var historyMs: Int64
    public var inputTopic: String
    /// Two by default: with Kafka's default partitioner, categories A-E then fill every
    /// partition, so that no empty partition holds stream time (and the windows) back.
    public var inputPartitions: Int32
    /// Topics printed live, created with one partition each so that their order is kept.
    public var sinkTopics: [String]

    public init(
        ratePerSecond: Double = 5, historyMs: Int64 = 120_000, inputTopic: String = "input-topic", inputPartitions: Int32 = 2,
        sinkTopics: [String] = ["output-topic", "aggregated-topic", "late-topic", "dead-letter-topic"]
    ) {
        self.ratePerSecond = ratePerSecond
        self.historyMs = historyMs
        self.inputTopic = inputTopic
        self.inputPartitions = inputPartitions
        self.sinkTopics = sinkTopics
    }
}

/// Something that happened during the demo, in the order it happened.
public enum DemoEvent: Sendable, Hashable {
    /// A record arrived on a sink topic.
    case record(Record)
    /// A pipeline's log line worth showing (warnings and errors), prefixed by its name.
    case note(String)
    /// A pipeline stopped with an error.
    case failure(pipeline: String, message: String)
}

/// Counters for the status line.
public struct DemoStatus: Sendable, Equatable {
    /// How one pipeline is doing.
    public struct Pipeline: Sendable, Equatable {
        /// `starting`, `running`, `stopped` or `failed`.
        public var state: String = "starting"
        public var recordsIn = 0
        public var recordsOut = 0
    }

    public var elapsedMs: Int64 = 0
    public var produced = 0
    public var producedByKind: [TutorialGenerator.Kind: Int] = [:]
    /// Records seen per sink topic.
    public var received: [String: Int] = [:]
    public var pipelines: [String: Pipeline] = [:]

    public init() {}
}

/// One pipeline the demo runs on its own thread: `run` blocks until `stop` is called (or the
/// pipeline fails, by throwing).
public struct DemoPipeline: Sendable {
    public var name: String
    public var run: @Sendable () throws -> Void
    public var stop: @Sendable () -> Void

    public init(name: String, run: @escaping @Sendable () throws -> Void, stop: @escaping @Sendable () -> Void) {
        self.name = name
        self.run = run
        self.stop = stop
    }
}

/// The shared state of a running demo: events for the screen and counters for the status line.
final class DemoBoard: Sendable {
    private let events = Mutex<[DemoEvent]>([])
    let status = Mutex(DemoStatus())
    private let dropped = Atomic<Int>(0)
    static let maxEvents = 20_000

    func post(_ event: DemoEvent) {
        let full = events.withLock { events -> Bool in
            guard events.count < DemoBoard.maxEvents else { return true }
            events.append(event)
            return false
        }
        if full { dropped.add(1, ordering: .relaxed) }
    }

    func take() -> [DemoEvent] {
        events.withLock { events in
            defer { events = [] }
            return events
        }
    }

    var droppedCount: Int { dropped.load(ordering: .relaxed) }
}
