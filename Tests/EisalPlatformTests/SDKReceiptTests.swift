@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalKitReceiver
import EisalReceiverTestSupport
import EisalTestSupport
import Foundation
import HummingbirdTesting
import Synchronization
import Testing

/// EisalKit's receipt path against a live platform (issue 19): generated receipts in auto-sized
/// batches, verdicts by callback into the ledger and by polling, one token for the run; and the
/// FAQ's rules under faults injected by a real proxy in front of the platform.
@Suite("EisalKit receipts (live server, real proxy and receiver)", .serialized)
struct SDKReceiptTests {
    static func posClient(_ base: String, _ startup: PlatformStartup, now: (@Sendable () -> Double)? = nil) -> EisalClient {
        let pos = startup.pos
        var configuration = EisalClient.Configuration(apiBaseURL: base, clientID: pos.clientID, clientSecret: pos.clientSecret, posSerial: pos.posSerial,
                                                      posOSVersion: pos.posOSVersion, presharedKey: pos.presharedKey)
        if let now { configuration.now = now }
        return EisalClient(configuration: configuration)
    }

    static func generate(_ count: Int, chain: POSReceiptChain, serial: String = "DEMO-POS-1") async throws -> [BuiltReceipt] {
        let generator = ReceiptGenerator(seller: ReceiptExamples.demoSeller(deviceSerialNumber: serial), issued: UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60))
        let first = await chain.count(of: serial)
        return try await chain.next(count, of: serial) { previous, k in try generator.receipt(first + k, previousUUID: previous) }
    }

    /// A sleep that records what it was asked to wait and waits a tenth of it.
    final class Sleeps: Sendable {
        let asked = Mutex<[Double]>([])
        var sleep: @Sendable (Double) async throws -> Void {
            { seconds in self.asked.withLock { $0.append(seconds) }; try await Task.sleep(for: .milliseconds(Int64(seconds * 100))) }
        }
    }

    @Test func fiveThousandReceiptsReachValidByPollingWithOneTokenRequest() async throws {
        let directory = try TemporaryDirectory("sdk-poll")
        defer { directory.remove() }
        try await Harness().run(.live) { client, startup in
            let proxy = FaultProxy(upstream: "http://127.0.0.1:\(try #require(client.port))")
            try await proxy.run {
                let sdk = Self.posClient(proxy.url, startup)
                let ledger = try ReceiptLedger(path: directory.file("ledger.sqlite"))
                let receipts = try await Self.generate(5000, chain: try POSReceiptChain(path: directory.file("chain.json")))
                let submitter = ReceiptSubmitter(client: sdk)
                let outcomes = try await submitter.submit(receipts) { outcome in
                    try? await ledger.recordAccepted(outcome.accepted.map { ($0.receiptNumber, $0.uuid, $0.longId) }, submissionUUID: outcome.submissionUUID)
                }
                #expect(outcomes.count == 10 && outcomes.allSatisfy { $0.accepted.count == 500 && $0.attempts == 1 }, "auto-sized: 10 submissions of 500")
                let poller = SubmissionPoller(client: sdk)
                for outcome in outcomes {
                    let (details, _) = try await poller.waitForFinal(try #require(outcome.submissionUUID), receipts: outcome.accepted.count)
                    try await ledger.apply(details)
                }
                let counts = try await ledger.counts()
                #expect(counts.byStatus == ["Valid": 5000], "\(counts)")
                #expect(counts.bySource == ["poll": 5000])
                #expect(try await ledger.entry(receiptNumber: receipts[4321].receipt.header.receiptNumber)?.uuid == receipts[4321].uuid)
                #expect(await sdk.tokenRequests == 1)
                #expect(proxy.count("/connect/token") == 1, "the platform saw one login for the whole run")
                #expect(proxy.count("/receiptsubmissions") == 10, "one POST per submission")
                // Polled per submission, never per receipt.
                #expect(proxy.count("/raw") == 0)
                try await sdk.shutdown()
            }
        }
    }

    @Test func fiveThousandReceiptsReachValidByCallbackIntoTheLedger() async throws {
        let directory = try TemporaryDirectory("sdk-callback")
        defer { directory.remove() }
        let ledger = try ReceiptLedger(path: directory.file("ledger.sqlite"))
        let receiver = TestReceiver(apiKey: NotificationBed.apiKey, rins: ["100000001"], inboxPath: directory.file("inbox.sqlite"), onNotification: ledger.handler)
        try await NotificationBed.harness().run(.live) { client, startup in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            try await receiver.run {
                try await client.mustRegisterCallback(url: receiver.url, token: try await client.erpToken(startup.erp))
                let sdk = Self.posClient(base, startup)
                let receipts = try await Self.generate(5000, chain: try POSReceiptChain(path: directory.file("chain.json")))
                let outcomes = try await ReceiptSubmitter(client: sdk).submit(receipts) { outcome in
                    try? await ledger.recordAccepted(outcome.accepted.map { ($0.receiptNumber, $0.uuid, $0.longId) }, submissionUUID: outcome.submissionUUID)
                }
                #expect(outcomes.reduce(0) { $0 + $1.accepted.count } == 5000)
                try await NotificationBed.waitUntil("5000 receipts Valid in the ledger") { try await ledger.counts().byStatus["Valid"] == 5000 }
                let counts = try await ledger.counts()
                #expect(counts.byStatus == ["Valid": 5000] && counts.bySource == ["callback": 5000], "\(counts)")
                #expect(try await ledger.entry(uuid: receipts[17].uuid)?.longId?.isEmpty == false)
                #expect(await sdk.tokenRequests == 1)
                try await sdk.shutdown()
            }
        }
    }

    @Test func tokenExpiryMidRunAndFiftyConcurrentCallers() async throws {
        try await Harness().run(.live) { client, startup in
            let proxy = FaultProxy(upstream: "http://127.0.0.1:\(try #require(client.port))")
            try await proxy.run {
                let offset = Mutex<Double>(0)
                let sdk = Self.posClient(proxy.url, startup, now: { Date().timeIntervalSince1970 + offset.withLock { $0 } })
                let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0 ..< 50 { group.addTask { try await sdk.accessToken() } }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(tokens.count == 1 && proxy.count("/connect/token") == 1, "50 concurrent callers share one login")
                _ = try await sdk.recentReceipts()
                // An hour later (test clock) the token is renewed once, before the platform would refuse it.
                offset.withLock { $0 = 3600 }
                _ = try await sdk.recentReceipts()
                _ = try await sdk.recentReceipts()
                #expect(await sdk.tokenRequests == 2 && proxy.count("/connect/token") == 2)
                try await sdk.shutdown()
            }
        }
    }

    @Test func retryAfterIsHonouredAndA202IsNeverSentAgain() async throws {
        let directory = try TemporaryDirectory("sdk-faults")
        defer { directory.remove() }
        try await Harness().run(.live) { client, startup in
            let proxy = FaultProxy(upstream: "http://127.0.0.1:\(try #require(client.port))")
            try await proxy.run {
                let sdk = Self.posClient(proxy.url, startup)
                let chain = try POSReceiptChain(path: directory.file("chain.json"))
                let sleeps = Sleeps()
                var configuration = SubmitterConfiguration()
                configuration.sleep = sleeps.sleep
                let submitter = ReceiptSubmitter(client: sdk, configuration: configuration)

                // 429 and 422 with Retry-After: waited out, then the batch is sent again and accepted.
                proxy.inject("/receiptsubmissions", [.answer(status: 429, retryAfter: 7), .answer(status: 422, retryAfter: 3)])
                let first = try await submitter.submitBatch(try await Self.generate(5, chain: chain))
                #expect(first.accepted.count == 5 && first.attempts == 3)
                let asked = sleeps.asked.withLock { $0 }
                #expect(asked.count == 2 && asked[0] >= 7 && asked[1] >= 3, "\(asked)")

                // The answer to an accepted POST is lost (502 after forwarding): the submitter asks
                // whether the batch arrived, finds it, and does not send it again.
                let postsBefore = proxy.count("/receiptsubmissions")
                proxy.inject("/receiptsubmissions", [.forwardThenAnswer(status: 502)])
                let batch = try await Self.generate(5, chain: chain)
                let recovered = try await submitter.submitBatch(batch)
                #expect(recovered.recoveredAfterUnknownOutcome && Set(recovered.accepted.map(\.uuid)) == Set(batch.map(\.uuid)))
                #expect(proxy.count("/receiptsubmissions") == postsBefore + 1, "a batch the platform accepted is never sent again")

                // Not accepted (502 before forwarding): sent again after a backoff.
                proxy.inject("/receiptsubmissions", [.answer(status: 503, retryAfter: nil)])
                let retried = try await submitter.submitBatch(try await Self.generate(5, chain: chain))
                #expect(retried.accepted.count == 5 && retried.attempts == 2 && !retried.recoveredAfterUnknownOutcome)

                // A 401 (token revoked): exactly one new login and the call is repeated once.
                let logins = await sdk.tokenRequests
                proxy.inject("/receipts/recent", [.answer(status: 401, retryAfter: nil)])
                _ = try await sdk.recentReceipts()
                #expect(await sdk.tokenRequests == logins + 1)

                // NotFound right after the 202 is "not yet" for the poller; a 429 and a 503 are waited out.
                proxy.inject("/details", [.answer(status: 404, retryAfter: nil), .answer(status: 429, retryAfter: 4), .answer(status: 503, retryAfter: nil)])
                var pollerConfiguration = PollerConfiguration()
                pollerConfiguration.sleep = sleeps.sleep
                let polled = try await SubmissionPoller(client: sdk, configuration: pollerConfiguration).waitForFinal(try #require(retried.submissionUUID), receipts: 5)
                #expect(polled.details.status == "Valid" && polled.looks >= 4)
                #expect(sleeps.asked.withLock { $0 }.contains { $0 >= 4 }, "the poller waited out Retry-After")

                // A request the platform refuses for what it is (400) is not sent again.
                proxy.inject("/receiptsubmissions", [.answer(status: 400, retryAfter: nil)])
                let posts = proxy.count("/receiptsubmissions")
                await #expect(throws: SubmitterError.self) { try await submitter.submitBatch(try await Self.generate(1, chain: chain)) }
                #expect(proxy.count("/receiptsubmissions") == posts + 1)
                try await sdk.shutdown()
            }
        }
    }

    @Test func anOversizeBatchIsSplitAndARestartedPOSContinuesItsChain() async throws {
        let directory = try TemporaryDirectory("sdk-split")
        defer { directory.remove() }
        try await Harness().run(.live) { client, startup in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let chainPath = directory.file("chain.json")
            var configuration = SubmitterConfiguration()
            configuration.maximumBytes = 40_000 // about 20 receipts
            // First run of the POS: 60 receipts, split by the byte limit.
            let sdk = Self.posClient(base, startup)
            let receipts = try await Self.generate(60, chain: try POSReceiptChain(path: chainPath))
            let submitter = ReceiptSubmitter(client: sdk, configuration: configuration)
            let batches = submitter.batches(receipts)
            #expect(batches.count >= 3 && batches.allSatisfy { EisalClient.receiptSubmissionBody($0.map(\.json)).count <= 40_000 })
            #expect(batches.flatMap { $0 }.map(\.uuid) == receipts.map(\.uuid), "order kept")
            var outcomes = try await submitter.submit(receipts)
            try await sdk.shutdown()
            // The POS restarts: a new process reads the chain file and continues it.
            let restarted = Self.posClient(base, startup)
            let chain = try POSReceiptChain(path: chainPath)
            #expect(await chain.previousUUID(of: "DEMO-POS-1") == receipts.last?.uuid)
            let more = try await Self.generate(10, chain: chain)
            #expect(more.first?.receipt.header.previousUUID == receipts.last?.uuid)
            outcomes += try await ReceiptSubmitter(client: restarted).submit(more)
            let poller = SubmissionPoller(client: restarted)
            var statuses: [String: Int] = [:]
            for outcome in outcomes {
                for row in try await poller.waitForFinal(try #require(outcome.submissionUUID), receipts: outcome.accepted.count).details.receipts { statuses[row.status, default: 0] += 1 }
            }
            #expect(statuses == ["Valid": 70], "the platform checked the chain across the restart: \(statuses)")
            try await restarted.shutdown()
        }
    }
}
