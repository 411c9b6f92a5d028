import SluiceSupport

/// Measures dry-run engine throughput on generated tutorial traffic, against the cost of just
/// parsing the same JSON in the same run (the baseline), and the memory state costs
/// (BenchmarkMemory.swift).
public enum Benchmark {
    /// `count` tutorial records `{id, timestamp, value, category}` as raw bytes, about ten per
    /// second of event time, keyed by category, with a few out of order. Deterministic.
    public static func tutorialRecords(count: Int, topic: String = "input-topic", categories: Int = 5) -> [Record] {
        var generator = BenchmarkRecordGenerator(topic: topic, categories: categories)
        return generator.next(count)
    }

    /// Throughput of one pass through the engine, outputs counted and discarded.
    public struct Run: Sendable {
        public var records: Int
        /// Time spent in the engine (or parsing, for the baseline), generating input excluded.
        public var seconds: Double
        public var outputs: Int
        public var outputBytes: Int
        public var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
    }

    /// Dry-runs `records` through `plan` (end of input included).
    public static func run(_ plan: EnginePlan, records: [Record]) -> Run {
        let engine = Engine(plan: plan)
        var run = Run(records: 0, seconds: 0, outputs: 0, outputBytes: 0)
        feed(engine, records, into: &run)
        let clock = ContinuousClock()
        let start = clock.now
        engine.finish()
        drain(engine, into: &run)
        run.seconds += seconds(clock.now - start)
        return run
    }

    /// Dry-runs `count` generated tutorial records through `plan`, generating them `chunk` at a
    /// time so that any number fits in memory (only engine time is counted); `checkpoint` is
    /// called after every `every` records (and at the end) with the number processed so far.
    public static func run(
        _ plan: EnginePlan, generating count: Int, chunk: Int = 65_536, every: Int = 1_000_000,
        checkpoint: (Int) -> Void = { _ in }
    ) -> Run {
        let engine = Engine(plan: plan)
        var generator = BenchmarkRecordGenerator(topic: plan.source.topics.first ?? "input-topic")
        var run = Run(records: 0, seconds: 0, outputs: 0, outputBytes: 0)
        var nextCheckpoint = every
        while run.records < count {
            let records = generator.next(min(chunk, count - run.records, max(1, nextCheckpoint - run.records)))
            feed(engine, records, into: &run)
            if run.records >= nextCheckpoint {
                checkpoint(run.records)
                nextCheckpoint += every
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        engine.finish()
        drain(engine, into: &run)
        run.seconds += seconds(clock.now - start)
        if count % every != 0 { checkpoint(run.records) }
        return run
    }

    /// Feeds records borrowed from their array, as the Kafka path reads librdkafka's buffers:
    /// neither the engine nor the parse baseline pays for making or freeing input records.
    private static func feed(_ engine: Engine, _ records: [Record], into run: inout Run) {
        let clock = ContinuousClock()
        let start = clock.now
        records.withUnsafeBufferPointer { batch in
            guard let base = batch.baseAddress else { return }
            for index in 0..<batch.count {
                engine.process(recordAt: base + index)
                if index & 1023 == 1023 { drain(engine, into: &run) }
            }
        }
        drain(engine, into: &run)
        run.seconds += seconds(clock.now - start)
        run.records += records.count
    }

    private static func drain(_ engine: Engine, into run: inout Run) {
        // Borrowed, as the Kafka path takes them (a producer copies the bytes).
        engine.drainBorrowedOutputs { output in
            run.outputs += 1
            run.outputBytes += (output.value?.count ?? 0) + (output.key?.count ?? 0)
        }
    }

    /// Throughput of only parsing each record's JSON value: the in-run baseline.
    public static func parseBaseline(_ records: [Record]) -> Run {
        var fields = 0
        let clock = ContinuousClock()
        let start = clock.now
        for record in records {
            if let bytes = record.value, case .object(let object)? = try? JSON.parse(bytes) { fields &+= object.count }
        }
        return Run(records: records.count, seconds: seconds(clock.now - start), outputs: fields, outputBytes: 0)
    }

    /// The baseline on `count` generated records, generated a chunk at a time (not timed).
    public static func parseBaseline(generating count: Int, chunk: Int = 65_536) -> Run {
        var generator = BenchmarkRecordGenerator()
        var total = Run(records: 0, seconds: 0, outputs: 0, outputBytes: 0)
        while total.records < count {
            let part = parseBaseline(generator.next(min(chunk, count - total.records)))
            total.records += part.records
            total.seconds += part.seconds
            total.outputs += part.outputs
        }
        return total
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

/// Generates the tutorial records of `Benchmark.tutorialRecords`, a batch at a time.
public struct BenchmarkRecordGenerator: Sendable {
    private var random = SplitMix64(seed: 20_250_116)
    private var second: Int64 = 1_736_990_000
    private var index = 0
    private let topic: String
    private let names: [String]

    public init(topic: String = "input-topic", categories: Int = 5) {
        self.topic = topic
        names = (0..<max(1, categories)).map { $0 < 26 ? String(UnicodeScalar(UInt8(65 + $0))) : "C\($0)" }
    }

    /// The next `count` records.
    public mutating func next(_ count: Int) -> [Record] {
        var records: [Record] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            if random.next() % 10 == 0 { second += 1 }
            let eventTime = random.next() % 20 == 0 ? second - Int64(random.next() % 5) : second
            let category = names[Int(random.next() % UInt64(names.count))]
            let text = #"{"id":\#(index + 1),"timestamp":\#(eventTime),"value":\#(random.next() % 100 + 1),"category":"\#(category)"}"#
            records.append(Record(
                topic: topic, partition: Int32(index % 3), offset: Int64(index / 3), timestamp: eventTime * 1000,
                key: Array(category.utf8), value: Array(text.utf8)))
            index += 1
        }
        return records
    }
}
