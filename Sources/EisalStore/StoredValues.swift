// How list and error columns are stored as text, the same on every backend (so a database moved
// from SQLite to PostgreSQL reads back the same records).

import EisalCore

/// Text forms of the columns that hold lists and errors.
public enum StoredValues {
    /// A list of strings as a JSON array.
    public static func json(_ list: [String]) -> String { JSONWriter().string(.array(list.map { .string($0) })) }

    /// A JSON array of strings read back (empty when it is not one).
    public static func list(_ text: String) -> [String] {
        (try? JSONParser().parse(text).root.elements.compactMap(\.string)) ?? []
    }

    /// Errors as stored: the contract's Error shape, a JSON array ("[]" when there are none).
    public static func errorsText(_ errors: [ETAError]) -> String {
        errors.isEmpty ? "[]" : JSONWriter().string((try? JSONValueEncoder().encode(errors)) ?? .array([]))
    }

    /// Stored errors read back.
    public static func errors(_ text: String) -> [ETAError] {
        guard text != "[]", let document = try? JSONParser().parse(Array(text.utf8)) else { return [] }
        return (try? JSONNodeDecoder().decode([ETAError].self, from: document.root)) ?? []
    }

    /// The columns of a document row both backends read, in the order their row readers take
    /// them by position (a text's place, when joined, comes after them).
    public static let documentColumns = """
        uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial, buyer_type, buyer_id, \
        buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method, date_time_issued, issued_at, received_at, \
        previous_uuid, reference_uuid, status, errors, verdicts, seller_seq, family
        """

    /// The OFFSET of page `pageNo` (from 1), saturating: a page past any possible row is simply empty.
    public static func offset(pageNo: Int, pageSize: Int) -> Int {
        let (offset, overflow) = max(0, pageNo - 1).multipliedReportingOverflow(by: max(0, pageSize))
        return overflow ? Int(Int64.max) : offset
    }
}
