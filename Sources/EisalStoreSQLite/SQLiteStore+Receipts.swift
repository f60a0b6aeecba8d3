// Documents by UUID, the queries the platform rules ask about earlier documents, and the listings.

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    public func receipt(uuid: String) async throws -> DocumentRecord? {
        try reading { db in try Self.withTexts(db, Row.fetchAll(db, sql: "\(Self.selectReceiptsWithText) WHERE uuid = ?", arguments: [uuid.lowercased()])).first }
    }

    public func receipts(uuids: [String]) async throws -> [DocumentRecord] {
        guard !uuids.isEmpty else { return [] }
        return try reading { db in
            try Self.inChunks(uuids) { marks, arguments in
                try Self.withTexts(db, Row.fetchAll(db, sql: "\(Self.selectReceiptsWithText) WHERE uuid IN (\(marks))", arguments: arguments))
            }
        }
    }

    public func receiptNumberConflicts(submissionUUID: String) async throws -> [String: NumberConflict] {
        try reading { db in
            var conflicts: [String: NumberConflict] = [:]
            // Correlated EXISTS, one index probe per receipt (a join with GROUP BY cost 16 times more).
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.uuid, EXISTS (SELECT 1 FROM receipts o WHERE o.seller_rin = r.seller_rin AND o.pos_serial = r.pos_serial AND o.branch_code = r.branch_code
                                       AND o.receipt_number = r.receipt_number AND o.seller_seq < r.seller_seq AND o.status NOT IN ('Invalid', 'Submitted'))
                FROM receipts r WHERE \(Self.ofSubmission) AND EXISTS (
                    SELECT 1 FROM receipts o WHERE o.seller_rin = r.seller_rin AND o.pos_serial = r.pos_serial AND o.branch_code = r.branch_code
                    AND o.receipt_number = r.receipt_number AND o.seller_seq < r.seller_seq AND o.status <> 'Invalid')
                """), arguments: [submissionUUID, submissionUUID, submissionUUID]) {
                conflicts[row[0]] = (row[1] as Bool) ? .taken : .pending
            }
            return conflicts
        }
    }

    public func chainKeys(uuids: [String]) async throws -> [String: ChainKey] {
        guard !uuids.isEmpty else { return [:] }
        let rows: [(String, ChainKey)] = try reading { db in
            try Self.inChunks(uuids) { marks, arguments in
                try Row.fetchAll(db, sql: "SELECT uuid, pos_serial, seller_rin, seller_seq FROM receipts WHERE uuid IN (\(marks))", arguments: arguments)
                    .map { ($0[0], ChainKey(posSerial: $0[1], sellerRIN: $0[2], sellerSequence: $0[3])) }
            }
        }
        return Dictionary(rows, uniquingKeysWith: { a, _ in a })
    }

    public func posHasReceipts(posSerial: String, taxpayerRIN: String, before sequence: Int64) async throws -> Bool {
        // The seller's sequence (commit order), not reception time: two receipts received in the
        // same second are still one before the other.
        try reading { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM receipts WHERE seller_rin = ? AND pos_serial = ? AND seller_seq < ?)
                """), arguments: [taxpayerRIN, posSerial, sequence]) ?? false
        }
    }

    public func returns(referencing uuid: String) async throws -> [DocumentRecord] {
        try reading { db in try Row.fetchAll(db, sql: "\(Self.selectReceipts) WHERE reference_uuid = ? AND reference_uuid <> '' ORDER BY issued_at", arguments: [uuid]).map(Self.receipt) }
    }

    public func uuidsWithReturns(among uuids: [String]) async throws -> Set<String> {
        guard !uuids.isEmpty else { return [] }
        return try reading { db in
            Set(try Self.inChunks(uuids) { marks, arguments in
                try String.fetchAll(db, sql: "SELECT DISTINCT reference_uuid FROM receipts WHERE reference_uuid IN (\(marks)) AND reference_uuid <> ''", arguments: arguments)
            })
        }
    }

    public func search(_ q: ReceiptQuery) async throws -> Page<DocumentRecord> {
        let (predicate, order, offset) = ReceiptPredicate.search(q, dialect: .sqlite)
        let sendableArguments = Self.arguments(predicate.values)
        let condition = predicate.sql
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receipts r WHERE \(condition)", arguments: sendableArguments) ?? 0
            let rows = try Row.fetchAll(db, sql: "\(Self.selectReceipts) WHERE \(condition) ORDER BY \(order) LIMIT ? OFFSET ?",
                                        arguments: sendableArguments + [q.pageSize, offset])
            return Page(items: rows.map(Self.receipt), totalCount: total)
        }
    }

    /// A predicate's values as GRDB arguments.
    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case let .text(text): text
            case let .integer(integer): integer
            }
        })
    }
}
