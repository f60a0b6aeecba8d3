import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import NIOCore
import Testing

@Suite("Graceful shutdown (real process)")
struct ShutdownTests {
    /// SIGTERM while a submission is being uploaded: the upload finishes with its 202, the process
    /// exits 0, and nothing is logged at error level (issue 14, item 6).
    @Test func sigtermFinishesInFlightRequestsAndLogsNoErrors() async throws {
        let temporary = try TemporaryDirectory("shutdown")
        defer { temporary.remove() }
        let directory = temporary.path
        let logPath = directory + "/stderr.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let server = try ServerProcess(arguments: ["--database", directory + "/eisal.sqlite"], logLevel: "info", stderr: log)
        defer { server.stop() }
        #expect(server.port > 0)
        let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/demo-credentials.json")))).root)
        let pos = try #require(credentials.first { $0.posSerial != nil })
        var tokenRequest = HTTPClientRequest(url: server.base + "/connect/token")
        tokenRequest.method = .POST
        tokenRequest.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        tokenRequest.headers.add(name: "posserial", value: pos.posSerial!)
        tokenRequest.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(pos.clientID)&client_secret=\(pos.clientSecret)"))
        let tokenResponse = try await HTTPClient.shared.execute(tokenRequest, timeout: .seconds(30))
        let token = try #require(try JSONParser().parse(Array(buffer: try await tokenResponse.body.collect(upTo: 1 << 16))).root["access_token"]?.string)

        // A submission whose body arrives in two halves, with SIGTERM sent in between.
        var chain = (previous: "", issued: UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60))
        var receipts: [BuiltReceipt] = []
        for n in 0 ..< 20 {
            let built = try ReceiptBuilder(header: ReceiptHeader(dateTimeIssued: chain.issued.iso8601, receiptNumber: "SD-\(n)", previousUUID: chain.previous),
                                           seller: ReceiptExamples.demoSeller(), lines: ReceiptExamples.saleLines()).build()
            chain.previous = built.uuid
            receipts.append(built)
        }
        let body = Array(#"{"receipts":["#.utf8) + receipts.map(\.json).joined(separator: [UInt8(ascii: ",")]) + Array("]}".utf8)
        let half = body.count / 2
        let (halves, upload) = AsyncStream<ByteBuffer>.makeStream()
        upload.yield(ByteBuffer(bytes: body[..<half]))
        var submit = HTTPClientRequest(url: server.base + "/api/v1/receiptsubmissions")
        submit.method = .POST
        submit.headers.add(name: "Authorization", value: "Bearer \(token)")
        submit.headers.add(name: "Content-Type", value: "application/json")
        submit.body = .stream(halves, length: .known(Int64(body.count)))
        async let response = HTTPClient.shared.execute(submit, timeout: .seconds(60))
        try await Task.sleep(for: .milliseconds(300))
        kill(server.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        upload.yield(ByteBuffer(bytes: body[half...]))
        upload.finish()
        let answered = try await response
        #expect(answered.status.code == 202, "the request in flight at SIGTERM was answered")
        let accepted = try JSONParser().parse(Array(buffer: try await answered.body.collect(upTo: 1 << 20))).root
        #expect(accepted["acceptedDocuments"]?.count == 20)

        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0)
        try log.close()
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        let bad = lines.filter { $0.contains(" error ") || $0.contains(" critical ") }
        #expect(bad.isEmpty, "logged at error level during shutdown: \(bad)")
        #expect(lines.contains { $0.contains("receipt submission") }, "the log was captured")
    }

    /// `eisal bench ingest` stops its server the way SIGTERM does: no error lines (it used to cancel
    /// the server and log "Waiting on child channel: CancellationError()").
    @Test func benchIngestStopsItsServerWithoutErrors() throws {
        let (status, stdout, stderr) = try EisalBinary.run(["bench", "ingest", "--submissions", "4", "--receipts-per-submission", "5", "--concurrency", "2"])
        #expect(status == 0)
        #expect(stdout.contains("accepted 20 receipts"))
        #expect(!stderr.contains(" error "), "\(stderr)")
    }
}
