// Tests of the UUID mismatch explainer (issue 9).
// Sources: ETA SDK /document-serialization-approach/, /receiptissuancefaq/ ("How to generate
// receipt UUID?"), shared/spec/serialization.md.

import EisalCore
import Foundation
import EisalTestSupport
import Testing

/// Receipts hashed the wrong way, built without the explainer.
enum WrongHash {
    static let referenceUUID = String(repeating: "ab", count: 32)
    static let placeholderUUID = "11111111-2222-3333-4444-555555555555"

    /// A return receipt with numbers whose float form differs (85.50, 166.00, 5.00), an escaped
    /// quote, arrays of several elements, previousUUID and referenceUUID.
    static func receiptText(uuid: String = "") -> String {
        SampleReceipt.text(receiptType: "r", extraHeader: "\"referenceUUID\": \"\(referenceUUID)\",", uuid: uuid)
    }

    static func submissionText(_ receipt: String) -> String {
        "{\"receipts\": [\(receipt)], \"signatures\": [{\"signatureType\": \"I\", \"value\": \"MIIB\"}]}"
    }

    /// Each catalogue id written out here, independently of `UUIDMistake.change`.
    static func change(_ id: String, style: inout CanonicalStyle, root: inout CanonicalRoot, upper: inout Bool) -> Bool {
        switch id {
        case "floatNumbersShortest": style.numbers = .shortestDouble
        case "floatNumbersPython": style.numbers = .pythonFloat
        case "sortedKeys": style.memberOrder = .sorted
        case "uuidRemoved": style.headerUUID = .removed
        case "uuidKeptWithValue": style.headerUUID = .keptWithValue
        case "arrayNameOnce": style.arrays = .nameOnce
        case "arrayNameBeforeEachElementOnly": style.arrays = .nameBeforeEachElementOnly
        case "namesNotUpperCased": style.names = .asWritten
        case "rawStrings": style.strings = .raw
        case "submissionWrapperHashed": root = .submission
        case "withoutPreviousUUID": style.omittedHeaderMembers.insert("previousUUID")
        case "withoutReferenceUUID": style.omittedHeaderMembers.insert("referenceUUID")
        case "upperCaseHex": upper = true
        default: return false
        }
        return true
    }

    struct Case {
        var receipt: JSONNode
        var submission: JSONNode
        var claimed: String
    }

