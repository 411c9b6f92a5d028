import Foundation
import SluiceKafka
import XCTest

/// The metrics endpoint's HTTP handling, spoken to over raw sockets so that requests can be
/// malformed, oversized or never finished.
final class MetricsEndpointTests: XCTestCase {
    func testServesMetricsAndRefusesEverythingElse() async throws {
        let endpoint = try await MetricsEndpoint.start(address: "localhost", port: 0)
        defer { Task { await endpoint.stop() } }
        XCTAssertEqual(endpoint.address, "127.0.0.1")
        XCTAssertNotEqual(endpoint.port, 0)

        let ok = try Self.exchange(port: endpoint.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(ok.hasPrefix("HTTP/1.1 200 OK\r\n"), ok)
        XCTAssertTrue(ok.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), ok)
        XCTAssertTrue(ok.contains("# TYPE sluice_open_windows gauge"), ok)
        let withQuery = try Self.exchange(port: endpoint.port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n")
        XCTAssertTrue(withQuery.hasPrefix("HTTP/1.1 200 OK\r\n"), withQuery)

        XCTAssertTrue(try Self.exchange(port: endpoint.port, "GET / HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404 "))
        XCTAssertTrue(try Self.exchange(port: endpoint.port, "POST /metrics HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 405 "))
        XCTAssertTrue(try Self.exchange(port: endpoint.port, "hello\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
        let huge = "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
        XCTAssertTrue(try Self.exchange(port: endpoint.port, huge).hasPrefix("HTTP/1.1 431 "))
    }

    func testASilentClientDoesNotStopLaterScrapes() async throws {
        let endpoint = try await MetricsEndpoint.start(address: "127.0.0.1", port: 0)
        defer { Task { await endpoint.stop() } }
        // Connects and never sends: the server gives up on it after its read timeout.
        let silent = try Self.connect(port: endpoint.port)
        defer { close(silent) }
        let start = Date()
        let ok = try Self.exchange(port: endpoint.port, "GET /metrics HTTP/1.1\r\n\r\n")
        XCTAssertTrue(ok.hasPrefix("HTTP/1.1 200 OK\r\n"), ok)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testStopClosesTheListeningSocket() async throws {
        let endpoint = try await MetricsEndpoint.start(address: "127.0.0.1", port: 0)
        let port = endpoint.port
        await endpoint.stop()
        XCTAssertThrowsError(try Self.connect(port: port))
    }

    func testBadAddressIsAReadableError() async {
        do {
            _ = try await MetricsEndpoint.start(address: "not-an-address", port: 0)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.message.contains("\"not-an-address\" is not an IPv4 address"), error.message)
        }
    }

    func testPortInUseIsAReadableError() async throws {
        let first = try await MetricsEndpoint.start(address: "127.0.0.1", port: 0)
        defer { Task { await first.stop() } }
        do {
            _ = try await MetricsEndpoint.start(address: "127.0.0.1", port: first.port)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.message.contains("cannot serve metrics on 127.0.0.1:\(first.port): bind:"), error.message)
        }
    }

    struct SocketError: Error {}

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw SocketError()
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends `request` and reads the whole response (the server closes after one).
    static func exchange(port: UInt16, _ request: String) throws -> String {
        let fd = try connect(port: port)
        defer { close(fd) }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { raw in send(fd, raw.baseAddress.map { $0 + sent }, raw.count - sent, Int32(MSG_NOSIGNAL)) }
            // The server may answer and close before reading all of an oversized request.
            guard count > 0 else { break }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
