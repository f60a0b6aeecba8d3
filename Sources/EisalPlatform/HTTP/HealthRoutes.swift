import EisalCore
import Hummingbird
import Prometheus

/// `GET /health` (liveness) and `GET /metrics` (Prometheus text format).
struct HealthRoutes {
    let metrics: PrometheusCollectorRegistry

    func register(on router: Router<some RequestContext>) {
        router.get("health") { _, _ -> Response in
            try Response.json(.object([("status", .string("Healthy")), ("version", .string(EisalCoreVersion.string))]))
        }
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }
}
