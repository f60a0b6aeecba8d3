import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalReceiverTestSupport
import EisalStore
import EisalStorePostgres
import EisalTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Several stateless nodes on one PostgreSQL database (issue 20): three `eisal serve` processes on
/// their own loopback ports, one database of the test server, one real callback receiver.
@Suite("Three nodes on one PostgreSQL (real processes, real receiver)")
struct MultiNodeTests {
    static let environment = [
        "EISAL_NOTIFY_RETRY_INITIAL_MS": "100", "EISAL_NOTIFY_RETRY_MAX_MS": "400", "EISAL_NOTIFY_RETRY_ATTEMPTS": "200",
        "EISAL_RATE_LIMITS": "off", "EISAL_JOB_LEASE": "3", "EISAL_DATABASE_POOL": "6", "EISAL_WORKERS": "4",
        // 0.2 ms per receipt in full validation: a node is mid-job when it is killed.
        "EISAL_PROCESSING_DELAY_MS": "1",
    ]


    /// Builds chained receipts of the demo POS after `previous`.
    struct Chain {
        var previous = ""
        var count = 0
        let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)

        mutating func next(previousUUID: String? = nil) throws -> BuiltReceipt {
            count += 1
            let built = try ReceiptBuilder(header: ReceiptHeader(dateTimeIssued: issued.iso8601, receiptNumber: "M-\(count)", previousUUID: previousUUID ?? previous),
                                           seller: ReceiptExamples.demoSeller(), lines: ReceiptExamples.saleLines()).build()
            previous = built.uuid
            return built
        }

        static func body(_ receipts: [BuiltReceipt]) -> [UInt8] {
            Array(#"{"receipts":["#.utf8) + receipts.map(\.json).joined(separator: [UInt8(ascii: ",")]) + Array("]}".utf8)
        }
    }

