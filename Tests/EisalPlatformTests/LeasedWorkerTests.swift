import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import GRDB
import HummingbirdTesting
import Testing

@Suite("Leased worker (live server, real file)")
struct LeasedWorkerTests {
    /// A job that runs longer than its lease keeps it: the lease is renewed while the job runs, so
    /// the other worker never claims it a second time (issue 14, item 5: short leases, renewed).
    @Test func aJobLongerThanItsLeaseIsNotTakenOver() async throws {
        try await Harness { $0.jobLeaseSeconds = 3; $0.processingDelayMilliseconds = 1500; $0.processingWorkers = 2 }.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let response = try await client.submit(ReceiptChain.submission(try (0 ..< 3).map { _ in try chain.next() }), token: token)
            let submission = try #require(response.json["submissionUUID"]?.string)
            let database = try DatabaseQueue(path: startup.storeDescription)
            var mostClaims = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                guard let claims = try await database.read({ try Int.fetchOne($0, sql: "SELECT attempts FROM jobs WHERE submission_uuid = ?", arguments: [submission]) }) else { break }
                mostClaims = max(mostClaims, claims)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(mostClaims == 1, "the 4.5 s job was claimed \(mostClaims) times with a 3 s lease")
            let done = try await client.pollUntilDone(submission, token: token)
            #expect(done["status"]?.string == "Valid")
        }
    }
}
