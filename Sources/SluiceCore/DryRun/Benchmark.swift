import Foundation
import SluiceSupport

/// Measures dry-run engine throughput on generated tutorial traffic, against the cost of just
/// parsing the same JSON in the same run (the baseline), and the memory an open window costs.
public enum Benchmark {
    /// `count` tutorial records `{id, timestamp, value, category}` as raw bytes, about ten per
    /// second of event time, keyed by category, with a few out of order. Deterministic.
    public static func tutorialRecords(count: Int, topic: String = "input-topic", categories: Int = 5) -> [Record] {
        var random = SplitMix(seed: 20_250_116)
        var records: [Record] = []
        records.reserveCapacity(count)
        let names = (0..<max(1, categories)).map { $0 < 26 ? String(UnicodeScalar(UInt8(65 + $0))) : "C\($0)" }
        var second: Int64 = 1_736_990_000
        for index in 0..<count {
            if random.next() % 10 == 0 { second += 1 }
            let eventTime = random.next() % 20 == 0 ? second - Int64(random.next() % 5) : second
            let category = names[Int(random.next() % UInt64(names.count))]
            let text = #"{"id":\#(index + 1),"timestamp":\#(eventTime),"value":\#(random.next() % 100 + 1),"category":"\#(category)"}"#
            records.append(Record(
                topic: topic, partition: Int32(index % 3), offset: Int64(index / 3), timestamp: eventTime * 1000,
                key: Array(category.utf8), value: Array(text.utf8)))
        }
        return records
    }

    /// Throughput of one pass through the engine, outputs counted and discarded.
    public struct Run: Sendable {
        public var records: Int
        public var seconds: Double
        public var outputs: Int
        public var outputBytes: Int
        public var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
    }

    /// Dry-runs `records` through `plan` (end of input included).
    public static func run(_ plan: EnginePlan, records: [Record]) -> Run {
        let engine = Engine(plan: plan)
        var outputs = 0, bytes = 0
        let clock = ContinuousClock()
        let start = clock.now
        for (index, record) in records.enumerated() {
            engine.process(record)
            if index & 1023 == 1023 {
                engine.drainOutputs { outputs += 1; bytes += ($0.record.value?.count ?? 0) + ($0.record.key?.count ?? 0) }
            }
        }
        engine.finish()
        engine.drainOutputs { outputs += 1; bytes += ($0.record.value?.count ?? 0) + ($0.record.key?.count ?? 0) }
        return Run(records: records.count, seconds: seconds(clock.now - start), outputs: outputs, outputBytes: bytes)
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

    /// Resident bytes per open window and key: `windows` keys fed into one window of `plan`
    /// (never closed), resident memory measured before and after. The engine is handed to
    /// `keepAlive`, so that the next measurement cannot reuse its memory; measure before other
    /// work for the same reason. Nil where /proc is missing.
    public static func bytesPerOpenWindow(
        _ plan: EnginePlan, windows: Int = 200_000, keepAlive: inout [Engine]
    ) -> (bytes: Double, open: Int)? {
        let records = (0..<windows).map { index in
            Record(
                topic: plan.source.topics.first ?? "input-topic", timestamp: 1_736_990_000_000,
                value: Array(#"{"id":\#(index),"timestamp":1736990000,"value":\#(index % 100 + 1),"category":"key-\#(index)"}"#.utf8))
        }
        let engine = Engine(plan: plan)
        guard let before = residentBytes() else { return nil }
        for chunk in stride(from: 0, to: records.count, by: 256) {
            engine.process(records[chunk..<min(chunk + 256, records.count)])
            engine.drainOutputs { _ in }  // small batches: outputs must not count as state
        }
        guard let after = residentBytes(), engine.openStateCount > 0 else { return nil }
        keepAlive.append(engine)
        return (Double(after - before) / Double(engine.openStateCount), engine.openStateCount)
    }

    /// The process's resident set size, from /proc/self/statm.
    public static func residentBytes() -> Int? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/statm"),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

/// A small deterministic pseudo-random generator (SplitMix64), so generated data is the same on every run.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
