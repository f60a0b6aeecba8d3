import EisalCore
import EisalPlatform
import Foundation
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Testing

/// Metrics count what was sent, and a client hanging up is not a server error (issue 14, item 8).
@Suite("HTTP metrics and client hang-ups (live server)")
struct HTTPMetricsTests {
    /// The process-wide metrics registry of the test run (Hummingbird's metrics go through the
    /// global MetricsSystem, which can be bootstrapped once).
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// `hb_requests` lines for the submission route with `status`.
    static func submissionRequests(status: Int) -> [String] {
        String(decoding: registry.emitToBuffer(), as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("hb_requests{") && $0.contains("receiptsubmissions") && $0.contains("http_response_status_code=\"\(status)\"") }
    }

    /// A raw connection that ends with a TCP reset (SO_LINGER 0) when closed.
    static func resettingConnection(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let connection = try await RawConnection.open(port: port).channel
        let options = try #require(connection.channel as? any SocketOptionProvider)
        try await options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        return connection
    }

    @Test func hangUpsAndBrokenFramingAreNeverCountedOrLoggedAsServerErrors() async throws {
        _ = Self.registry
        let capture = LogCapture()
        try await Harness().run(.live, logger: capture.logger()) { client, startup in
            let token = try await client.posToken(startup.pos)
            let port = try #require(client.port)
            let head = "POST /api/v1/receiptsubmissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"

            // Broken chunked framing: the client gets a 400, and that is what is counted.
            let broken = try await RawConnection.open(port: port)
            let (answer, _) = try await broken.exchange(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n") { $0.contains("}") }
            #expect(answer.hasPrefix("HTTP/1.1 400"))

            // A client that resets the connection mid-body, and one that closes it mid-body.
            for _ in 0 ..< 3 {
                let resetting = try await Self.resettingConnection(port: port)
                try await resetting.executeThenClose { _, outbound in
                    try await outbound.write(ByteBuffer(string: head + "Content-Length: 5000\r\n\r\n{\"receipts\": ["))
                    try await Task.sleep(for: .milliseconds(100))
                }
                let closing = try await RawConnection.open(port: port)
                _ = try await closing.exchange(head + "Content-Length: 5000\r\n\r\n{\"receipts\": [", seconds: 0.2)
            }
            try await Task.sleep(for: .milliseconds(500))
            // The server is still fine.
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
        #expect(Self.submissionRequests(status: 500).isEmpty, "\(Self.submissionRequests(status: 500))")
        #expect(!Self.submissionRequests(status: 400).isEmpty, "the 400 the client saw is counted")
        let errors = capture.all.filter { $0.level >= .error }
        #expect(errors.isEmpty, "\(errors.map { "\($0.message) \($0.metadata)" })")
    }
}
