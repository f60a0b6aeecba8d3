import EisalCore
import EisalKit
@testable import EisalPlatform
import EisalStore
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import GRDB
import HummingbirdTesting
import Logging
import Testing

/// The receipt rules judge by commit order (the seller's sequence), never by key order: on a
/// store whose keys run opposite to commit order (as keys can on a database with concurrent
/// writers), concurrent submissions of one POS get exactly the verdicts their commit order implies.
@Suite("Verdicts follow commit order, not keys (live server, descending keys)")
struct CommitOrderTests {
    @Test func concurrentSubmissionsOfOnePOSGetTheVerdictsOfTheirCommitOrder() async throws {
        let directory = try TemporaryDirectory("order")
        defer { directory.remove() }
        let path = directory.file("eisal.sqlite")
        let store = try SQLiteStore(path: path, keyOrder: .descending)
        let configuration = PlatformConfiguration(host: "127.0.0.1", port: 0, logLevel: .error, store: .sqlite(path: path), workerPollMilliseconds: 10, adminKey: "k")
        let (app, startup) = try await buildApplication(store: store, describedAs: path, configuration: configuration, metrics: .init(), logger: Logger(label: "test"), onServerRunning: { _ in })

        // One POS, 8 submissions of 3 chained receipts each, the chain running across them; two
        // submissions reuse receipt numbers of others.
        var chain = ReceiptChain()
        var bodies: [[UInt8]] = []
        var all: [BuiltReceipt] = []
        for s in 0 ..< 8 {
            var receipts: [BuiltReceipt] = []
            for n in 0 ..< 3 {
                receipts.append(try chain.next { receipt in
                    if s >= 6 { receipt.header.receiptNumber = "SHARED-\(n)" } else if s == 1 || s == 3 { receipt.header.receiptNumber = "SHARED-\(n)" }
                })
            }
            all += receipts
            bodies.append(ReceiptChain.submission(receipts))
        }
        let sendable = bodies
        try await app.test(.live) { client in
            let token = try await client.posToken(startup.pos)
            let submissions = try await withThrowingTaskGroup(of: String.self) { group in
                for body in sendable { group.addTask { try #require(try await client.submit(body, token: token).json["submissionUUID"]?.string) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for submission in submissions { _ = try await client.pollUntilDone(submission, token: token) }
        }

        // The premise: keys run opposite to the commit order.
        let database = try DatabaseQueue(path: path)
        let keys = try await database.read { try Row.fetchAll($0, sql: "SELECT id, seller_seq FROM receipts ORDER BY seller_seq") }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { ($0.0["id"] as Int64) > ($0.1["id"] as Int64) })

        // Expected verdicts, replaying the commit order.
        let stored = try await store.receipts(uuids: all.map(\.uuid)).sorted { $0.sellerSequence < $1.sellerSequence }
        #expect(stored.count == all.count)
        var seen: Set<String> = [], heldNumbers: Set<String> = []
        var expected: [String: DocumentStatus] = [:]
        for r in stored {
            let chainOK = r.previousUUID.isEmpty ? seen.isEmpty : seen.contains(r.previousUUID)
            let numberOK = !heldNumbers.contains(r.receiptNumber)
            expected[r.uuid] = chainOK && numberOK ? .valid : .invalid
            if chainOK && numberOK { heldNumbers.insert(r.receiptNumber) }
            seen.insert(r.uuid)
        }
        #expect(Dictionary(uniqueKeysWithValues: stored.map { ($0.uuid, $0.status) }) == expected)
        #expect(expected.values.contains(.invalid), "the shared numbers make some receipts invalid")
    }
}
