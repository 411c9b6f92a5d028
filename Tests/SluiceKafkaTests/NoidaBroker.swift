import Foundation
import XCTest
import SluiceKafka

/// A noida-db Kafka broker started for one test on a free port, with a fresh data directory.
///
/// Found as `NOIDA_DB_BIN`, on PATH, or in the repository's `.venv`; tests skip when absent,
/// or fail when the environment sets `SLUICE_REQUIRE_NOIDA=1` (as `make test` and CI do).
/// The pip package installs a Python wrapper that runs the real binary as a child process;
/// killing the wrapper would orphan the server, so the binary is started directly.
final class NoidaBroker {
    let bootstrapServers: String
    private let process: Process
    private let dataDirectory: URL

    init() throws {
        guard let binary = NoidaBroker.findBinary() else {
            throw NoidaBroker.unavailable("noida-db is not installed (pip install noida-db==0.2.3, or make test-deps)")
        }
        let port = try NoidaBroker.freePort()
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("noida-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = binary
        process.arguments = [
            "start", "--only", "kafka", "--kafka-port", String(port), "--data-dir", dataDirectory.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        bootstrapServers = "127.0.0.1:\(port)"
        guard KafkaTestSupport.wait(timeout: 15, { NoidaBroker.accepts(port: port) }) else {
            stop()
            throw NoidaBroker.unavailable("noida-db did not start listening on port \(port)")
        }
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    /// A skip, or with `SLUICE_REQUIRE_NOIDA=1` an error that fails the test.
    static func unavailable(_ reason: String) -> any Error {
        if ProcessInfo.processInfo.environment["SLUICE_REQUIRE_NOIDA"] == "1" {
            return NoidaUnavailable(reason: reason + " (required: SLUICE_REQUIRE_NOIDA=1)")
        }
        return XCTSkip(reason)
    }

    private static func findBinary() -> URL? {
        let files = FileManager.default
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["NOIDA_DB_BIN"] { candidates.append(explicit) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        candidates += path.split(separator: ":").map { "\($0)/noida-db" }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(repository.appendingPathComponent(".venv/bin/noida-db").path)
        for candidate in candidates where files.isExecutableFile(atPath: candidate) {
            // The pip entry point is a Python script: use the binary it would run instead.
            guard let head = files.contents(atPath: candidate)?.prefix(2), head == Data("#!".utf8) else {
                return URL(fileURLWithPath: candidate)
            }
            let venv = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent()
                .deletingLastPathComponent()
            let lib = venv.appendingPathComponent("lib")
            for python in (try? files.contentsOfDirectory(atPath: lib.path)) ?? [] {
                let binary = lib.appendingPathComponent("\(python)/site-packages/noida_db/noida-db")
                if files.isExecutableFile(atPath: binary.path) { return binary }
            }
        }
        return nil
    }

    /// A port that was free a moment ago (bound to port 0, then released).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw XCTSkip("cannot open a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw XCTSkip("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// noida-db is required but cannot be used.
struct NoidaUnavailable: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

extension NoidaBroker {
    /// Creates the tutorial's input topic with `inputPartitions` partitions and `sinks` (the
    /// dead-letter topic with one partition, others three), all kept forever: the tutorial's
    /// timestamps are from 2025, which the default retention would expire.
    func createTutorialTopics(inputPartitions: Int32, sinks: [String]) throws {
        let admin = try KafkaAdmin(config: ["bootstrap.servers": bootstrapServers])
        let partitions: [(String, Int32)] = [("input-topic", inputPartitions)] + sinks.map { ($0, $0 == "dead-letter-topic" ? 1 : 3) }
        try admin.createTopics(
            partitions.map { NewTopic(name: $0.0, partitions: $0.1, replicationFactor: 1, configs: ["retention.ms": "-1"]) },
            timeoutMs: 10_000)
    }
}
