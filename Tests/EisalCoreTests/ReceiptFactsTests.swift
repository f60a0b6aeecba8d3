@testable import EisalCore
import Testing

@Suite("Receipt facts read from the tape")
struct ReceiptFactsTests {
    /// What the facts must equal: the same members read through `JSONNode` lookups.
    static func expected(_ node: JSONNode) -> [String] {
        func text(_ n: JSONNode?) -> String { n?.string ?? n?.numberLexeme ?? "" }
        let header = node["header"], seller = node["seller"], buyer = node["buyer"], type = node["documentType"]
        return [text(header?["receiptNumber"]), text(header?["uuid"]), text(header?["previousUUID"]), text(header?["referenceUUID"]),
                text(header?["dateTimeIssued"]), text(header?["currency"]), text(header?["exchangeRate"]), text(seller?["rin"]),
                text(seller?["companyTradeName"]), text(seller?["branchCode"]), text(seller?["deviceSerialNumber"]), text(buyer?["type"]),
                text(buyer?["id"]), text(buyer?["name"]), text(type?["receiptType"]), text(type?["typeVersion"]), text(node["totalAmount"]),
                text(node["paymentMethod"])]
    }

    static func actual(_ f: DocumentFacts) -> [String] {
        [f.receiptNumber, f.uuid, f.previousUUID, f.referenceUUID, f.dateTimeIssued, f.currency, f.exchangeRate, f.sellerRIN, f.sellerName,
         f.branchCode, f.deviceSerialNumber, f.buyerType, f.buyerID, f.buyerName, f.receiptType, f.typeVersion, f.totalAmount, f.paymentMethod]
    }

    @Test func equalTheMembersReadOneByOne() throws {
        let sample = try JSONParser().parse(SampleReceipt.text(uuid: String(repeating: "a", count: 64))).root.value
        let variants: [JSONValue] = [
            sample,
            // Members in another order, escaped names, numbers and nulls where strings belong.
            sample.setting(steps("header.receiptNumber"), to: .number("42")).setting(steps("buyer.id"), to: .null),
            sample.setting(steps("seller"), to: .string("not an object")).setting(steps("header.uuid"), to: nil),
            sample.setting(steps("buyer"), to: .array([])).setting(steps("totalAmount"), to: .bool(true)),
        ]
        for value in variants {
            let node = try JSONParser().parse(JSONWriter().string(value)).root
            #expect(Self.actual(DocumentFacts(receipt: node)) == Self.expected(node))
        }
        let reordered = try JSONParser().parse(#"{"paymentMethod":"C","seller":{"deviceSerialNumber":"P","\u0072in":"100000001"},"header":{"currency":"EGP","receiptNumber":"R"}}"#).root
        let facts = DocumentFacts(receipt: reordered)
        #expect(Self.actual(facts) == Self.expected(reordered))
        #expect(facts.sellerRIN == "100000001" && facts.deviceSerialNumber == "P" && facts.receiptNumber == "R")
    }
}
