// Receipts written as JSON text directly, without Codable: the same members in the same order
// as the synthesized `Encodable` conformance writes through `JSONValueEncoder` and `JSONWriter`
// (declaration order, optionals left out when nil, numbers as their lexemes), byte for byte (a
// test compares the two over random receipts), at a fraction of the cost. The SDK's builder and
// generator write every receipt this way.

extension Receipt {
    /// The receipt as compact JSON text, exactly as `JSONWriter().bytes(JSONValueEncoder().encode(self))`.
    public func jsonBytes() -> [UInt8] {
        var w = DirectJSONWriter()
        w.out.reserveCapacity(1024 + itemData.count * 512)
        w.object {
            $0.member("header") { header.write(into: &$0) }
            $0.member("documentType") { w in w.object { $0.string("receiptType", documentType.receiptType); $0.string("typeVersion", documentType.typeVersion) } }
            $0.member("seller") { seller.write(into: &$0) }
            $0.member("buyer") { buyer.write(into: &$0) }
            $0.member("itemData") { w in w.array(itemData) { item, w in item.write(into: &w) } }
            $0.number("totalSales", totalSales)
            $0.number("totalCommercialDiscount", totalCommercialDiscount)
            $0.number("totalItemsDiscount", totalItemsDiscount)
            if let extraReceiptDiscountData { $0.member("extraReceiptDiscountData") { w in w.array(extraReceiptDiscountData) { d, w in d.write(into: &w) } } }
            $0.number("netAmount", netAmount)
            $0.number("feesAmount", feesAmount)
            $0.number("totalAmount", totalAmount)
            if let taxTotals { $0.member("taxTotals") { w in w.array(taxTotals) { t, w in w.object { $0.string("taxType", t.taxType); $0.number("amount", t.amount) } } } }
            $0.string("paymentMethod", paymentMethod)
            $0.number("adjustment", adjustment)
            if let contractor { $0.member("contractor") { w in w.object { $0.string("name", contractor.name); $0.number("amount", contractor.amount); $0.number("rate", contractor.rate) } } }
            if let beneficiary { $0.member("beneficiary") { w in w.object { $0.number("amount", beneficiary.amount); $0.number("rate", beneficiary.rate) } } }
        }
        return w.out
    }
}

extension ReceiptHeader {
    func write(into w: inout DirectJSONWriter) {
        w.object {
            $0.string("dateTimeIssued", dateTimeIssued)
            $0.string("receiptNumber", receiptNumber)
            $0.string("uuid", uuid)
            $0.string("previousUUID", previousUUID)
            $0.string("referenceUUID", referenceUUID)
            $0.string("referenceOldUUID", referenceOldUUID)
            $0.string("documentUseReason", documentUseReason)
            $0.string("salesIssuedDateTime", salesIssuedDateTime)
            $0.string("currency", currency)
            $0.number("exchangeRate", exchangeRate)
            $0.string("sOrderNameCode", sOrderNameCode)
            $0.string("orderdeliveryMode", orderdeliveryMode)
            $0.number("grossWeight", grossWeight)
            $0.number("netWeight", netWeight)
        }
    }
}

extension Seller {
    func write(into w: inout DirectJSONWriter) {
        w.object {
            $0.string("rin", rin)
            $0.string("companyTradeName", companyTradeName)
            $0.string("branchCode", branchCode)
            $0.member("branchAddress") { w in
                w.object {
                    $0.string("country", branchAddress.country)
                    $0.string("governate", branchAddress.governate)
                    $0.string("regionCity", branchAddress.regionCity)
                    $0.string("street", branchAddress.street)
                    $0.string("buildingNumber", branchAddress.buildingNumber)
                    $0.string("postalCode", branchAddress.postalCode)
                    $0.string("floor", branchAddress.floor)
                    $0.string("room", branchAddress.room)
                    $0.string("landmark", branchAddress.landmark)
                    $0.string("additionalInformation", branchAddress.additionalInformation)
                }
            }
            $0.string("deviceSerialNumber", deviceSerialNumber)
            $0.string("syndicateLicenseNumber", syndicateLicenseNumber)
            $0.string("activityCode", activityCode)
        }
    }
}

extension Buyer {
    func write(into w: inout DirectJSONWriter) {
        w.object {
            $0.string("type", type)
            $0.string("id", id)
            $0.string("name", name)
            $0.string("mobileNumber", mobileNumber)
            $0.string("paymentNumber", paymentNumber)
        }
    }
}

extension Discount {
    func write(into w: inout DirectJSONWriter) {
        w.object { $0.number("amount", amount); $0.string("description", description); $0.number("rate", rate) }
    }
}

extension ReceiptItem {
    func write(into w: inout DirectJSONWriter) {
        w.object {
            $0.string("internalCode", internalCode)
            $0.string("description", description)
            $0.string("itemType", itemType)
            $0.string("itemCode", itemCode)
            $0.string("unitType", unitType)
            $0.number("quantity", quantity)
            $0.number("unitPrice", unitPrice)
            $0.number("netSale", netSale)
            $0.number("totalSale", totalSale)
            $0.number("total", total)
            if let commercialDiscountData { $0.member("commercialDiscountData") { w in w.array(commercialDiscountData) { d, w in d.write(into: &w) } } }
            if let itemDiscountData { $0.member("itemDiscountData") { w in w.array(itemDiscountData) { d, w in d.write(into: &w) } } }
            if let additionalCommercialDiscount { $0.member("additionalCommercialDiscount") { additionalCommercialDiscount.write(into: &$0) } }
            if let additionalItemDiscount { $0.member("additionalItemDiscount") { additionalItemDiscount.write(into: &$0) } }
            $0.number("valueDifference", valueDifference)
            if let taxableItems {
                $0.member("taxableItems") { w in
                    w.array(taxableItems) { t, w in
                        w.object { $0.string("taxType", t.taxType); $0.number("amount", t.amount); $0.string("subType", t.subType); $0.number("rate", t.rate) }
                    }
                }
            }
        }
    }
}

/// Compact JSON text written member by member (the receipt writer's tool).
struct DirectJSONWriter {
    var out: [UInt8] = []
    private var first = true

    mutating func object(_ body: (inout DirectJSONWriter) -> Void) {
        out.append(UInt8(ascii: "{"))
        let outer = first
        first = true
        body(&self)
        first = outer
        out.append(UInt8(ascii: "}"))
    }

    mutating func array<T>(_ elements: [T], _ body: (T, inout DirectJSONWriter) -> Void) {
        out.append(UInt8(ascii: "["))
        for (k, element) in elements.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            let outer = first
            first = true
            body(element, &self)
            first = outer
        }
        out.append(UInt8(ascii: "]"))
    }

    mutating func key(_ name: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func member(_ name: StaticString, _ value: (inout DirectJSONWriter) -> Void) {
        key(name)
        let outer = first
        value(&self)
        first = outer
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        out.append(UInt8(ascii: "\""))
        JSONEscapes.appendMinimallyEscaped(value.utf8, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    mutating func number(_ name: StaticString, _ value: ETADecimal?) {
        guard let value else { return }
        key(name)
        out.append(contentsOf: value.lexeme.utf8)
    }
}
