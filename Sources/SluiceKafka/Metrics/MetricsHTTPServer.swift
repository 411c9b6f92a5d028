import Foundation
import Synchronization

/// A minimal HTTP/1.1 server for a scrape endpoint: one thread, one connection at a time, a
/// GET answered and the connection closed.
///
/// Written by hand rather than taken from FlyingFox: FlyingFox links FoundationNetworking
/// (libcurl, GnuTLS, Kerberos: about 25 shared libraries), which cost every `sluice` command,
/// `validate` included, about 15 ms of process start; swift-nio would add minutes to every
/// build for one endpoint. Scrapers send one small GET every few seconds, so serving one
/// connection at a time, each bounded by timeouts, is enough.
final class MetricsHTTPServer: Sendable {
    struct Response: Sendable {
        var status: Int
        var reason: String
        var contentType: String
        var body: [UInt8]
    }

    /// The port listened on (the one the system chose when 0 was asked for).
    let port: UInt16
    private let listener: Int32
    /// Written to by `stop` to wake the serving thread out of `poll`.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let finished = Mutex<Bool>(false)
    private let stopped = Mutex<Bool>(false)
    /// How long a client may take to send its request or read the response.
    static let ioTimeoutSeconds = 2
    /// Requests are a line and a few headers; anything longer is refused.
    static let maxRequestBytes = 8192

    /// Listens on `ip4` (dotted IPv4) and `port`; throws a readable reason.
    init(ip4: String, port: UInt16) throws(MetricsServerError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, ip4, &address.sin_addr) == 1 else { throw MetricsServerError("\"\(ip4)\" is not an IPv4 address") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError.system("socket") }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let error = MetricsServerError.system("bind")
            close(fd)
            throw error
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            let error = MetricsServerError.system("pipe")
            close(fd)
            throw error
        }
        for descriptor in pipeFDs { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        listener = fd
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    /// Serves on a thread of its own until `stop`; `respond` maps a request path to a response.
    func start(_ respond: @escaping @Sendable (_ method: String, _ path: String) -> Response) {
        let thread = Thread { [self] in
            serve(respond)
            finished.withLock { $0 = true }
        }
        thread.name = "sluice-metrics"
        thread.start()
    }

    /// Stops serving and closes the socket, once the thread has finished the connection it is
    /// serving (at most the two I/O timeouts).
    func stop() {
        guard !stopped.withLock({ let was = $0; $0 = true; return was }) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        for _ in 0..<(Self.ioTimeoutSeconds * 2 * 100 + 50) where !finished.withLock({ $0 }) { usleep(10_000) }
        if finished.withLock({ $0 }) {
            close(listener)
            close(wakeRead)
            close(wakeWrite)
        }
    }

    private func serve(_ respond: (String, String) -> Response) {
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            handle(client, respond)
            close(client)
        }
    }

    private func handle(_ client: Int32, _ respond: (String, String) -> Response) {
        var timeout = timeval(tv_sec: Self.ioTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let response: Response
        switch readRequestHead(client) {
        case .head(let head):
            let parts = head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }.split(separator: UInt8(ascii: " "))
            if parts.count == 3, parts[2].starts(with: "HTTP/1.".utf8) {
                let method = String(decoding: parts[0], as: UTF8.self)
                let target = String(decoding: parts[1], as: UTF8.self)
                let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
                response = respond(method, path)
            } else {
                response = Self.text(400, "Bad Request", "bad request line\n")
            }
        case .tooLarge:
            reply(Self.text(431, "Request Header Fields Too Large", "request too large\n"), to: client)
            // Closing with unread input would reset the connection and lose the reply: read
            // what the client still sends (bounded by the timeout and a limit) first.
            shutdown(client, Int32(SHUT_WR))
            var rest = [UInt8](repeating: 0, count: 4096)
            for _ in 0..<64 where rest.withUnsafeMutableBytes({ recv(client, $0.baseAddress, $0.count, 0) }) > 0 {}
            return
        case .closed:
            return
        }
        reply(response, to: client)
    }

    private enum RequestHead {
        case head([UInt8])
        case tooLarge
        case closed
    }

    /// Reads until the blank line that ends the request head.
    private func readRequestHead(_ client: Int32) -> RequestHead {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return .closed }
            head.append(contentsOf: buffer[0..<count])
            if Self.endsHead(head) { return .head(head) }
            if head.count > Self.maxRequestBytes { return .tooLarge }
        }
    }

    private static func endsHead(_ bytes: [UInt8]) -> Bool {
        let crlf: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 2 else { return false }
        if bytes.count >= 4, bytes.indices.dropLast(3).contains(where: { bytes[$0..<$0 + 4].elementsEqual(crlf) }) { return true }
        return bytes.indices.dropLast().contains { bytes[$0] == 10 && bytes[$0 + 1] == 10 }
    }

    private func reply(_ response: Response, to client: Int32) {
        var bytes = Array(
            ("HTTP/1.1 \(response.status) \(response.reason)\r\nContent-Type: \(response.contentType)\r\n"
                + "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n").utf8)
        bytes += response.body
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return send(client, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// Whether `text` is a dotted IPv4 address.
    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    /// A plain-text response.
    static func text(_ status: Int, _ reason: String, _ body: String) -> Response {
        Response(status: status, reason: reason, contentType: "text/plain; charset=utf-8", body: Array(body.utf8))
    }
}

/// Why the metrics server could not listen.
struct MetricsServerError: Error, Sendable {
    var message: String

    init(_ message: String) { self.message = message }

    static func system(_ call: String) -> MetricsServerError {
        MetricsServerError("\(call): \(String(cString: strerror(errno)))")
    }
}
