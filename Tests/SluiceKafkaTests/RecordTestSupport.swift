import Foundation
import SluiceSupport
import Synchronization
import XCTest

/// A `sluice` child process for the record, demo, fault and group tests: output captured as
/// it arrives, bounded waits, stopped by signal.
final class ChildSluice: Sendable {
    /// The repository root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `sluice` executable next to the test bundle (any scratch path), else in `.build/debug`.
    static let binary: URL? = {
        var candidates: [URL] = []
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        candidates.append(root.appendingPathComponent(".build/debug"))
        return candidates.map { $0.appendingPathComponent("sluice") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    private let process: Process
    private let output = CapturedOutput()
    private let outPipe = Pipe()
    private let errPipe = Pipe()

    /// Starts `sluice arguments...` in the repository root (or `directory`); `environment`
    /// entries are added to this process's environment.
    init(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        let binary = try XCTUnwrap(ChildSluice.binary, "build the sluice binary first (swift build)")
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? ChildSluice.root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = outPipe
        process.standardError = errPipe
        outPipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.data.withLock { $0.stdout.append(data) }
        }
        errPipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.data.withLock { $0.stderr.append(data) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning {
            process.interrupt()
            _ = waitForExit(timeout: 5)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    var stdout: String { output.data.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    var stderr: String { output.data.withLock { String(decoding: $0.stderr, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }
    var processIdentifier: Int32 { process.processIdentifier }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Waits up to `timeout` seconds for the process to end; its exit status, or nil if it is
    /// still running.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else { return nil }
        // Let the readability handlers take what is left in the pipes.
        outPipe.fileHandleForReading.readabilityHandler = nil
        errPipe.fileHandleForReading.readabilityHandler = nil
        let restOut = (try? outPipe.fileHandleForReading.readToEnd()) ?? nil
        let restErr = (try? errPipe.fileHandleForReading.readToEnd()) ?? nil
        output.data.withLock {
            $0.stdout.append(restOut ?? Data())
            $0.stderr.append(restErr ?? Data())
        }
        return process.terminationStatus
    }

    /// Waits until stdout or stderr contains `text`.
    func waitFor(_ text: String, timeout: TimeInterval) -> Bool {
        KafkaTestSupport.wait(timeout: timeout) { stdout.contains(text) || stderr.contains(text) }
    }

    /// Runs `sluice arguments...` to completion (killed after `timeout` seconds).
    static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 30
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildSluice(arguments, environment: environment)
        guard let status = child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            _ = child.waitForExit(timeout: 5)
            XCTFail("sluice \(arguments.joined(separator: " ")) did not finish within \(timeout) s; stderr: \(child.stderr)")
            return (-1, child.stdout, child.stderr)
        }
        return (status, child.stdout, child.stderr)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The records of a recording file (failing on unreadable lines).
    static func readRecording(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [Record] {
        let bytes = try [UInt8](Data(contentsOf: url))
        return readRecording(bytes: bytes, file: file, line: line)
    }

    static func readRecording(bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [Record] {
        var records: [Record] = []
        for item in RecordingReader(bytes: bytes, file: "recording") {
            switch item {
            case .record(let record, _): records.append(record)
            case .invalid(let diagnostic): XCTFail("unreadable recording line: \(diagnostic)", file: file, line: line)
            }
        }
        return records
    }
}

/// What a child process printed so far (filled from the pipes' handler threads).
final class CapturedOutput: Sendable {
    let data = Mutex<(stdout: Data, stderr: Data)>((Data(), Data()))
}
