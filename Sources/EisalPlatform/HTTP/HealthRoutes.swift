import EisalCore
import Hummingbird

/// `GET /health`: liveness of the platform.
struct HealthRoutes {
    func register(on router: Router<some RequestContext>) {
        router.get("health") { _, _ -> Response in
            let body = JSONWriter().bytes(.object([("status", .string("Healthy")), ("version", .string(EisalCoreVersion.string))]))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
