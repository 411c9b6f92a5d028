import Foundation
import SluiceSupport

/// Produces tutorial records to the demo's input topic: first `historyMs` of event time at
/// once (one record per second of it), then `ratePerSecond` live records until told to stop.
final class DemoGenerator: Sendable {
    private let producer: KafkaProducer
    private let options: DemoOptions
    private let board: DemoBoard

    init(bootstrapServers: String, options: DemoOptions, board: DemoBoard) throws(KafkaError) {
        producer = try KafkaProducer(
            config: [
                "bootstrap.servers": bootstrapServers, "client.id": "sluice-demo-generator", "linger.ms": "5",
                // Keys land where Java clients (and `sluice run`) put them.
                "partitioner": "murmur2_random",
            ],
            logHandler: { _ in })
        self.options = options
        self.board = board
    }

    /// Blocks until `shouldStop` returns true, then flushes.
    func run(shouldStop: () -> Bool) {
        var generator = TutorialGenerator(topic: options.inputTopic)
        let now = Self.wallMs()
        var eventTime = now - max(0, options.historyMs)
        while eventTime < now, !shouldStop() {
            send(generator.next(nowMs: eventTime))
            eventTime += 1000
        }
        let interval = 1.0 / max(0.1, min(options.ratePerSecond, 10_000))
        var next = Date()
        while !shouldStop() {
            producer.poll(timeoutMs: 0)
            let wait = next.timeIntervalSinceNow
            if wait > 0 {
                Thread.sleep(forTimeInterval: min(wait, 0.1))
                continue
            }
            send(generator.next(nowMs: Self.wallMs()))
            next += interval
            // Far behind (a stalled machine): do not burst to catch up.
            if next.timeIntervalSinceNow < -1 { next = Date() }
        }
        try? producer.flush(timeoutMs: 5_000)
    }

    private func send(_ generated: (record: Record, kind: TutorialGenerator.Kind)) {
        do {
            try producer.produce(generated.record)
            board.status.withLock {
                $0.produced += 1
                $0.producedByKind[generated.kind, default: 0] += 1
            }
        } catch {
            // A full queue: serve deliveries, then drop this one (the demo goes on).
            producer.poll(timeoutMs: 100)
        }
    }

    static func wallMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
