// SQL for the receipt filters of Get Receipt Submission, Search Receipts and Get Recent Receipts
// (ETA SDK /ereceiptapi/06, /07, /08; parameters as spec/receipts-api.md lists them).

import EisalStore
import GRDB

/// A WHERE clause over `receipts` and its arguments, built from a ``ReceiptFilter``.
struct ReceiptPredicate {
    private(set) var sql: String
    private(set) var arguments: [(any DatabaseValueConvertible)?]

    init(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?]) {
        self.sql = sql
        self.arguments = arguments
    }

    mutating func add(_ clause: String, _ values: [(any DatabaseValueConvertible)?]) {
        sql += " AND " + clause
        arguments += values
    }

    mutating func add(_ clause: String, _ value: (any DatabaseValueConvertible)?) {
        guard let value else { return }
        add(clause, [value])
    }

    mutating func add(_ f: ReceiptFilter) {
        add("issued_at >= ?", f.issuedFrom)
        add("issued_at <= ?", f.issuedTo)
        add("received_at >= ?", f.receivedFrom)
        add("received_at <= ?", f.receivedTo)
        add("status = ?", f.status?.rawValue)
        add("uuid = ?", f.uuid?.lowercased())
        add("submission_uuid = ?", f.submissionUUID)
        add("receipt_number = ?", f.receiptNumber)
        if let types = f.receiptTypes {
            if types.isEmpty {
                add("0", [])
            } else {
                add("lower(receipt_type) IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))", types.map { $0.lowercased() })
            }
        }
        add("type_version = ?", f.typeVersion)
        add("pos_serial = ?", f.posSerial)
        switch f.channel?.uppercased() {
        case nil: break
        case "POS": add("pos_serial <> ''", [])
        case "ERP": add("pos_serial = ''", [])
        default: add("0", [])
        }
        add("buyer_id = ?", f.receiverId)
        add("buyer_name = ?", f.receiverName)
        add("seller_rin = ?", f.issuerId)
        add("buyer_type = ?", f.receiverType)
        add("payment_method = ?", f.paymentMethod)
        if let text = f.freeText, !text.isEmpty {
            // Exact issue date and exact total match at any length; fragments need 5 characters
            // besides wildcards (ETA SDK /ereceiptapi/07). `*` is the documented wildcard; `%` and
            // `_` are literal.
            var alternatives = "total_amount = ? OR substr(date_time_issued, 1, 10) = ?"
            var values: [(any DatabaseValueConvertible)?] = [text, text]
            if text.filter({ $0 != "*" }).count >= 5 {
                let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "*", with: "%")
                let pattern = "%" + escaped + "%"
                let columns = ["uuid", "receipt_number", "submission_uuid", "seller_rin", "seller_name", "buyer_id", "buyer_name", "pos_serial"]
                alternatives += columns.map { " OR \($0) LIKE ? ESCAPE '\\'" }.joined()
                values += Array(repeating: pattern, count: columns.count)
            }
            add("(\(alternatives))", values)
        }
    }

    /// ORDER BY for `sort`; ties broken by uuid so pages never overlap.
    static func orderBy(_ sort: ReceiptSort) -> String {
        let column = switch sort.key {
        case .dateTimeIssued: "issued_at"
        case .dateTimeReceived: "received_at"
        case .receiptNumber: "receipt_number"
        case .totalAmount: "CAST(total_amount AS REAL)"
        case .uuid: "uuid"
        case .status: "status"
        case .documentType: "lower(receipt_type)"
        case .receiverName: "buyer_name"
        }
        let direction = sort.descending ? "DESC" : "ASC"
        return sort.key == .uuid ? "uuid \(direction)" : "\(column) \(direction), uuid"
    }
}
