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
    /// An 8 s lease renewed every third of it, for a 10.5 s job: a renewal must be more than 5 s
    /// late to lose the lease, which a loaded 2-core CI machine running the suites in parallel
    /// can cause with a 3 s lease, but not with this one.
    @Test func aJobLongerThanItsLeaseIsNotTakenOver() async throws {
        try await Harness { $0.jobLeaseSeconds = 8; $0.processingDelayMilliseconds = 3500; $0.processingWorkers = 2 }.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let response = try await client.submit(ReceiptChain.submission(try (0 ..< 3).map { _ in try chain.next() }), token: token)
            let submission = try #require(response.json["submissionUUID"]?.string)
            var mostClaims = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                guard let claims = try await startup.store.jobAttempts(kind: .validation, subject: submission) else { break }
                mostClaims = max(mostClaims, claims)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(mostClaims == 1, "the 10.5 s job was claimed \(mostClaims) times with an 8 s lease")
            let done = try await client.pollUntilDone(submission, token: token)
            #expect(done["status"]?.string == "Valid")
        }
    }
}
