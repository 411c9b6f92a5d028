import ArgumentParser
import Dispatch
import Foundation
import SluiceKafka
import Synchronization

/// `sluice broker`: librdkafka's mock Kafka cluster on 127.0.0.1, for local development.
struct Broker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an embedded Kafka cluster (librdkafka's mock cluster) on 127.0.0.1.",
        discussion: """
            Prints the bootstrap address on standard output (and writes it to --address-file), \
            then serves until interrupted (Ctrl-C or SIGTERM). Data is kept in memory only, about \
            5 MiB per partition; the mock cluster has no CreateTopics API (create topics with \
            --topics) and is not suitable for exactly-once tests.
            """
    )

    @Option(help: "Number of brokers in the cluster (1-32).")
    var brokers: Int = 1

    @Option(
        help:
            "Topics to create, as name:partitions pairs separated by commas (partitions default to 1), e.g. orders:3,totals:1."
    )
    var topics: String?

    @Option(help: "Write the bootstrap address to this file (removed again on exit).")
    var addressFile: String?

    func validate() throws {
        guard (1...32).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 32") }
        _ = try Broker.parseTopics(topics ?? "")
    }

    func run() async throws {
        let cluster = try MockCluster(brokers: brokers)
        let wanted = try Broker.parseTopics(topics ?? "")
        for (name, partitions) in wanted {
            try cluster.createTopic(name, partitions: partitions, replicationFactor: Int32(min(brokers, 3)))
        }
        if let addressFile {
            try (cluster.bootstrapServers + "\n").write(toFile: addressFile, atomically: true, encoding: .utf8)
        }
        // Unbuffered, so that a script reading the pipe sees the address at once.
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        let topicList = wanted.map { "\($0.name) (\($0.partitions))" }.joined(separator: ", ")
        FileHandle.standardError.write(
            Data(
                """
                sluice broker: \(brokers) broker(s) at \(cluster.bootstrapServers)\
                \(topicList.isEmpty ? "" : "; topics: \(topicList)"); stop with ctrl-c\n
                """.utf8))

        let signal = await TerminationSignal.wait(for: [SIGINT, SIGTERM])
        if let addressFile { try? FileManager.default.removeItem(atPath: addressFile) }
        FileHandle.standardError.write(Data("sluice broker: stopping (signal \(signal))\n".utf8))
        withExtendedLifetime(cluster) {}
    }

    /// Parses `name:partitions,name:partitions`; a missing partition count means 1.
    static func parseTopics(_ text: String) throws -> [(name: String, partitions: Int32)] {
        var seen = Set<String>()
        return try text.split(separator: ",").map { item in
            let parts = item.trimmingCharacters(in: .whitespaces).split(
                separator: ":", omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard parts.count <= 2, !name.isEmpty,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            else {
                throw ValidationError(
                    "--topics: \"\(item)\" is not name or name:partitions (names use letters, digits, '.', '_', '-')")
            }
            guard seen.insert(name).inserted else { throw ValidationError("--topics: \"\(name)\" is listed twice") }
            guard parts.count == 2 else { return (name, 1) }
            guard let partitions = Int32(parts[1]), (1...10_000).contains(partitions) else {
                throw ValidationError(
                    "--topics: the partition count of \"\(name)\" must be a number between 1 and 10000")
            }
            return (name, partitions)
        }
    }
}

/// Waits for the first of several signals, delivered through Dispatch signal sources.
enum TerminationSignal {
    static func wait(for signals: [Int32]) async -> Int32 {
        let waiter = Waiter()
        return await withCheckedContinuation { continuation in
            waiter.start(signals, continuation)
        }
    }

    /// Holds the sources and resumes the continuation once.
    private final class Waiter: Sendable {
        private let state = Mutex<(CheckedContinuation<Int32, Never>?, [any DispatchSourceSignal])>((nil, []))

        func start(_ signals: [Int32], _ continuation: CheckedContinuation<Int32, Never>) {
            let sources = signals.map { number -> any DispatchSourceSignal in
                // Ignore the default action (terminate) so that the source sees the signal.
                Foundation.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { self.fire(number) }
                return source
            }
            state.withLock { $0 = (continuation, sources) }
            sources.forEach { $0.resume() }
        }

        private func fire(_ number: Int32) {
            let continuation = state.withLock { state in
                defer { state.0 = nil }
                state.1.forEach { $0.cancel() }
                return state.0
            }
            continuation?.resume(returning: number)
        }
    }
}
