import ArgumentParser
import Foundation
import SluiceKafka
import SluiceSupport

/// `sluice generate`: fills a topic with tutorial records, as fast as the cluster takes them.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce generated tutorial records to a topic (for benchmarks and trying pipelines).",
        discussion: """
            Writes N records {"id","timestamp","value","category"} keyed by category, with about \
            one in 40 malformed (for the dead-letter topic) and one in 50 late, the same records \
            `sluice bench` and `sluice demo` generate, then waits until the cluster acknowledged \
            them all. Brokers come from --brokers, else SLUICE_BROKERS.
            """)

    @Option(help: "How many records to produce.")
    var records = 1_000_000

    @Option(help: "The topic to produce to (it must exist).")
    var topic = "input-topic"

    @Option(help: "Bootstrap servers, HOST:PORT[,HOST:PORT...] (default: $SLUICE_BROKERS).")
    var brokers: String?

    @Option(help: "The generator's seed (the same seed gives the same records).")
    var seed: UInt64 = 20_250_116

    @Option(help: ArgumentHelp(
        "librdkafka's partitioner: murmur2_random places records by key like Java clients; random spreads "
            + "them over every partition (the tutorial has only five keys).", valueName: "name"))
    var partitioner = "murmur2_random"

    func validate() throws {
        guard records > 0 else { throw ValidationError("--records must be at least 1") }
    }

    func run() throws {
        guard let servers = brokers ?? ProcessInfo.processInfo.environment["SLUICE_BROKERS"], !servers.isEmpty else {
            throw ValidationError("no brokers: pass --brokers HOST:PORT or set SLUICE_BROKERS")
        }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(
                config: [
                    "bootstrap.servers": servers, "client.id": "sluice-generate", "linger.ms": "20",
                    "batch.num.messages": "10000", "queue.buffering.max.messages": "500000",
                    "partitioner": partitioner,
                ],
                logHandler: { _ in })
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
        var generator = TutorialGenerator(topic: topic, seed: seed)
        var nowMs = Self.wallMs()
        var failed = 0
        var reports: [DeliveryReport] = []
        for index in 0..<records {
            if index % 1000 == 0 { nowMs = Self.wallMs() }
            let record = generator.next(nowMs: nowMs).record
            while true {
                do {
                    try producer.produce(record)
                    break
                } catch where error.isQueueFull {
                    producer.poll(timeoutMs: 10)
                } catch {
                    Output.error("error: \(error)")
                    throw ExitCode(1)
                }
            }
            if index % 10_000 == 0 {
                producer.poll(timeoutMs: 0)
                producer.takeDeliveryReports(into: &reports)
                failed += reports.count { !$0.isDelivered }
            }
        }
        do {
            try producer.flush(timeoutMs: 60_000)
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
        producer.takeDeliveryReports(into: &reports)
        failed += reports.count { !$0.isDelivered }
        if failed > 0 {
            Output.error("error: \(failed) record(s) not delivered")
            throw ExitCode(1)
        }
        Output.error("produced \(records) tutorial records to \(topic)")
    }

    static func wallMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