    @Test(.enabled(if: !TestPostgres.isSkipped))
    func tenThousandReceiptsRoundRobinAcrossThreeNodesOneKilled() async throws {
        let temporary = try TemporaryDirectory("multi-node")
        defer { temporary.remove() }
        let database = try await TestPostgres.freshDatabase("nodes")
        // One data folder for the three nodes (one machine): the demo credentials, the callback
        // sealing key and the sandbox CAs are shared; each node locks its own node id there.
        let arguments = ["--database", database.url, "--data", temporary.path]
        let receiver = TestReceiver(apiKey: "multi-node-key-0123456789", rins: ["100000001"], inboxPath: temporary.file("inbox.sqlite"))
        try await receiver.run {
            var nodes = [try ServerProcess(arguments: arguments, environment: Self.environment)]
            #expect(nodes[0].port > 0, "node 1 started")
            // The other two start together once the schema and the demo data exist.
            async let second = ServerProcess(arguments: arguments, environment: Self.environment)
            async let third = ServerProcess(arguments: arguments, environment: Self.environment)
            nodes += try await [second, third]
            defer { for node in nodes { node.stop() } }
            #expect(nodes.allSatisfy { $0.port > 0 } && Set(nodes.map(\.port)).count == 3)

            let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: temporary.file("demo-credentials.json"))))).root)
            // A token from one node is good on every node (the signing key is in the database).
            let erp = try await HTTPCalls.token(nodes[1].base, try #require(credentials.first { $0.posSerial == nil }))
            let pos = try await HTTPCalls.token(nodes[2].base, try #require(credentials.first { $0.posSerial != nil }))
            let (registered, _) = try await HTTPCalls.call(.PUT, nodes[0].base + "/eisal/callback", headers: [("Authorization", "Bearer \(erp)"), ("Content-Type", "application/json")],
                                                 body: Array(#"{"url":"\#(receiver.url)","apiKey":"multi-node-key-0123456789"}"#.utf8))
            #expect(registered == 200)
            let submitHeaders = [("Authorization", "Bearer \(pos)"), ("Content-Type", "application/json")]

            // 10,000 receipts of one POS chain in 20 submissions, one at a time (as the chain
            // requires), round-robin over the live nodes; the node that took submission 8 is
            // killed right after it, while its workers hold jobs.
            var chain = Chain()
            var submissions: [String] = [], accepted: [String] = []
            var live = nodes
            for s in 0 ..< 20 {
                let body = Chain.body(try (0 ..< 500).map { _ in try chain.next() })
                let node = live[s % live.count]
                let (code, response) = try await HTTPCalls.call(.POST, node.base + "/api/v1/receiptsubmissions", headers: submitHeaders, body: body)
                #expect(code == 202, "submission \(s): \(code)")
                submissions.append(try #require(response["submissionUUID"]?.string))
                accepted += response["acceptedDocuments"]?.elements.compactMap { $0["uuid"]?.string } ?? []
                if s == 8 {
                    node.kill()
                    live.removeAll { $0 === node }
                }
            }
            #expect(accepted.count == 10_000)

            // The same payload sent to two nodes at once: accepted once, 422 on the other.
            let twice = Chain.body([try chain.next()])
            let (firstBase, secondBase) = (live[0].base, live[1].base)
            async let onFirst = HTTPCalls.call(.POST, firstBase + "/api/v1/receiptsubmissions", headers: submitHeaders, body: twice)
            async let onSecond = HTTPCalls.call(.POST, secondBase + "/api/v1/receiptsubmissions", headers: submitHeaders, body: twice)
            let answers = try await [onFirst, onSecond]
            #expect(answers.map(\.0).sorted() == [202, 422])
            #expect(answers.first { $0.0 == 422 }?.1["error"]?["code"]?.string == "DuplicateSubmission")
            let duplicateOnce = try #require(answers.first { $0.0 == 202 }?.1)
            submissions.append(try #require(duplicateOnce["submissionUUID"]?.string))
            accepted.append(chain.previous)

            // A chain split across nodes is still checked: the next receipt on one node (its
            // previous was accepted on another); then a receipt naming as its previous one that
            // reaches another node only after it: that one is Valid, the first Invalid, whichever
            // node validates first.
            let good = Chain.body([try chain.next()])
            let (goodCode, goodResponse) = try await HTTPCalls.call(.POST, live[1].base + "/api/v1/receiptsubmissions", headers: submitHeaders, body: good)
            #expect(goodCode == 202)
            submissions.append(try #require(goodResponse["submissionUUID"]?.string))
            accepted.append(chain.previous)
            let earlier = try chain.next(), forked = try chain.next()
            for (receipt, node) in [(forked, live[0]), (earlier, live[1])] {
                let (code, response) = try await HTTPCalls.call(.POST, node.base + "/api/v1/receiptsubmissions", headers: submitHeaders, body: Chain.body([receipt]))
                #expect(code == 202)
                submissions.append(try #require(response["submissionUUID"]?.string))
            }
            accepted.append(earlier.uuid)
            accepted.append(forked.uuid)

            // What the platform decided, from the database.
            var settings = try PostgresSettings(url: database.url)
            settings.poolSize = 2
            let store = try PostgresStore(settings)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                let deadline = ContinuousClock.now + .seconds(240)
                while ContinuousClock.now < deadline {
                    let pending = try await store.pendingJobCount()
                    let undelivered = try await store.undeliveredNotificationCount()
                    if pending == 0, undelivered == 0, receiver.handled.count >= accepted.count { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(try await store.pendingJobCount() == 0, "every job done (the killed node's taken over)")
                var verdicts: [String: Int] = [:]
                for submission in submissions { verdicts.merge(try await store.verdictCounts(submissionUUID: submission)) { a, _ in a } }
                #expect(verdicts.count == accepted.count && verdicts.values.allSatisfy { $0 == 1 }, "every accepted receipt validated exactly once")
                let fork = try #require(try await store.receipt(uuid: forked.uuid))
                #expect(fork.status == .invalid && fork.errors.contains { $0.propertyPath?.contains("previousUUID") == true }, "\(fork.errors)")
                for uuid in accepted where uuid != forked.uuid {
                    let status = try await store.receipt(uuid: uuid)?.status
                    if status != .valid { Issue.record("receipt \(uuid) is \(String(describing: status))"); break }
                }
            }
            // Notified: every receipt's verdict handed to the ERP's handler exactly once (retries
            // and the killed node's open delivery were re-sent with their deliveryId).
            let byUUID = Dictionary(grouping: receiver.handled, by: { $0.uuid ?? "" })
            #expect(byUUID.count == accepted.count && receiver.handled.count == accepted.count, "\(receiver.handled.count) handled for \(byUUID.count) of \(accepted.count) receipts")
            #expect(byUUID[forked.uuid]?.first?.status == "Invalid")
        }
    }
}
