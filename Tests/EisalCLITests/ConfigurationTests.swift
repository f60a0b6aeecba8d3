import AsyncHTTPClient
import EisalCore
import EisalTestSupport
import Foundation
import NIOCore
import Testing

/// `eisal serve` reads its settings from flags > EISAL_* environment > `--config FILE` > defaults.
@Suite("eisal serve configuration (real process)")
struct ConfigurationTests {
    /// Odoo's POS login headers: accepted unless `pos.login` is strict.
    static func odooLogin(_ base: String, _ pos: IssuedCredentialsView) async throws -> Int {
        var request = HTTPClientRequest(url: base + "/connect/token")
        request.method = .POST
        for (name, value) in [("Content-Type", "application/x-www-form-urlencoded"), ("posserial", pos.posSerial!), ("pososversion", "os"),
                              ("posmodelframework", "1"), ("presharedkey", pos.clientID)] { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(pos.clientID)&client_secret=\(pos.clientSecret)"))
        return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code)
    }

    @Test func flagsBeatTheEnvironmentWhichBeatsTheConfigFile() async throws {
        let directory = try TemporaryDirectory("config")
        defer { directory.remove() }
        let database = directory.file("eisal.sqlite")
        let file = directory.file("eisal.json")
        try Data(#"{"pos": {"login": "strict"}, "workers": 2, "rate": {"limits": "off"}}"#.utf8).write(to: URL(fileURLWithPath: file))
        func serve(_ flags: [String], _ environment: [String: String]) async throws -> Int {
            let server = try ServerProcess(arguments: ["--database", database, "--config", file] + flags, environment: environment)
            defer { server.stop() }
            let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("demo-credentials.json"))))).root)
            return try await Self.odooLogin(server.base, try #require(credentials.first { $0.posSerial != nil }))
        }
        #expect(try await serve([], [:]) == 400, "the file says strict")
        #expect(try await serve([], ["EISAL_POS_LOGIN": "lenient"]) == 200, "the environment beats the file")
        #expect(try await serve(["--pos-login", "strict"], ["EISAL_POS_LOGIN": "lenient"]) == 400, "a flag beats the environment")
    }

    @Test func aBadSettingStopsTheServerWithAClearMessage() throws {
        let directory = try TemporaryDirectory("config-bad")
        defer { directory.remove() }
        let file = directory.file("eisal.json")
        try Data(#"{"durability": "sometimes"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let (status, _, stderr) = try EisalBinary.run(["serve", "--database", directory.file("eisal.sqlite"), "--config", file])
        #expect(status != 0)
        #expect(stderr.contains("durability must be full or normal"), "\(stderr)")
    }
}
