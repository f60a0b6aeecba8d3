import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HummingbirdTesting
import Testing

/// A receipt's verdict never depends on when it is processed (issue 14, item 3). Each test makes
/// processing slow and runs several workers, so the later submission's job really does run while
/// the earlier one is still being validated.
@Suite("Verdicts do not depend on processing timing (live server)")
struct VerdictTimingTests {
    static func slow(_ c: inout PlatformConfiguration) {
        c.processingDelayMilliseconds = 300
        c.processingWorkers = 4
    }

    static func statuses(_ done: JSONNode) -> [String?] { done["receipts"]?.elements.map { $0["status"]?.string } ?? [] }

    static func errorCodes(_ done: JSONNode) -> [String] {
        (done["receipts"]?.elements ?? []).flatMap { row in (row["errors"]?.elements ?? []).compactMap { $0["code"]?.string } }
    }

    /// The return as the SDK builds it: same lines as its sale, so its total does not exceed the sale's.
    static func returnOf(_ sale: BuiltReceipt, _ chain: inout ReceiptChain) throws -> BuiltReceipt {
        try chain.next { receipt in
            receipt.documentType.receiptType = "r"
            receipt.header.referenceUUID = sale.uuid
        }
    }

    @Test func aReturnOfASaleInTheSameSubmissionIsValid() async throws {
        try await Harness(Self.slow).run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let sale = try chain.next()
            let ret = try Self.returnOf(sale, &chain)
            let response = try await client.submit(ReceiptChain.submission([sale, ret]), token: token)
            let done = try await client.pollUntilDone(try #require(response.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(done) == ["Valid", "Valid"], "\(Self.errorCodes(done))")
        }
    }

    @Test func aReturnOfASaleStillBeingValidatedWaitsForTheSalesVerdict() async throws {
        try await Harness(Self.slow).run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let sales = try (0 ..< 3).map { _ in try chain.next() }
            let first = try await client.submit(ReceiptChain.submission(sales), token: token)
            let ret = try Self.returnOf(sales[2], &chain)
            let second = try await client.submit(ReceiptChain.submission([ret]), token: token)
            let done = try await client.pollUntilDone(try #require(second.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(done) == ["Valid"], "\(Self.errorCodes(done))")
            let sold = try await client.pollUntilDone(try #require(first.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(sold) == ["Valid", "Valid", "Valid"])
        }
    }

    @Test func aReturnOfASaleThatEndsInvalidIsInvalidHoweverFastItIsProcessed() async throws {
        try await Harness(Self.slow).run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let badSale = try chain.next { $0.totalAmount = ETADecimal($0.totalAmount.value + 5) }
            _ = try await client.submit(ReceiptChain.submission([badSale]), token: token)
            let ret = try Self.returnOf(badSale, &chain)
            let second = try await client.submit(ReceiptChain.submission([ret]), token: token)
            let done = try await client.pollUntilDone(try #require(second.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(done) == ["Invalid"])
            #expect(Self.errorCodes(done) == ["Ref.ReturnReference"])
        }
    }

    /// The earlier receipt with the same number ends Invalid, so the number is free: the later one
    /// is Valid even when its job runs while the earlier one is still pending.
    @Test func aReceiptNumberHeldOnlyByAReceiptThatEndsInvalidIsFree() async throws {
        try await Harness(Self.slow).run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let padding = try (0 ..< 2).map { _ in try chain.next() }
            let invalid = try chain.next { $0.totalAmount = ETADecimal($0.totalAmount.value + 5) }
            let first = try await client.submit(ReceiptChain.submission(padding + [invalid]), token: token)
            let again = try chain.next { $0.header.receiptNumber = invalid.receipt.header.receiptNumber }
            let second = try await client.submit(ReceiptChain.submission([again]), token: token)
            let done = try await client.pollUntilDone(try #require(second.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(done) == ["Valid"], "\(Self.errorCodes(done))")
            let earlier = try await client.pollUntilDone(try #require(first.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(earlier) == ["Valid", "Valid", "Invalid"])
        }
    }

    /// A receipt whose previousUUID names a receipt that arrives later in a later submission is
    /// never "after" it, whether or not that receipt is stored by the time the job runs. One worker,
    /// busy with a slow submission first, so the later receipt is stored before the job runs.
    @Test func aPreviousUUIDNamingALaterSubmissionIsInvalidWhateverTheTiming() async throws {
        try await Harness { Self.slow(&$0); $0.processingWorkers = 1 }.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let filler = try (0 ..< 2).map { _ in try chain.next() }
            let a = try chain.next()
            let b = try chain.next()
            _ = try await client.submit(ReceiptChain.submission(filler), token: token)
            // b (previousUUID a) is sent before a.
            let first = try await client.submit(ReceiptChain.submission([b]), token: token)
            _ = try await client.submit(ReceiptChain.submission([a]), token: token)
            let done = try await client.pollUntilDone(try #require(first.json["submissionUUID"]?.string), token: token)
            #expect(Self.statuses(done) == ["Invalid"])
            #expect(Self.errorCodes(done) == ["Platform.PreviousUUIDChain"])
        }
    }
}
