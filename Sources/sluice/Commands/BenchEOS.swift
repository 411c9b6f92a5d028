import ArgumentParser
import Foundation
import SluiceCore
import SluiceKafka
import SluiceSupport
import Synchronization

/// `sluice bench-eos`: exactly-once against at-least-once throughput of `sluice run` on the same
/// broker and records, in the same process (see `make bench-eos`, which starts noida-db).
struct BenchEOS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-eos",
        abstract: "Compare exactly-once with at-least-once run throughput on one broker.",
        discussion: """
            Fills input-topic with N generated tutorial records, then runs the pipeline over \
            them once at least once and once exactly once per round (alternating which goes \
            first), each in a fresh consumer group with its own changelog, and prints records \
            per second from the first assignment to the end of the run (final commit included) \
            and the ratio. The broker must support transactions (noida-db or Kafka, not the \
            embedded mock cluster).
            """)

    @Option(help: "Bootstrap servers, HOST:PORT[,HOST:PORT...].")
    var brokers: String

    @Option(help: "How many records each run processes.")
    var records = 1_000_000

    @Option(help: "Rounds (each runs both guarantees).")
    var rounds = 3

    @Option(help: "Partitions of the input topic (created when missing).")
    var partitions = 4

    @Option(help: "Commit interval of the exactly-once runs, in milliseconds (at least once: 1000).")
    var eosCommitMs: Int64 = 100

    @Option(help: "The pipeline to run.")
    var pipeline = "pipelines/seed-processor.yaml"

    func validate() throws {
        guard records > 0, rounds > 0, partitions > 0 else { throw ValidationError("--records, --rounds and --partitions must be at least 1") }
    }

    func run() throws {
        let (loaded, diagnostics) = PipelineLoader.load(file: pipeline)
        guard let spec = loaded, let plan = try? EnginePlan(spec: spec) else {
            Output.error("error: cannot load \(pipeline): \(diagnostics)")
            throw ExitCode(1)
        }
        do {
            try prepare(spec)
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
        var ratios: [Double] = []
        var cpuRatios: [Double] = []
        for round in 1...rounds {
            var rates: [Guarantee: Double] = [:]
            var cpu: [Guarantee: Double] = [:]
            let order: [Guarantee] = round % 2 == 1 ? [.atLeastOnce, .exactlyOnce] : [.exactlyOnce, .atLeastOnce]
            for guarantee in order {
                let before = Self.cpuSeconds()
                rates[guarantee] = try measure(spec: spec, plan: plan, guarantee: guarantee, round: round)
                cpu[guarantee] = Self.cpuSeconds() - before
            }
            let alo = rates[.atLeastOnce] ?? 0
            let eos = rates[.exactlyOnce] ?? 0
            let ratio = alo > 0 ? eos / alo : 0
            ratios.append(ratio)
            let (aloCPU, eosCPU) = (cpu[.atLeastOnce] ?? 0, cpu[.exactlyOnce] ?? 0)
            cpuRatios.append(eosCPU > 0 ? aloCPU / eosCPU : 0)
            print(String(format: "round %d: at least once %.0f records/s, exactly once %.0f records/s, ratio %.3f (cost %.1f%%); "
                + "client cpu %.2f s vs %.2f s", round, alo, eos, ratio, (1 - ratio) * 100, aloCPU, eosCPU))
        }
        let sorted = ratios.sorted()
        let median = sorted[sorted.count / 2]
        print(String(format: "exactly once / at least once over %d rounds: median %.3f (cost %.1f%%), min %.3f, max %.3f",
            ratios.count, median, (1 - median) * 100, sorted.first ?? 0, sorted.last ?? 0))
        let cpuMedian = cpuRatios.sorted()[cpuRatios.count / 2]
        print(String(format: "client cpu per record, at least once / exactly once: median %.3f (exactly once costs %.1f%% more cpu)",
            cpuMedian, (cpuMedian > 0 ? 1 / cpuMedian - 1 : 0) * 100))
    }

    /// Creates the topics and fills the input once (both guarantees read the same records).
    private func prepare(_ spec: PipelineSpec) throws {
        let admin = try KafkaAdmin(config: ["bootstrap.servers": brokers])
        var topics = [NewTopic(name: "input-topic", partitions: Int32(partitions), configs: ["retention.ms": "-1"])]
        for name in ["output-topic", "aggregated-topic", "late-topic", "dead-letter-topic"] {
            topics.append(NewTopic(name: name, partitions: Int32(partitions), configs: ["retention.ms": "-1"]))
        }
        try admin.createTopics(topics, timeoutMs: 10_000)
        let producer = try KafkaProducer(config: [
            "bootstrap.servers": brokers, "linger.ms": "20", "batch.num.messages": "10000",
            "queue.buffering.max.messages": "500000",
        ])
        try Self.fill(producer, records: records)
        try producer.flush(timeoutMs: 120_000)
        let failed = producer.takeDeliveryReports().filter { !$0.isDelivered }.count
        guard failed == 0 else { throw ValidationError("\(failed) input records were not delivered") }
        Output.error("input-topic: \(records) records in \(partitions) partitions")
    }

    /// User and system cpu time of this process so far (the runner and librdkafka's threads;
    /// the broker is another process).
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Produces `records` generated tutorial records, waiting while the queue is full.
    private static func fill(_ producer: KafkaProducer, records: Int) throws(KafkaError) {
        var generator = TutorialGenerator(topic: "input-topic")
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var index = 0
        while index < records {
            let record = generator.next(nowMs: now + Int64(index) / 10).record
            var sent = false
            while !sent {
                do {
                    _ = try producer.produce(record)
                    sent = true
                } catch {
                    guard error.isQueueFull else { throw error }
                    producer.poll(timeoutMs: 10)
                }
            }
            index += 1
        }
    }

    /// Runs the pipeline over the whole input in a fresh group; records per second from the
    /// first partition assignment to the end of the run.
    private func measure(spec: PipelineSpec, plan: EnginePlan, guarantee: Guarantee, round: Int) throws -> Double {
        var spec = spec
        let tag = guarantee == .exactlyOnce ? "eos" : "alo"
        // Its own changelog topics and group: nothing restored from the other runs.
        spec.name = "\(spec.name)-bench-\(tag)-\(round)"
        let settings = try RunSettings.resolve(
            spec: spec, brokers: brokers, group: "bench-\(tag)-\(round)", overrides: [("auto.offset.reset", "earliest")],
            environment: [:])
        var options = RunOptions(maxRecords: records, commitIntervalMs: guarantee == .exactlyOnce ? eosCommitMs : 1000)
        options.guarantee = guarantee
        let assignedAt = AssignedClock()
        let runner = PipelineRunner(spec: spec, plan: plan, settings: settings, options: options) { entry in
            if entry.message.hasPrefix("partitions assigned") { assignedAt.mark() }
            if entry.level == .error || entry.level == .warning { Output.error("\(tag): \(entry.text)") }
        }
        let outcome = runner.run()
        let end = Date()
        if case .failed(let message, _) = outcome {
            throw ValidationError("\(tag) run failed: \(message)")
        }
        guard outcome.summary.stats.recordsIn == records, let start = assignedAt.first else {
            throw ValidationError("\(tag) run processed \(outcome.summary.stats.recordsIn) of \(records) records")
        }
        let seconds = end.timeIntervalSince(start)
        Output.error(String(format: "  %@: %.2f s from assignment", tag, seconds))
        return Double(records) / max(seconds, 0.001)
    }
}

/// When the first assignment was logged (the log handler runs on librdkafka's threads too).
private final class AssignedClock: Sendable {
    private let time = Mutex<Date?>(nil)

    func mark() { time.withLock { if $0 == nil { $0 = Date() } } }
    var first: Date? { time.withLock { $0 } }
}
