import EisalCore
import Foundation

enum Fixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil),
              let data = FileManager.default.contents(atPath: url.path) else {
            throw CocoaError(.fileNoSuchFile)
        }
        return [UInt8](data)
    }
}

/// A valid v1.2 sale receipt written by hand, so core tests do not depend on the SDK builder.
/// Line 1: 2 × 85.50 = 171.00, −5.00 commercial → 166.00, VAT 14% = 23.24, total 189.24.
/// Line 2: 3 × 10.5 = 31.5, VAT 4.41, item discount 1.00 → total 34.91.
enum SampleReceipt {
    static let uuidPlaceholder = "UUID_PLACEHOLDER"

    static func text(
        issued: String = "2026-11-23T10:00:00Z",
        receiptType: String = "s",
        extraHeader: String = "",
        uuid: String = ""
    ) -> String {
        """
        {
          "header": {
            "dateTimeIssued": "\(issued)",
            "receiptNumber": "R-1",
            "uuid": "\(uuid)",
            "previousUUID": "",
            \(extraHeader)
            "currency": "EGP",
            "exchangeRate": 0
          },
          "documentType": { "receiptType": "\(receiptType)", "typeVersion": "1.2" },
          "seller": {
            "rin": "100000001",
            "companyTradeName": "Eisal Demo Trading",
            "branchCode": "0",
            "branchAddress": { "country": "EG", "governate": "Cairo", "regionCity": "Nasr City", "street": "Abbas El Akkad", "buildingNumber": "12" },
            "deviceSerialNumber": "POS-1",
            "activityCode": "4620"
          },
          "buyer": { "type": "P" },
          "itemData": [
            {
              "internalCode": "SKU-1", "description": "Coffee \\"beans\\" قهوة", "itemType": "GS1", "itemCode": "6221218058490", "unitType": "EA",
              "quantity": 2, "unitPrice": 85.50, "netSale": 166.00, "totalSale": 171.00, "total": 189.24,
              "commercialDiscountData": [ { "amount": 5.00, "description": "Loyalty" } ],
              "taxableItems": [ { "taxType": "T1", "amount": 23.24, "subType": "V009", "rate": 14 } ]
            },
            {
              "internalCode": "SKU-2", "description": "Cups", "itemType": "EGS", "itemCode": "EG-100000001-CUP", "unitType": "EA",
              "quantity": 3, "unitPrice": 10.5, "netSale": 31.5, "totalSale": 31.5, "total": 34.91,
              "itemDiscountData": [ { "amount": 1.00, "description": "Bundle" } ],
              "taxableItems": [ { "taxType": "T1", "amount": 4.41, "subType": "V009", "rate": 14 } ]
            }
          ],
          "totalSales": 202.5,
          "totalCommercialDiscount": 5.00,
          "totalItemsDiscount": 1.00,
          "netAmount": 197.5,
          "feesAmount": 0,
          "totalAmount": 224.15,
          "taxTotals": [ { "taxType": "T1", "amount": 27.65 } ],
          "paymentMethod": "C",
          "adjustment": 0
        }
        """
    }

    /// The sample with its correct UUID filled in.
    static func sealed(issued: String = "2026-11-23T10:00:00Z") throws -> String {
        let blank = text(issued: issued)
        let uuid = ReceiptUUID.compute(try JSONParser().parse(blank).root)
        return text(issued: issued, uuid: uuid)
    }

    static let now = UTCDateTime("2026-11-23T12:00:00Z")!
    static var context: ValidationContext { ValidationContext(now: now) }
}

/// A step into a JSON value.
enum Step: Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)
    var description: String {
        switch self {
        case let .key(k): k
        case let .index(i): "[\(i)]"
        }
    }
}

extension JSONValue {
    /// A copy with the value at `path` replaced (`nil` removes an object member).
    func setting(_ path: [Step], to newValue: JSONValue?) -> JSONValue {
        guard let first = path.first else { return newValue ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case let (.object(members), .key(key)):
            var out = members
            if let i = out.firstIndex(where: { $0.0 == key }) {
                if rest.isEmpty, newValue == nil { out.remove(at: i) } else { out[i].1 = out[i].1.setting(rest, to: newValue) }
            } else if let newValue, rest.isEmpty {
                out.append((key, newValue))
            }
            return .object(out)
        case let (.array(elements), .index(i)):
            var out = elements
            out[i] = out[i].setting(rest, to: newValue)
            return .array(out)
        default:
            return self
        }
    }
}

/// Parses `"header.receiptNumber"`-style paths (with `[n]` indices) into steps.
func steps(_ path: String) -> [Step] {
    var result: [Step] = []
    for part in path.split(separator: ".") {
        var name = Substring(part)
        var indices: [Int] = []
        while let open = name.lastIndex(of: "["), name.hasSuffix("]") {
            indices.insert(Int(name[name.index(after: open) ..< name.index(before: name.endIndex)])!, at: 0)
            name = name[..<open]
        }
        if !name.isEmpty { result.append(.key(String(name))) }
        result += indices.map { .index($0) }
    }
    return result
}
