import FlyingFox
import Foundation
import Metrics
import Prometheus

/// Serves a run's metrics in Prometheus text format at `GET /metrics`, with FlyingFox as the
/// HTTP server and swift-prometheus rendering what `RunMetrics` records.
public final class MetricsEndpoint: Sendable {
    /// What the runner records into (pass it to `PipelineRunner`).
    public let metrics: RunMetrics
    /// The address and port it listens on (the port chosen when 0 was asked for).
    public let address: String
    public let port: UInt16
    private let server: HTTPServer
    private let task: Task<Void, any Error>

    private init(metrics: RunMetrics, address: String, port: UInt16, server: HTTPServer, task: Task<Void, any Error>) {
        self.metrics = metrics
        self.address = address
        self.port = port
        self.server = server
        self.task = task
    }

    /// `http://address:port/metrics`.
    public var url: String { "http://\(address):\(port)/metrics" }

    /// Starts listening on `address` (IPv4, or `localhost`) and `port` (0: any free port).
    public static func start(address: String, port: UInt16) async throws(RunSetupError) -> MetricsEndpoint {
        let host = address == "localhost" ? "127.0.0.1" : address
        let socketAddress: sockaddr_in
        do {
            socketAddress = try .inet(ip4: host, port: port)
        } catch {
            throw RunSetupError("--metrics-address: \"\(address)\" is not an IPv4 address")
        }
        let registry = PrometheusCollectorRegistry()
        let metrics = RunMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let server = HTTPServer(address: socketAddress, logger: .disabled)
        await server.appendRoute("GET /metrics") { _ in
            HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: Data(registry.emitToBuffer()))
        }
        let task = Task { try await server.run() }
        do {
            try await server.waitUntilListening(timeout: 5)
        } catch {
            task.cancel()
            let reason = switch await task.result {
            case .failure(let failure): "\(failure)"
            case .success: "\(error)"
            }
            throw RunSetupError("cannot serve metrics on \(host):\(port): \(reason)")
        }
        var bound = port
        if case .ip4(_, let actual)? = await server.listeningAddress { bound = actual }
        return MetricsEndpoint(metrics: metrics, address: host, port: bound, server: server, task: task)
    }

    /// Stops listening.
    public func stop() async {
        await server.stop(timeout: 1)
        task.cancel()
    }
}