    /// Hashes the sample the way the mistakes `ids` do; the receipt carries the wrong UUID in
    /// `header.uuid` (except for `uuidKeptWithValue`, where it carries a placeholder and the
    /// claim is made separately).
    static func make(_ ids: [String]) throws -> Case {
        var style = CanonicalStyle.eta, root = CanonicalRoot.receipt, upper = false
        for id in ids { #expect(change(id, style: &style, root: &root, upper: &upper), "unknown id \(id)") }
        let kept = style.headerUUID == .keptWithValue
        let blankText = submissionText(receiptText(uuid: kept ? placeholderUUID : ""))
        let blank = try JSONParser().parse(blankText).root
        let blankReceipt = try #require(blank["receipts"]?.elements.first)
        let node = root == .submission ? blank : blankReceipt
        var wrong = ReceiptUUID.hexDigest(CanonicalSerializer(style: style).bytes(node, root: root))
        if upper { wrong = wrong.uppercased() }
        if kept { return Case(receipt: blankReceipt, submission: blank, claimed: wrong) }
        let filled = try JSONParser().parse(submissionText(receiptText(uuid: wrong))).root
        let receipt = try #require(filled["receipts"]?.elements.first)
        return Case(receipt: receipt, submission: filled, claimed: try #require(receipt["header"]?["uuid"]?.string))
    }
}

@Suite("UUID mismatch explainer")
struct ExplainerTests {
    @Test func catalogueIsWellFormed() {
        let ids = UUIDMistake.catalogue.map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ids.count >= 13)
        for m in UUIDMistake.catalogue {
            #expect(!m.summary.isEmpty && !m.fix.isEmpty && !m.summary.contains("\n"))
            #expect(m.isAccepted == (m.id == "upperCaseHex"))
            #expect(UUIDMistake.named(m.id) == m)
        }
        #expect(UUIDMistake.upperCaseHex.summary.contains("Accepted"))
    }

    @Test(arguments: UUIDMistake.catalogue)
    func eachMistakeIsNamedExactly(_ mistake: UUIDMistake) throws {
        let c = try WrongHash.make([mistake.id])
        let report = UUIDExplainer.explain(c.receipt, claimed: c.claimed, submission: c.submission)
        #expect(report.computed == ReceiptUUID.compute(c.receipt))
        #expect(report.claimed == c.claimed)
        #expect(report.mistakeIDs == [mistake.id], "\(report.plainText)")
        if mistake.id == "upperCaseHex" {
            #expect(report.verdict == .upperCaseHex)
            #expect(report.accepted)
            #expect(report.etaError == nil)
            #expect(report.serializationsTried == 0)
        } else {
            #expect(report.verdict == .knownMistake)
            #expect(!report.accepted)
            #expect(report.serializationsTried >= 1)
            let difference = try #require(report.difference)
            #expect(difference.expected != difference.yours)
            #expect(!difference.expected.isEmpty && !difference.yours.isEmpty)
            #expect(difference.expected.utf8.count <= 50 && difference.yours.utf8.count <= 50)
            let error = try #require(report.etaError)
            #expect(error.code == "UUID.Mismatch" && error.target == "uuid" && error.propertyPath == "header.uuid")
            #expect(error.message.contains(mistake.id) && error.message.contains(mistake.fix))
        }
    }

    @Test(arguments: [
        ("floatNumbersShortest", "itemData[0].unitPrice", "\"85.50\"", "\"85.5\""),
        ("floatNumbersPython", "itemData[0].unitPrice", "\"NETSALE\"\"166.00\"", "\"NETSALE\"\"166.0\""),
        ("uuidRemoved", "header.uuid", "\"UUID\"\"\"", "\"PREVIOUSUUID\""),
        ("withoutPreviousUUID", "header.previousUUID", "\"PREVIOUSUUID\"", "\"REFERENCEUUID\""),
        ("withoutReferenceUUID", "header.referenceUUID", "\"REFERENCEUUID\"", "\"CURRENCY\""),
        ("rawStrings", "itemData[0].description", "\\\"beans\\\"", "\"beans\""),
        ("namesNotUpperCased", "header", "\"HEADER\"", "\"header\""),
    ])
    func firstDifferenceNamesThePropertyAndShowsBothTexts(_ id: String, _ path: String, _ expected: String, _ yours: String) throws {
        let c = try WrongHash.make([id])
        let report = UUIDExplainer.explain(c.receipt, claimed: c.claimed, submission: c.submission)
        let difference = try #require(report.difference)
        #expect(difference.path == path)
        #expect(difference.expected.contains(expected), "\(difference.expected)")
        #expect(difference.yours.contains(yours), "\(difference.yours)")
    }

    /// Python's `json.loads` makes a float only of a lexeme with a fraction or an exponent;
    /// integers stay `int` and print as written.
    @Test func pythonPrintsDecimalsAsFloatsAndIntegersAsWritten() {
        let cases = [("2", "2"), ("150000", "150000"), ("-0", "0"), ("0", "0"), ("2.0", "2.0"), ("14.00", "14.0"), ("85.50", "85.5"),
                     ("0.00001", "1e-05"), ("0.0001", "0.0001"), ("1E2", "100.0"), ("12345678901234567.5", "1.2345678901234568e+16")]
        for (lexeme, printed) in cases {
            #expect(CanonicalText.pythonFloat(lexeme) == printed, "\(lexeme)")
        }
    }

    @Test(arguments: [
        ["sortedKeys", "floatNumbersShortest"],
        ["rawStrings", "withoutPreviousUUID"],
        ["floatNumbersPython", "upperCaseHex"],
        ["namesNotUpperCased", "submissionWrapperHashed"],
        ["uuidRemoved", "arrayNameOnce"],
        ["arrayNameBeforeEachElementOnly", "withoutReferenceUUID"],
        ["uuidKeptWithValue", "floatNumbersShortest"],
    ])
    func pairsOfMistakesAreNamed(_ ids: [String]) throws {
        let c = try WrongHash.make(ids)
        let report = UUIDExplainer.explain(c.receipt, claimed: c.claimed, submission: c.submission)
        #expect(report.verdict == .knownMistake)
        let order = UUIDMistake.catalogue.map(\.id)
        #expect(report.mistakeIDs == ids.sorted { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }, "\(report.plainText)")
        #expect(report.difference != nil)
    }

    @Test func everyCatalogueIdIsCoveredByTheIndependentMapping() {
        for m in UUIDMistake.catalogue {
            var style = CanonicalStyle.eta, root = CanonicalRoot.receipt, upper = false
            #expect(WrongHash.change(m.id, style: &style, root: &root, upper: &upper), "\(m.id) has no test mapping")
            #expect(m.applied(to: .eta) == style && m.root(from: .receipt) == root && (m.change == .upperCaseHex) == upper)
        }
    }

    @Test func correctReceiptCostsNothing() throws {
        let sealed = try JSONParser().parse(try SampleReceipt.sealed()).root
        let claimed = try #require(sealed["header"]?["uuid"]?.string)
        let report = UUIDExplainer.explain(sealed, claimed: claimed)
        #expect(report.verdict == .correct)
        #expect(report.accepted)
        #expect(report.serializationsTried == 0)
        #expect(report.mistakes.isEmpty && report.difference == nil && report.canonicalText == nil)
        #expect(report.etaError == nil)
        #expect(UUIDExplainer.mismatchError(sealed, claimed: claimed, computed: report.computed) == nil)
        #expect(UUIDExplainer.mismatchError(sealed, claimed: claimed.uppercased(), computed: report.computed) == nil)
        #expect(report.json == .object([
            ("verdict", .string("correct")), ("accepted", .bool(true)), ("claimed", .string(claimed)),
            ("computed", .string(claimed)), ("mistakes", .array([])), ("serializationsTried", .number("0")),
        ]))
    }

    @Test func unexplainedMismatchIncludesTheCanonicalText() throws {
        let receipt = try JSONParser().parse(WrongHash.receiptText()).root
        let claimed = String(repeating: "0123456789abcdef", count: 4)
        let report = UUIDExplainer.explain(receipt, claimed: claimed)
        #expect(report.verdict == .unknownMistake)
        #expect(report.mistakes.isEmpty)
        #expect(report.canonicalText == ReceiptUUID.canonicalText(receipt))
        // 10 applicable text mistakes (no submission; header.uuid is empty, so keeping its value
        // changes nothing), and their 45 pairs less the 2 that share a dimension (numbers, arrays).
        #expect(report.serializationsTried == 10 + 43)
        #expect(report.plainText.contains(ReceiptUUID.canonicalText(receipt)))
        let error = try #require(UUIDExplainer.mismatchError(receipt, claimed: claimed, computed: report.computed))
        #expect(error.code == "UUID.Mismatch" && error.message.contains("No known"))
        let empty = UUIDExplainer.explain(receipt, claimed: "")
        #expect(empty.verdict == .notAUUID && empty.serializationsTried == 0 && !empty.accepted)
    }

    @Test func variantsThatCannotApplyOrChangeNothingAreSkipped() throws {
        // Upper-case names, no numbers, no escapes, no header, one-element array: only member
        // order, uuid removal and the two array variants apply; the first two write the right
        // text and are dropped, and the array variants share a dimension, so no pair is tried.
        let receipt = try JSONParser().parse(#"{"A": "x", "B": [{"C": "1"}]}"#).root
        let report = UUIDExplainer.explain(receipt, claimed: String(repeating: "0", count: 64))
        #expect(report.verdict == .unknownMistake)
        #expect(report.serializationsTried == 4)

        // The wrapper is only tried with a submission.
        let c = try WrongHash.make(["submissionWrapperHashed"])
        let alone = UUIDExplainer.explain(c.receipt, claimed: c.claimed)
        let withSubmission = UUIDExplainer.explain(c.receipt, claimed: c.claimed, submission: c.submission)
        #expect(alone.verdict == .unknownMistake)
        #expect(withSubmission.mistakeIDs == ["submissionWrapperHashed"])
    }

    @Test func explainerSharesSubmissionVariantsAcrossReceipts() throws {
        let one = WrongHash.receiptText()
        let two = SampleReceipt.text(issued: "2026-11-23T10:05:00Z")
        let submission = try JSONParser().parse("{\"receipts\": [\(one), \(two)]}").root
        let receipts = try #require(submission["receipts"]?.elements)
        let wrapper = ReceiptUUID.hexDigest(CanonicalSerializer().bytes(submission, root: .submission))
        var explainer = UUIDExplainer(submission: submission)
        for receipt in receipts {
            let report = explainer.explain(receipt, claimed: wrapper)
            #expect(report.mistakeIDs == ["submissionWrapperHashed"])
        }
    }

    @Test func reportRendersAsOrderedJSONAndPlainWords() throws {
        let c = try WrongHash.make(["floatNumbersShortest"])
        let report = UUIDExplainer.explain(c.receipt, claimed: c.claimed)
        let json = JSONWriter().string(report.json)
        #expect(json.hasPrefix("{\"verdict\":\"knownMistake\",\"accepted\":false,\"claimed\":\"\(c.claimed)\""))
        #expect(json.contains("\"difference\":{\"offset\":"))
        #expect(json.contains("\"path\":\"itemData[0].unitPrice\""))
        let decoded = try JSONDecoder().decode(UUIDExplanation.self, from: Data(json.utf8))
        #expect(decoded == report)
        let text = report.plainText
        #expect(text.hasPrefix("wrong UUID"))
        #expect(text.contains("floatNumbersShortest") && text.contains(UUIDMistake.floatNumbersShortest.fix))
        #expect(text.contains("itemData[0].unitPrice"))
    }

    @Test func hostileInputGetsAVerdict() throws {
        var rng = SeededRandom(seed: 99)
        var explained = 0
        for c in MalformedInputs.generate(count: 2000) {
            guard let document = try? JSONParser().parse(c.bytes) else { continue }
            let hex = (0 ..< 4).map { _ in String(rng.next(), radix: 16).leftPadded(16) }.joined()
            let garbage = ["", "not-a-uuid", String(repeating: "Z", count: 64), "\u{0}\u{FFFF}"][Int(rng.next() % 4)]
            let submission = (try? JSONParser().parse("{\"receipts\": [" + String(decoding: c.bytes, as: UTF8.self) + "]}"))?.root
            for claimed in [hex, garbage] {
                let report = UUIDExplainer.explain(document.root, claimed: claimed, submission: submission)
                #expect(!report.accepted, "\(c.label)")
                #expect([.knownMistake, .unknownMistake, .notAUUID].contains(report.verdict))
                #expect(report.etaError?.code == "UUID.Mismatch")
                _ = report.plainText
            }
            explained += 1
        }
        for text in ["[]", "1", "\"x\"", "{}", "{\"header\": 5}", "{\"header\": {\"uuid\": 7}}", "{\"receipts\": {}}"] {
            let node = try JSONParser().parse(text).root
            let report = UUIDExplainer.explain(node, claimed: String(repeating: "f", count: 64), submission: node)
            #expect(!report.accepted)
        }
        #expect(explained > 300)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
