// SQL for the receipt filters of Get Receipt Submission, Search Receipts and Get Recent Receipts
// (ETA SDK /ereceiptapi/06, /07, /08; parameters as spec/receipts-api.md lists them), shared by
// the backends: `?` placeholders and values, in the dialect of each.

/// A value bound to a `?` of a ``ReceiptPredicate``.
public enum SQLValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
}

/// The SQL dialects of the backends, where the predicate differs.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// Always false.
    var never: String { self == .sqlite ? "0" : "false" }
    /// Case-insensitive (ASCII) pattern match, as SQLite's LIKE is.
    var like: String { self == .sqlite ? "LIKE" : "ILIKE" }
    /// A stored amount as a number for sorting (0 when it is not one).
    var amount: String {
        self == .sqlite ? "CAST(total_amount AS REAL)"
            : "(CASE WHEN total_amount ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$' THEN total_amount::double precision ELSE 0 END)"
    }
}

/// A WHERE clause over `receipts` with `?` placeholders and its values, built from a ``ReceiptFilter``.
public struct ReceiptPredicate: Sendable {
    public private(set) var sql: String
    public private(set) var values: [SQLValue]
    public let dialect: SQLDialect

    public init(_ sql: String, _ values: [SQLValue], dialect: SQLDialect) {
        self.sql = sql
        self.values = values
        self.dialect = dialect
    }

    public mutating func add(_ clause: String, _ values: [SQLValue]) {
        sql += " AND " + clause
        self.values += values
    }

    mutating func add(_ clause: String, _ value: String?) {
        guard let value else { return }
        add(clause, [.text(value)])
    }

    mutating func add(_ clause: String, _ value: Int64?) {
        guard let value else { return }
        add(clause, [.integer(value)])
    }

    public mutating func add(_ f: ReceiptFilter) {
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
                add(dialect.never, [])
            } else {
                add("lower(receipt_type) IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))", types.map { .text($0.lowercased()) })
            }
        }
        add("type_version = ?", f.typeVersion)
        add("pos_serial = ?", f.posSerial)
        switch f.channel?.uppercased() {
        case nil: break
        case "POS": add("pos_serial <> ''", [])
        case "ERP": add("pos_serial = ''", [])
        default: add(dialect.never, [])
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
            var values: [SQLValue] = [.text(text), .text(text)]
            if text.filter({ $0 != "*" }).count >= 5 {
                let escaped = text.replacingAll("\\", with: "\\\\").replacingAll("%", with: "\\%").replacingAll("_", with: "\\_").replacingAll("*", with: "%")
                let pattern = "%" + escaped + "%"
                let columns = ["uuid", "receipt_number", "submission_uuid", "seller_rin", "seller_name", "buyer_id", "buyer_name", "pos_serial"]
                alternatives += columns.map { " OR \($0) \(dialect.like) ? ESCAPE '\\'" }.joined()
                values += Array(repeating: .text(pattern), count: columns.count)
            }
            add("(\(alternatives))", values)
        }
    }

    /// ORDER BY for `sort`; ties broken by uuid so pages never overlap.
    public func orderBy(_ sort: ReceiptSort) -> String {
        let column = switch sort.key {
        case .dateTimeIssued: "issued_at"
        case .dateTimeReceived: "received_at"
        case .receiptNumber: "receipt_number"
        case .totalAmount: dialect.amount
        case .uuid: "uuid"
        case .status: "status"
        case .documentType: "lower(receipt_type)"
        case .receiverName: "buyer_name"
        }
        let direction = sort.descending ? "DESC" : "ASC"
        return sort.key == .uuid ? "uuid \(direction)" : "\(column) \(direction), uuid"
    }

    /// The predicate, order and offset of a search (Search, Recent, document search).
    public static func search(_ q: ReceiptQuery, dialect: SQLDialect) -> (predicate: ReceiptPredicate, order: String, offset: Int) {
        var predicate: ReceiptPredicate
        // Documents: the receiver is a business other than the issuer, and sees a document once validated Valid.
        let received = q.receiverSeesValidatedOnly
            ? "buyer_id = ? AND buyer_type = 'B' AND buyer_id <> seller_rin AND status NOT IN ('Submitted', 'Invalid')" : "buyer_id = ? AND buyer_id <> ''"
        switch q.direction?.lowercased() {
        case "received":
            predicate = ReceiptPredicate(received, [.text(q.taxpayerRIN)], dialect: dialect)
        case "submitted", "issued", "sent":
            predicate = ReceiptPredicate("seller_rin = ?", [.text(q.taxpayerRIN)], dialect: dialect)
        default:
            predicate = ReceiptPredicate("(seller_rin = ? OR (\(received)))", [.text(q.taxpayerRIN), .text(q.taxpayerRIN)], dialect: dialect)
        }
        predicate.add(q.filter)
        predicate.add("family = ?", [.text(q.family)])
        if q.keyset, let after = q.after {
            predicate.add("(received_at < ? OR (received_at = ? AND uuid < ?))", [.integer(after.receivedAt), .integer(after.receivedAt), .text(after.uuid)])
        }
        let order = q.keyset ? "received_at DESC, uuid DESC" : q.sort.map(predicate.orderBy) ?? "issued_at DESC, uuid"
        let offset = q.keyset ? 0 : StoredValues.offset(pageNo: q.pageNo, pageSize: q.pageSize)
        return (predicate, order, offset)
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
