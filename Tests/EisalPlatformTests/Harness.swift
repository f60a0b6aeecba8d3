import EisalCore
import EisalKit
import EisalPlatform
import EisalStore
import EisalTestSupport
import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A platform on a fresh SQLite file in a temporary folder, driven over real loopback sockets.
/// With EISAL_TEST_DATABASE=postgres, every harness runs on a fresh database of the test PostgreSQL
/// server instead (the whole platform suite is run that way as well; see README "Tests").
struct Harness {
    var configuration: PlatformConfiguration
    let directory: String
    /// Runs on the configured store even when the suite runs on PostgreSQL (a test of SQLite itself).
    var keepsItsStore = false

    init(_ adjust: (inout PlatformConfiguration) -> Void = { _ in }) {
        directory = try! TemporaryDirectory("test").path // removed when run ends
        configuration = PlatformConfiguration(host: "127.0.0.1", port: 0, logLevel: .error, store: .sqlite(path: directory + "/eisal.sqlite"), workerPollMilliseconds: 10, adminKey: "test-admin-key")
        configuration.signatures.trustAnchorPaths = [TestSeals.caPath]
        adjust(&configuration)
    }

    /// Runs `body` against the platform: in process through the router (`.router`, the default),
    /// over real loopback sockets (`.live`), or `.ahc(.https)` for a TLS server;
    /// `logger` to see what the platform logs.
    func run(_ setup: TestingSetup = .router, logger: Logger? = nil, _ body: @escaping @Sendable (any TestClientProtocol, PlatformStartup) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = configuration
        if !keepsItsStore, Harness.onPostgres {
            configuration.store = try await Harness.backendStore(configuration.store)
            // The idle look for other nodes' jobs at the production default (50 ms), not the
            // harness's 10 ms: on a server shared by the whole suite's platforms running at once,
            // 10 ms looks are thousands of statements a second doing nothing.
            configuration.workerPollMilliseconds = max(configuration.workerPollMilliseconds, 50)
        }
        try await withPlatform(configuration: configuration, logger: logger) { app, startup in
            try await app.test(setup) { client in try await body(client, startup) }
        }
    }
}

extension Harness {
    /// Whether platform tests run on PostgreSQL (EISAL_TEST_DATABASE=postgres).
    static var onPostgres: Bool { ProcessInfo.processInfo.environment["EISAL_TEST_DATABASE"] == "postgres" }

    /// `store` as this run's backend: itself, or (on PostgreSQL) a fresh database of the test
    /// server in place of the harness's own SQLite file, with the same data folder and durability.
    static func backendStore(_ store: StoreConfiguration) async throws -> StoreConfiguration {
        guard onPostgres, case let .sqlite(path, durability, _) = store, path.hasSuffix("/eisal.sqlite") else { return store }
        let database = try await TestPostgres.freshDatabase("platform")
        var settings = try PostgresSettings(url: database.url, dataDirectory: StoreConfiguration.sqlite(path: path).dataDirectory)
        settings.durability = durability
        settings.poolSize = 4
        return .postgres(settings)
    }
}

extension PlatformStartup {
    var pos: IssuedCredentials { demoCredentials.first { $0.posSerial != nil }! }
    var erp: IssuedCredentials { demoCredentials.first { $0.posSerial == nil }! }
}

extension TestClientProtocol {
    func form(_ fields: [(String, String)]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&"))
    }

    /// A POS token for `credentials`.
    func posToken(_ c: IssuedCredentials) async throws -> String {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        headers[HTTPField.Name("posserial")!] = c.posSerial
        headers[HTTPField.Name("pososversion")!] = c.posOSVersion
        headers[HTTPField.Name("presharedkey")!] = c.presharedKey
        let response = try await execute(uri: "/connect/token", method: .post, headers: headers, body: form([("grant_type", "client_credentials"), ("client_id", c.clientID), ("client_secret", c.clientSecret)]))
        #expect(response.status == .ok)
        return try #require(try JSONParser().parse(Array(buffer: response.body)).root["access_token"]?.string)
    }

    func erpToken(_ c: IssuedCredentials) async throws -> String {
        let response = try await execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                         body: form([("grant_type", "client_credentials"), ("client_id", c.clientID), ("client_secret", c.clientSecret)]))
        #expect(response.status == .ok)
        return try #require(try JSONParser().parse(Array(buffer: response.body)).root["access_token"]?.string)
    }

    func submit(_ body: [UInt8], token: String, contentType: String = "application/json") async throws -> TestResponse {
        try await execute(uri: "/api/v1/receiptsubmissions", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: contentType], body: ByteBuffer(bytes: body))
    }

    func get(_ uri: String, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .get, headers: headers)
    }

    /// Polls Get Receipt Submission until it leaves InProgress (bounded by 60 s, so a loaded CI machine is not a failure).
    func pollUntilDone(_ submission: String, token: String) async throws -> JSONNode {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let response = try await get("/api/v1/receiptsubmissions/\(submission)/details?PageNo=1&PageSize=100", token: token)
            #expect(response.status == .ok)
            let node = try JSONParser().parse(Array(buffer: response.body)).root
            if node["status"]?.string != "InProgress" { return node }
            try await Task.sleep(for: .milliseconds(50)) // well inside Get Receipt Submission's 300/1m
        }
        Issue.record("submission \(submission) still in progress")
        throw CancellationError()
    }
}

extension TestResponse {
    var json: JSONNode { (try? JSONParser().parse(Array(buffer: body)).root) ?? (try! JSONParser().parse("null").root) }
}

/// Builds chained receipts of one POS the way a well-behaved SDK user does.
struct ReceiptChain {
    var seller: Seller
    var previous = ""
    var number = 0
    var issued: UTCDateTime

    init(rin: String = "100000001", pos: String = "DEMO-POS-1") {
        seller = ReceiptExamples.demoSeller(rin: rin, deviceSerialNumber: pos)
        issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 120)
    }

    /// The next receipt; `tamper` may break it (the UUID is then recomputed so it reaches full validation).
    mutating func next(_ tamper: (inout Receipt) -> Void = { _ in }) throws -> BuiltReceipt {
        number += 1
        var receipt = ReceiptBuilder(header: ReceiptHeader(dateTimeIssued: issued.iso8601, receiptNumber: "T-\(number)-\(UUID().uuidString.prefix(6))", previousUUID: previous),
                                     seller: seller, lines: ReceiptExamples.saleLines()).receiptWithoutUUID()
        tamper(&receipt)
        let built = try ReceiptBuilder.seal(receipt)
        previous = built.uuid
        return built
    }

    static func submission(_ receipts: [BuiltReceipt]) -> [UInt8] {
        var out = Array(#"{"receipts":["#.utf8)
        for (i, r) in receipts.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += r.json
        }
        out += Array("]}".utf8)
        return out
    }
}

/// Keeps what a logger is given (tests that assert on what the platform logs).
final class LogCapture: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: String
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "eisal-test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.records.withLock { $0.append(Record(level: event.level, message: "\(event.message)", metadata: "\(merged)")) }
        }
    }
}
