import EisalCore
import EisalPlatform
import Foundation
import HummingbirdTesting
import Metrics
import NIOCore
import Prometheus
import Testing

/// The HTTP edges a hostile-input run found (issue 14, item 8), over raw sockets.
@Suite("HTTP edges (raw sockets, live server)")
struct HTTPEdgeTests {
    /// A response read off the wire: status line, headers (lower-cased names) and body.
    struct WireResponse {
        var status: Int
        var headers: [String: String]
        var body: String
        var closed: Bool

        init(_ text: String, closed: Bool) {
            let parts = text.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let lines = head.components(separatedBy: "\r\n")
            status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            self.headers = headers
            body = parts.dropFirst().joined(separator: "\r\n\r\n")
            self.closed = closed
        }

        var errorCode: String? { (try? JSONParser().parse(Array(body.utf8)).root["error"]?["code"]?.string) ?? nil }
    }

    /// Sends `request` and reads until the peer closes or `seconds` pass.
    static func exchange(_ port: Int, _ request: String, seconds: Double = 10) async throws -> WireResponse {
        let connection = try await RawConnection.open(port: port)
        let (text, closed) = try await connection.exchange(request, seconds: seconds)
        return WireResponse(text, closed: closed)
    }

    /// Expects a complete contract error: status, body of the given code, Content-Length, correlationId.
    static func expectContractError(_ response: WireResponse, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
        #expect(response.errorCode == code, "\(response.body)", sourceLocation: sourceLocation)
        #expect(response.headers["content-length"] == String(response.body.utf8.count), sourceLocation: sourceLocation)
        #expect(response.headers["correlationid"]?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func connectIsRefusedWithABodyAndTheConnectionCloses() async throws {
        try await Harness().run(.live) { client, _ in
            let response = try await Self.exchange(try #require(client.port), "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
            Self.expectContractError(response, 405, "MethodNotAllowed")
            #expect(response.headers["allow"]?.contains("POST") == true)
            #expect(response.closed, "no stall until the idle timeout")
        }
    }

    @Test func headIsAnsweredAsHTTPSaysAndWrongMethodsAre405WithAllow() async throws {
        try await Harness().run(.live) { client, _ in
            let port = try #require(client.port)
            let get = try await Self.exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let head = try await Self.exchange(port, "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-length"] == get.headers["content-length"])
            let headRaw = try await Self.exchange(port, "HEAD /api/v1/receipts/abc/raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(headRaw.status == 401)
            #expect(headRaw.body.isEmpty)

            let wrong = try await Self.exchange(port, "GET /api/v1/receiptsubmissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            Self.expectContractError(wrong, 405, "MethodNotAllowed")
            #expect(wrong.headers["allow"] == "POST")
            let delete = try await Self.exchange(port, "DELETE /api/v1.0/receipts/abc/details/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            Self.expectContractError(delete, 405, "MethodNotAllowed")
            #expect(delete.headers["allow"] == "GET, HEAD")
            let unknownPath = try await Self.exchange(port, "DELETE /api/v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            Self.expectContractError(unknownPath, 404, "NotFound")
            let unknownMethod = try await Self.exchange(port, "FROB /health HTTP/1.1\r\nHost: x\r\n\r\n")
            Self.expectContractError(unknownMethod, 405, "MethodNotAllowed")
            #expect(unknownMethod.headers["allow"] != nil)
            #expect(unknownMethod.closed)
        }
    }

    /// Requests the HTTP parser refuses get the contract's body, a request id, and a closed connection.
    @Test(arguments: [
        ("header block over 80 KB", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 90 * 1024))\r\n\r\n", 431),
        ("over 1,000 header fields", "GET /health HTTP/1.1\r\nHost: x\r\n" + (0 ..< 1100).map { "X-F\($0): v\r\n" }.joined() + "\r\n", 431),
        ("100 KB request target", "GET /health?\(String(repeating: "q", count: 100 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n", 431),
        ("control byte in the target", "GET /hea\u{01}lth HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("control byte in a header", "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u{01}b\r\n\r\n", 400),
        ("HTTP/2.0", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 400),
        ("HTTP/0.9 style", "GET /health HTTP/9.9\r\nHost: x\r\n\r\n", 400),
        ("TLS on the plain port", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}garbage\r\n\r\n", 400),
        ("conflicting Content-Length and Transfer-Encoding", "POST /connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("two different Content-Lengths", "POST /connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef", 400),
    ])
    func protocolErrorsGetTheContractBody(_ name: String, _ request: String, _ status: Int) async throws {
        try await Harness().run(.live) { client, _ in
            let response = try await Self.exchange(try #require(client.port), request)
            Self.expectContractError(response, status, status == 405 ? "MethodNotAllowed" : "BadRequest")
            #expect(response.closed, "\(name): the connection is closed after the answer")
        }
    }

    /// Sends `prefix` at once, then `trickle` one piece every 300 ms (never silent for the idle
    /// timeout), and reads until the server closes; the writing stops quietly once it has.
    static func trickle(_ port: Int, prefix: String, _ trickle: [String]) async throws -> WireResponse {
        let connection = try await RawConnection.open(port: port)
        let (text, closed) = try await connection.channel.executeThenClose { inbound, outbound in
            if !prefix.isEmpty { try await outbound.write(ByteBuffer(string: prefix)) }
            return try await withThrowingTaskGroup(of: (String, closed: Bool)?.self) { group in
                group.addTask {
                    for piece in trickle {
                        do { try await outbound.write(ByteBuffer(string: piece)) } catch { return nil }
                        try await Task.sleep(for: .milliseconds(300))
                    }
                    return nil
                }
                group.addTask { try await RawConnection.read(inbound, seconds: 20) { _ in false } }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                return ("", false)
            }
        }
        return WireResponse(text, closed: closed)
    }

    @Test func aTricklingHeadIsCutOffAfterTheHeadTimeout() async throws {
        try await Harness { $0.requestHeadTimeoutSeconds = 1; $0.idleTimeoutSeconds = 60 }.run(.live) { client, _ in
            let started = ContinuousClock.now
            let head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + String(repeating: "z", count: 200)
            let response = try await Self.trickle(try #require(client.port), prefix: "", head.map { String($0) })
            Self.expectContractError(response, 408, "RequestTimeout")
            #expect(response.closed)
            #expect(ContinuousClock.now - started < .seconds(25), "well before the 60 s idle timeout")
        }
    }

    @Test func aTricklingBodyIsCutOffAfterTheBodyTimeout() async throws {
        try await Harness { $0.requestBodyTimeoutSeconds = 1; $0.idleTimeoutSeconds = 60 }.run(.live) { client, startup in
            let token = try await client.posToken(startup.pos)
            let started = ContinuousClock.now
            let head = "POST /api/v1/receiptsubmissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
            let response = try await Self.trickle(try #require(client.port), prefix: head, Array(repeating: " ", count: 100))
            Self.expectContractError(response, 408, "RequestTimeout")
            #expect(response.closed)
            #expect(ContinuousClock.now - started < .seconds(25), "well before the 60 s idle timeout")
        }
    }
}
