import AsyncHTTPClient
import EisalCore
import EisalPlatform
import EisalTestSupport
import Foundation
import HummingbirdTesting
import NIOCore
import NIOSSL
import Testing

@Suite("HTTPS (live server, real TLS)")
struct TLSTests {
    static func client(trusting caPath: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caPath { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath)) }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    /// The sandbox CA's certificate verifies for the loopback names and ETA's pre-production hosts;
    /// a client that trusts `ca.pem` gets a token and a health answer over HTTPS.
    @Test func aClientTrustingTheSandboxCATalksHTTPS() async throws {
        let temporary = try TemporaryDirectory("tls")
        defer { temporary.remove() }
        let tlsDirectory = temporary.path
        let settings = try SandboxCertificateAuthority(directory: tlsDirectory).serverSettings()
        let anchor = try #require(settings.trustAnchorPath)
        try await Harness { $0.tls = settings }.run(.ahc(.https)) { testClient, startup in
            #expect(startup.scheme == "https")
            let port = try #require(testClient.port)
            let client = try Self.client(trusting: anchor)
            let health = try await client.execute(HTTPClientRequest(url: "https://localhost:\(port)/health"), timeout: .seconds(10))
            #expect(health.status == .ok)
            var token = HTTPClientRequest(url: "https://127.0.0.1:\(port)/connect/token")
            token.method = .POST
            token.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            token.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(startup.erp.clientID)&client_secret=\(startup.erp.clientSecret)"))
            let answer = try await client.execute(token, timeout: .seconds(10))
            #expect(answer.status == .ok)
            #expect(try JSONParser().parse(Array(buffer: try await answer.body.collect(upTo: 1 << 16))).root["access_token"]?.string != nil)

            // Without the CA the certificate is refused, as on any properly configured client.
            let untrusting = try Self.client(trusting: nil)
            await #expect(throws: (any Error).self) { _ = try await untrusting.execute(HTTPClientRequest(url: "https://localhost:\(port)/health"), timeout: .seconds(2)) }
            try await client.shutdown()
            try await untrusting.shutdown()
        }
    }

    @Test func theCAIsKeptAndTheServerCertificateFollowsTheHostNames() throws {
        let temporary = try TemporaryDirectory("tls")
        defer { temporary.remove() }
        let tlsDirectory = temporary.path
        let authority = SandboxCertificateAuthority(directory: tlsDirectory)
        let first = try authority.serverSettings()
        let ca = try String(contentsOfFile: try #require(first.trustAnchorPath), encoding: .utf8)
        let server = try String(contentsOfFile: first.certificateChainPath, encoding: .utf8)
        _ = try authority.serverSettings()
        #expect(try String(contentsOfFile: first.certificateChainPath, encoding: .utf8) == server, "same names: the certificate is reused")
        _ = try authority.serverSettings(hosts: ["eisal.test"])
        #expect(try String(contentsOfFile: first.certificateChainPath, encoding: .utf8) != server, "new names: a new certificate")
        #expect(try String(contentsOfFile: try #require(first.trustAnchorPath), encoding: .utf8) == ca, "the CA is created once")
        let keyMode = try FileManager.default.attributesOfItem(atPath: first.privateKeyPath)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
    }
}
