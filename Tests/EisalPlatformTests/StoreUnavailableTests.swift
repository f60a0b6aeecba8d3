import EisalCore
import EisalPlatform
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import GRDB
import HummingbirdTesting
import Synchronization
import Testing

/// A store that cannot serve is a 503 with Retry-After in the contract's body, and nothing is
/// half-written (issue 15: backends throw StoreError; `.unavailable` is retryable).
@Suite("Store unavailable (live server, a locked SQLite file)")
struct StoreUnavailableTests {
    @Test func aLockedDatabaseIs503WithRetryAfterAndNothingIsHalfWritten() async throws {
        var harness = Harness {
            $0.store = .sqlite(path: $0.store.dataDirectory + "/eisal.sqlite", busyTimeout: .milliseconds(200))
            $0.processingWorkers = 1
        }
        // The fault injected is SQLite's file lock: this test keeps its SQLite store on the PostgreSQL run too.
        harness.keepsItsStore = true
        try await harness.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let receipts = try (0 ..< 3).map { _ in try chain.next() }
            let body = ReceiptChain.submission(receipts)

            // Another connection holds the write lock for 1.5 s.
            let refused = try await SQLiteLock.hold(startup.storeDescription, for: 1.5) { try await client.submit(body, token: token) }
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.json["error"]?["code"]?.string == "ServiceUnavailable")
            #expect(refused.json["error"]?["message"]?.string?.contains("nothing was changed") == true)

            // Nothing of the refused submission was stored: not its receipts, not a job, not its payload hash.
            let store = try SQLiteStore(path: startup.storeDescription)
            #expect(try await store.existingReceiptUUIDs(receipts.map(\.uuid)).isEmpty)
            #expect(try await store.pendingJobCount() == 0)
            // So the same body, sent again, is accepted (not a DuplicateSubmission) and validated.
            let accepted = try await client.submit(body, token: token)
            #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
            let done = try await client.pollUntilDone(try #require(accepted.json["submissionUUID"]?.string), token: token)
            #expect(done["status"]?.string == "Valid")
        }
    }
}
