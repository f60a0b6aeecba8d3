// The HTTP client that calls taxpayers' ERPs: Ping and notification deliveries, with the three
// documented headers (spec/notifications.md: `Authorization: ApiKey <key>`,
// `Content-Type: application/json`, `Accept-Language`), bounded connect and request timeouts,
// certificates verified against the system's roots plus an optional extra CA, and no redirects
// (a callback answers itself or not at all).

import AsyncHTTPClient
import EisalCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// What a callback answered.
struct CallbackAnswer: Sendable {
    /// The HTTP status; nil when there was no answer.
    var status: Int?
    /// The start of the answer's body (for the delivery log and error messages).
    var excerpt: String
    /// The whole body (small: Ping's answer).
    var body: [UInt8]
    var latencyMilliseconds: Int64
    /// Why there was no answer (connection refused, timeout, TLS).
    var failure: String?
}

/// Calls callbacks. One client, shared by every delivery of this node.
final class CallbackClient: Sendable {
    let http: HTTPClient
    let requestTimeout: TimeAmount

    init(settings: NotificationSettings) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let extra = settings.extraTrustRoots { tls.additionalTrustRoots = [.file(extra)] }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .milliseconds(Int64(settings.connectTimeoutMilliseconds)),
                                                                    read: .milliseconds(Int64(settings.requestTimeoutMilliseconds))))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        requestTimeout = .milliseconds(Int64(settings.requestTimeoutMilliseconds))
    }

    /// `PUT url` with the callback headers and `body`.
    func put(_ url: String, apiKey: String, language: String, body: [UInt8]) async -> CallbackAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "ApiKey \(apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept-Language", value: language)
        request.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        func elapsed() -> Int64 {
            let d = ContinuousClock.now - started
            return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        }
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            let body = Array(buffer: bytes)
            return CallbackAnswer(status: Int(response.status.code), excerpt: String(decoding: body.prefix(300), as: UTF8.self), body: body, latencyMilliseconds: elapsed(), failure: nil)
        } catch {
            return CallbackAnswer(status: nil, excerpt: "", body: [], latencyMilliseconds: elapsed(), failure: String(describing: error).prefix(300).description)
        }
    }

    func shutdown() async throws { try await http.shutdown() }
}
