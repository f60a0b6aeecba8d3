import AsyncHTTPClient
import EisalCore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// HTTP calls of the tests that drive `eisal serve` processes.
enum HTTPCalls {
    /// One request; the status and the body as JSON (`null` when it is not JSON).
    static func call(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8] = []) async throws -> (Int, JSONNode) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 10 << 20)
        let json = try (try? JSONParser().parse(Array(buffer: bytes)).root) ?? JSONParser().parse("null").root
        return (Int(response.status.code), json)
    }

    /// An access token for the demo credentials `c` (POS headers when it is a POS).
    static func token(_ base: String, _ c: IssuedCredentialsView) async throws -> String {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let serial = c.posSerial { headers += [("posserial", serial), ("pososversion", c.posOSVersion ?? ""), ("presharedkey", c.presharedKey ?? "")] }
        let (status, body) = try await call(.POST, base + "/connect/token", headers: headers, body: Array("grant_type=client_credentials&client_id=\(c.clientID)&client_secret=\(c.clientSecret)".utf8))
        #expect(status == 200)
        return try #require(body["access_token"]?.string)
    }
}
