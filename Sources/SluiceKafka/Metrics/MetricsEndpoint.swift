import Metrics
import Prometheus

/// Serves a run's metrics in Prometheus text format at `GET /metrics` (`MetricsHTTPServer`),
/// with swift-prometheus rendering what `RunMetrics` records.
public final class MetricsEndpoint: Sendable {
    /// What the runner records into (pass it to `PipelineRunner`).
    public let metrics: RunMetrics
    /// The address and port it listens on (the port chosen when 0 was asked for).
    public let address: String
    public let port: UInt16
    private let server: MetricsHTTPServer

    private init(metrics: RunMetrics, address: String, port: UInt16, server: MetricsHTTPServer) {
        self.metrics = metrics
        self.address = address
        self.port = port
        self.server = server
    }

    /// `http://address:port/metrics`.
    public var url: String { "http://\(address):\(port)/metrics" }

    /// Starts listening on `address` (IPv4, or `localhost`) and `port` (0: any free port).
    public static func start(address: String, port: UInt16) async throws(RunSetupError) -> MetricsEndpoint {
        let host = address == "localhost" ? "127.0.0.1" : address
        guard MetricsHTTPServer.isIPv4(host) else { throw RunSetupError("--metrics-address: \"\(address)\" is not an IPv4 address") }
        let server: MetricsHTTPServer
        do {
            server = try MetricsHTTPServer(ip4: host, port: port)
        } catch {
            throw RunSetupError("cannot serve metrics on \(host):\(port): \(error.message)")
        }
        let registry = PrometheusCollectorRegistry()
        let metrics = RunMetrics(factory: PrometheusMetricsFactory(registry: registry))
        server.start { method, path in
            guard path == "/metrics" else { return MetricsHTTPServer.text(404, "Not Found", "not found: try /metrics\n") }
            guard method == "GET" || method == "HEAD" else {
                return MetricsHTTPServer.text(405, "Method Not Allowed", "only GET is served\n")
            }
            return MetricsHTTPServer.Response(
                status: 200, reason: "OK", contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: method == "HEAD" ? [] : registry.emitToBuffer())
        }
        return MetricsEndpoint(metrics: metrics, address: host, port: server.port, server: server)
    }

    /// Stops listening.
    public func stop() async {
        server.stop()
    }
}
