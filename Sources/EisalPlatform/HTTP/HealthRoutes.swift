import EisalCore
import Hummingbird
import Prometheus

/// `GET /health` (liveness) and `GET /metrics` (Prometheus text format).
struct HealthRoutes {
    let metrics: PrometheusCollectorRegistry
    /// Brings gauges read from the store up to date before they are emitted.
    var refresh: @Sendable () async -> Void = {}

    func register(on router: Router<some RequestContext>) {
        router.get("health") { _, _ -> Response in
            try Response.json(.object([("status", .string("Healthy")), ("version", .string(EisalCoreVersion.string))]))
        }
        router.get("metrics") { _, _ -> Response in
            await refresh()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }
}
