// The members of a document that the platform stores as columns and checks at intake, read from
// the tape in one pass: cheaper than decoding the whole model when only these are needed.
// Receipt member names: receipt structure v1.2 (ReceiptSchema.swift). The fields carry receipt
// names; another family fills the same roles (the issuer's own number, issuer, receiver, type).

/// Indexed facts of one document, as received. A member that is missing, null, or neither a
/// string nor a number reads as `""`; numbers read as their lexeme.
public struct DocumentFacts: Sendable, Hashable {
    public var receiptNumber = "", uuid = "", previousUUID = "", referenceUUID = "", dateTimeIssued = "", currency = "", exchangeRate = ""
    public var sellerRIN = "", sellerName = "", branchCode = "", deviceSerialNumber = ""
    public var buyerType = "", buyerID = "", buyerName = ""
    public var receiptType = "", typeVersion = ""
    public var totalAmount = "", paymentMethod = ""

    public init() {}

    /// Reads the facts of the receipt object `node`.
    public init(receipt node: JSONNode) {
        let document = node.document
        self = document.tape.withUnsafeBufferPointer { tapeBuffer in
            document.bytes.withUnsafeBufferPointer { bytesBuffer in
                let tape = tapeBuffer.baseAddress!, bytes = bytesBuffer.baseAddress!
                var root = MemberReader(tape: tape, bytes: bytes, object: node.index)
                func object(_ key: StaticString) -> MemberReader {
                    if let index = root.present(key), tape[index].kind == .object { return MemberReader(tape: tape, bytes: bytes, object: index) }
                    return MemberReader(tape: tape, bytes: bytes, emptyAt: node.index)
                }
                var header = object("header"), documentType = object("documentType"), seller = object("seller"), buyer = object("buyer")
                var facts = DocumentFacts()
                facts.receiptNumber = header.factText("receiptNumber")
                facts.uuid = header.factText("uuid")
                facts.previousUUID = header.factText("previousUUID")
                facts.referenceUUID = header.factText("referenceUUID")
                facts.dateTimeIssued = header.factText("dateTimeIssued")
                facts.currency = header.factText("currency")
                facts.exchangeRate = header.factText("exchangeRate")
                facts.receiptType = documentType.factText("receiptType")
                facts.typeVersion = documentType.factText("typeVersion")
                facts.sellerRIN = seller.factText("rin")
                facts.sellerName = seller.factText("companyTradeName")
                facts.branchCode = seller.factText("branchCode")
                facts.deviceSerialNumber = seller.factText("deviceSerialNumber")
                facts.buyerType = buyer.factText("type")
                facts.buyerID = buyer.factText("id")
                facts.buyerName = buyer.factText("name")
                facts.totalAmount = root.factText("totalAmount")
                facts.paymentMethod = root.factText("paymentMethod")
                return facts
            }
        }
    }
}

extension MemberReader {
    /// A reader over no members (for a member that is not an object).
    init(tape: UnsafePointer<JSONToken>, bytes: UnsafePointer<UInt8>, emptyAt index: Int) {
        self.tape = tape
        self.bytes = bytes
        first = index
        end = index
        hint = index
    }

    /// The string, or the number's lexeme, of member `key`; `""` otherwise.
    mutating func factText(_ key: StaticString) -> String {
        guard let index = present(key) else { return "" }
        if let string = string(at: index) { return string }
        let t = tape[index]
        guard t.kind == .number else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes + Int(t.start), count: Int(t.end &- t.start)), as: UTF8.self)
    }
}
