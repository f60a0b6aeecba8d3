import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalStore
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import NIOCore
import Testing

/// A real `eisal serve` process on a SQLite file, started and killed like an operator would.
final class ServerProcess {
    let process = Process()
    let output = Pipe()
    private(set) var port = 0

    /// `stderr`: where the server's log goes (nil: discarded); `logLevel` its level.
    init(arguments: [String], logLevel: String = "error", stderr: FileHandle? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = EisalBinary.url
        process.arguments = ["serve", "--port", "0", "--log-level", logLevel] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        process.standardOutput = output
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:"), let end = text[range.upperBound...].firstIndex(of: "\n") {
                port = Int(text[range.upperBound ..< end]) ?? 0
                break
            }
        }
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: no graceful shutdown, no chance to finish anything.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        waitForExit()
    }

    func stop() {
        if process.isRunning { process.terminate(); waitForExit() }
    }

    /// Returns once the process has ended. Foundation's `waitUntilExit` can miss a child's exit
    /// while the suite starts many processes at once (seen as a test waiting forever on a zombie),
    /// so the exit is also looked for, and reaped, here.
    private func waitForExit() {
        let pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno == ECHILD) { return }
            usleep(10_000)
        }
    }
}

@Suite("Crash and restart (real process, real file)")
struct RestartTests {
    func post(_ url: String, headers: [(String, String)], body: [UInt8]) async throws -> (Int, JSONNode) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 10 << 20)
        return (Int(response.status.code), try JSONParser().parse(Array(buffer: bytes)).root)
    }

    func get(_ url: String, token: String) async throws -> JSONNode {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return try JSONParser().parse(Array(buffer: try await response.body.collect(upTo: 10 << 20))).root
    }

    @Test func killedMidValidationEveryAcceptedReceiptEndsValidatedExactlyOnce() async throws {
        try await killMidValidationAndRestart(lease: 2)
    }

    /// A restarted node takes back the leases its killed process held at once: with a 60 s lease,
    /// every job still finishes within seconds of the restart (issue 14, item 5).
    @Test func aRestartedNodeDoesNotWaitForItsOwnLeasesToRunOut() async throws {
        let recovery = try await killMidValidationAndRestart(lease: 60)
        // Waiting for the killed process's leases would take over 60 s; the bound leaves room for
        // a restart on a machine busy with the whole suite (15.5 s seen).
        #expect(recovery < .seconds(40), "all leased jobs finished \(recovery) after the restart")
    }

    /// Kills a server mid-validation, restarts it on the same file, and returns how long after the
    /// restart every submission had its final status.
    @discardableResult
    func killMidValidationAndRestart(lease: Int) async throws -> Duration {
        let temporary = try TemporaryDirectory("restart")
        defer { temporary.remove() }
        let directory = temporary.path
        let database = directory + "/eisal.sqlite"
        // Slow validation (4 s per receipt, 20 s per job: posting the other two submissions on a
        // loaded machine must not outlast the first job). The kill waits until the store shows
        // the worker's lease, so it lands mid-job however slow the machine is.
        let first = try ServerProcess(arguments: ["--database", database, "--processing-delay-ms", "4000", "--job-lease", "\(lease)", "--workers", "1"])
        #expect(first.port > 0)
        let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/demo-credentials.json")))).root)
        let pos = try #require(credentials.first { $0.posSerial != nil })
        let form = "grant_type=client_credentials&client_id=\(pos.clientID)&client_secret=\(pos.clientSecret)"
        let (status, tokenBody) = try await post(first.base + "/connect/token", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("posserial", pos.posSerial!), ("pososversion", pos.posOSVersion!), ("presharedkey", pos.presharedKey!)], body: Array(form.utf8))
        #expect(status == 200)
        let token = try #require(tokenBody["access_token"]?.string)

        var previous = ""
        var submissions: [String] = []
        var accepted: [String] = []
        let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
        for s in 0 ..< 3 {
            var receipts: [BuiltReceipt] = []
            for n in 0 ..< 5 {
                let built = try ReceiptBuilder(header: ReceiptHeader(dateTimeIssued: issued.iso8601, receiptNumber: "K-\(s)-\(n)", previousUUID: previous),
                                               seller: ReceiptExamples.demoSeller(), lines: ReceiptExamples.saleLines()).build()
                previous = built.uuid
                receipts.append(built)
            }
            let body = Array(#"{"receipts":["#.utf8) + receipts.map(\.json).joined(separator: [UInt8(ascii: ",")]) + Array("]}".utf8)
            let (code, response) = try await post(first.base + "/api/v1/receiptsubmissions", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: body)
            #expect(code == 202)
            submissions.append(try #require(response["submissionUUID"]?.string))
            accepted += response["acceptedDocuments"]?.elements.compactMap { $0["uuid"]?.string } ?? []
        }
        #expect(accepted.count == 15)
        // Wait until the worker holds its lease on the first job, then kill the process.
        let store = try SQLiteStore(path: database)
        for _ in 0 ..< 200 where try await store.leasedJobCount() == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        first.kill()

        #expect(Set(try await store.existingReceiptUUIDs(accepted)) == Set(accepted), "a 202 survived kill -9")
        let before = try await store.pendingJobCount()
        #expect(before == 3, "the first job was still in progress when the process was killed")
        #expect(try await store.leasedJobCount() == 1, "the killed worker held a lease on a job it had started")

        let restarted = ContinuousClock.now
        let second = try ServerProcess(arguments: ["--database", database, "--job-lease", "\(lease)", "--workers", "2"])
        defer { second.stop() }
        var statuses: [String] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            statuses = []
            for submission in submissions {
                statuses.append(try await get(second.base + "/api/v1/receiptsubmissions/\(submission)/details", token: token)["status"]?.string ?? "?")
            }
            if !statuses.contains("InProgress") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let recovery = ContinuousClock.now - restarted
        #expect(statuses == ["Valid", "Valid", "Valid"])
        #expect(try await store.pendingJobCount() == 0)
        for submission in submissions {
            let counts = try await store.verdictCounts(submissionUUID: submission)
            #expect(counts.count == 5)
            #expect(counts.values.allSatisfy { $0 == 1 }, "every receipt validated exactly once: \(counts)")
        }
        return recovery
    }
}

/// The demo credentials file as `eisal serve` writes it.
struct IssuedCredentialsView: Decodable {
    var taxpayerRIN: String
    var clientID: String
    var clientSecret: String
    var posSerial: String?
    var posOSVersion: String?
    var posModelFramework: String?
    var presharedKey: String?
}
