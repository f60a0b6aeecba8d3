import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import NIOCore
import Testing

/// Moving a platform from its SQLite file to PostgreSQL (issue 20, docs/deploy.md): `eisal migrate
/// --from`, then `eisal serve` on PostgreSQL with the same data folder carries on where SQLite
/// stopped: the same credentials, receipts, verdicts, callback and POS chain.
@Suite("SQLite to PostgreSQL (real processes)")
struct MoveToPostgresTests {
    @Test(.enabled(if: !TestPostgres.isSkipped))
    func aSQLiteDatabaseMovedToPostgreSQLCarriesOn() async throws {
        let temporary = try TemporaryDirectory("move")
        defer { temporary.remove() }
        let sqlite = temporary.file("eisal.sqlite")
        var chain = MultiNodeTests.Chain()

        // On SQLite: three submissions, validated; an extra taxpayer added by `eisal admin`.
        let first = try ServerProcess(arguments: ["--database", sqlite])
        let added = try EisalBinary.run(["admin", "add-taxpayer", "--database", sqlite, "--rin", "200000002", "--name", "Moved Buyer"])
        #expect(added.status == 0, "\(added.stderr)")
        let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: temporary.file("demo-credentials.json"))))).root)
        let posCredentials = try #require(credentials.first { $0.posSerial != nil })
        let pos = try await HTTPCalls.token(first.base, posCredentials)
        var submissions: [String] = []
        for _ in 0 ..< 3 {
            let (code, response) = try await HTTPCalls.call(.POST, first.base + "/api/v1/receiptsubmissions", headers: [("Authorization", "Bearer \(pos)"), ("Content-Type", "application/json")],
                                                        body: MultiNodeTests.Chain.body(try (0 ..< 10).map { _ in try chain.next() }))
            #expect(code == 202)
            submissions.append(try #require(response["submissionUUID"]?.string))
        }
        try await Self.waitValid(first.base, submissions, token: pos)
        first.stop()

        // Moved: the PostgreSQL database is empty, so `--from` copies every table.
        let database = try await TestPostgres.freshDatabase("moved")
        let moved = try EisalBinary.run(["migrate", "--database", database.url, "--from", sqlite])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains("\"receipts\": 30") && moved.stdout.contains("\"taxpayers\": 2"), "\(moved.stdout)")
        let again = try EisalBinary.run(["migrate", "--database", database.url, "--from", sqlite])
        #expect(again.status != 0 && again.stderr.contains("already holds data"), "a second copy is refused")
        let listed = try EisalBinary.run(["admin", "list", "--database", database.url])
        #expect(listed.status == 0 && listed.stdout.contains("taxpayer 200000002  Moved Buyer"), "\(listed.stdout) \(listed.stderr)")

        // On PostgreSQL with the same data folder: the old secrets log in, old verdicts read back,
        // and the chain continues from the last receipt stored on SQLite.
        let second = try ServerProcess(arguments: ["--database", database.url, "--data", temporary.path])
        defer { second.stop() }
        #expect(second.port > 0)
        let token = try await HTTPCalls.token(second.base, posCredentials)
        try await Self.waitValid(second.base, submissions, token: token)
        let (code, response) = try await HTTPCalls.call(.POST, second.base + "/api/v1/receiptsubmissions", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                                    body: MultiNodeTests.Chain.body(try (0 ..< 10).map { _ in try chain.next() }))
        #expect(code == 202)
        try await Self.waitValid(second.base, [try #require(response["submissionUUID"]?.string)], token: token)
        let (receiptCode, receipt) = try await HTTPCalls.call(.GET, second.base + "/api/v1/receipts/\(chain.previous)/raw", headers: [("Authorization", "Bearer \(token)")])
        #expect(receiptCode == 200 && receipt["rawDocument"]?.string?.contains(chain.previous) == true, "the receipt as sent, read back from PostgreSQL")
    }

    /// Polls Get Receipt Submission until each submission is Valid (60 s at most).
    static func waitValid(_ base: String, _ submissions: [String], token: String) async throws {
        for submission in submissions {
            let deadline = ContinuousClock.now + .seconds(60)
            var status = ""
            while ContinuousClock.now < deadline {
                let (_, body) = try await HTTPCalls.call(.GET, base + "/api/v1/receiptsubmissions/\(submission)/details?PageNo=1&PageSize=100", headers: [("Authorization", "Bearer \(token)")])
                status = body["status"]?.string ?? ""
                if status != "InProgress" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == "Valid", "submission \(submission) is \(status)")
        }
    }
}
