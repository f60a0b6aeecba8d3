// `eisal receipt explain` and `eisal receipt mistakes`, run as a user would (issue 9).
// Sources: ETA SDK /document-serialization-approach/, /receiptissuancefaq/,
// shared/spec/serialization.md.

import EisalCore
import Foundation
import Testing

@Suite("eisal receipt explain")
struct ExplainCLITests {
    @Test func correctReceiptExitsZero() throws {
        let example = try EisalBinary.run(["receipt", "example"])
        let explain = try EisalBinary.run(["receipt", "explain", "-"], input: Data(example.stdout.utf8))
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.hasPrefix("correct: "))
    }

    @Test func floatNumbersAreNamedAndExitOne() throws {
        let example = try EisalBinary.run(["receipt", "example"]).stdout
        let receipt = try JSONParser().parse(example).root
        let wrong = ReceiptUUID.hexDigest(CanonicalSerializer(style: CanonicalStyle(numbers: .shortestDouble)).bytes(receipt, root: .receipt))
        let explain = try EisalBinary.run(["receipt", "explain", "-", "--claimed", wrong], input: Data(example.utf8))
        #expect(explain.status == 1)
        #expect(explain.stdout.contains("reproduced by: floatNumbersShortest"), "\(explain.stdout)")
        #expect(explain.stdout.contains("first difference at byte"))
    }

    @Test func submissionWrapperIsNamedInJSON() throws {
        let example = try EisalBinary.run(["receipt", "example", "--submission"]).stdout
        let submission = try JSONParser().parse(example).root
        let wrong = ReceiptUUID.hexDigest(CanonicalSerializer().bytes(submission, root: .submission))
        let explain = try EisalBinary.run(["receipt", "explain", "-", "--json", "--claimed", wrong], input: Data(example.utf8))
        #expect(explain.status == 1)
        let report = try JSONParser().parse(explain.stdout).root
        let first = try #require(report["receipts"]?.elements.first)
        #expect(first["verdict"]?.string == "knownMistake")
        #expect(first["mistakes"]?.elements.first?["id"]?.string == "submissionWrapperHashed")
    }

    @Test func mistakesPrintsTheCataloguePage() throws {
        let out = try EisalBinary.run(["receipt", "mistakes"])
        #expect(out.status == 0)
        #expect(out.stdout == UUIDMistake.catalogueMarkdown)
    }
}
