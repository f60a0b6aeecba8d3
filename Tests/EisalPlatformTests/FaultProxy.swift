import AsyncHTTPClient
import Foundation
import HTTPTypes
import EisalReceiverTestSupport
import Logging
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP proxy on loopback in front of a live platform, for the SDK's fault tests: it
/// counts requests per path and answers queued faults instead of (or after) forwarding.
final class FaultProxy: Sendable {
    enum Fault: Sendable {
        /// Answer `status` (with `Retry-After` when given) without forwarding.
        case answer(status: Int, retryAfter: Int?)
        /// Forward, then answer `status` instead of the platform's answer (the outcome is unknown to the client).
        case forwardThenAnswer(status: Int)
    }

    let upstream: String
    private let state = Mutex(State())
    struct State {
        var faults: [String: [Fault]] = [:]
        var counts: [String: Int] = [:]
        var port = 0
    }

    init(upstream: String) { self.upstream = upstream }

    /// Queues `faults` for the next requests whose path ends with `suffix`.
    func inject(_ suffix: String, _ faults: [Fault]) { state.withLock { $0.faults[suffix, default: []] += faults } }
    /// Requests seen whose path ends with `suffix`.
    func count(_ suffix: String) -> Int { state.withLock { s in s.counts.filter { $0.key.hasSuffix(suffix) }.values.reduce(0, +) } }
    var url: String { "http://127.0.0.1:\(state.withLock { $0.port })" }

    func nextFault(_ path: String) -> Fault? {
        state.withLock { s in
            s.counts[path, default: 0] += 1
            guard let key = s.faults.keys.first(where: { path.hasSuffix($0) && !(s.faults[$0]?.isEmpty ?? true) }) else { return nil }
            return s.faults[key]!.removeFirst()
        }
    }

    /// Runs the proxy while `body` runs.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let router = Router()
        let upstream = self.upstream
        router.on("**", method: .get) { request, _ in try await self.handle(request, upstream: upstream) }
        router.on("**", method: .post) { request, _ in try await self.handle(request, upstream: upstream) }
        router.on("**", method: .put) { request, _ in try await self.handle(request, upstream: upstream) }
        var logger = Logger(label: "fault-proxy")
        logger.logLevel = .error
        return try await LoopbackServer.run(router, name: "fault-proxy", logger: logger) { bound in
            state.withLock { $0.port = bound }
            return try await body()
        }
    }

    func handle(_ request: Request, upstream: String) async throws -> Response {
        let path = request.uri.path
        let fault = nextFault(path)
        if case .answer(let status, let retryAfter) = fault {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            let body = status == 429 ? #"{"error":"Too many requests","message":"injected","code":429}"# : #"{"error":{"code":"Injected","message":"injected fault"}}"#
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        var forward = HTTPClientRequest(url: upstream + (request.uri.string))
        forward.method = .init(rawValue: request.method.rawValue)
        for field in request.headers where field.name.canonicalName != "host" { forward.headers.add(name: field.name.rawName, value: field.value) }
        let body = try await request.body.collect(upTo: 16 << 20)
        forward.body = .bytes(body)
        let answer = try await HTTPClient.shared.execute(forward, timeout: .seconds(60))
        let answerBody = try await answer.body.collect(upTo: 64 << 20)
        if case .forwardThenAnswer(let status) = fault {
            return Response(status: .init(code: status), headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "upstream answer lost")))
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers where !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: answerBody))
    }
}
