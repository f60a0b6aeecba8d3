// Documents by UUID, the queries the platform rules ask about earlier documents, and the listings.

import EisalCore
import EisalStore
import PostgresNIO

extension PostgresStore {
    public func receipt(uuid: String) async throws -> DocumentRecord? {
        try await reading { c in
            try await self.withTexts(c, c.rows("\(unescaped: Self.selectReceiptsWithText) WHERE r.uuid = \(uuid.lowercased())", self.logger)).first
        }
    }

    public func receipts(uuids: [String]) async throws -> [DocumentRecord] {
        guard !uuids.isEmpty else { return [] }
        return try await reading { c in
            try await self.withTexts(c, c.rows("\(unescaped: Self.selectReceiptsWithText) WHERE r.uuid = ANY(\(uuids))", self.logger))
        }
    }

    public func receiptNumberConflicts(submissionUUID: String) async throws -> [String: NumberConflict] {
        var conflicts: [String: NumberConflict] = [:]
        for (uuid, taken) in try await rows("""
            SELECT r.uuid, EXISTS (SELECT 1 FROM receipts o WHERE o.seller_rin = r.seller_rin AND o.pos_serial = r.pos_serial AND o.branch_code = r.branch_code
                                   AND o.receipt_number = r.receipt_number AND o.seller_seq < r.seller_seq AND o.status NOT IN ('Invalid', 'Submitted'))
            FROM receipts r WHERE r.submission_uuid = \(submissionUUID) AND EXISTS (
                SELECT 1 FROM receipts o WHERE o.seller_rin = r.seller_rin AND o.pos_serial = r.pos_serial AND o.branch_code = r.branch_code
                AND o.receipt_number = r.receipt_number AND o.seller_seq < r.seller_seq AND o.status <> 'Invalid')
            """, { try $0.decode((String, Bool).self) }) {
            conflicts[uuid] = taken ? .taken : .pending
        }
        return conflicts
    }

    public func chainKeys(uuids: [String]) async throws -> [String: ChainKey] {
        guard !uuids.isEmpty else { return [:] }
        var keys: [String: ChainKey] = [:]
        for (uuid, pos, seller, sequence) in try await rows("SELECT uuid, pos_serial, seller_rin, seller_seq FROM receipts WHERE uuid = ANY(\(uuids))",
                                                           { try $0.decode((String, String, String, Int64).self) }) {
            if keys[uuid] == nil { keys[uuid] = ChainKey(posSerial: pos, sellerRIN: seller, sellerSequence: sequence) }
        }
        return keys
    }

    public func posHasReceipts(posSerial: String, taxpayerRIN: String, before sequence: Int64) async throws -> Bool {
        try await rows("""
            SELECT EXISTS (SELECT 1 FROM receipts WHERE seller_rin = \(taxpayerRIN) AND pos_serial = \(posSerial) AND seller_seq < \(sequence))
            """) { try $0.decode(Bool.self) }.first ?? false
    }

    public func returns(referencing uuid: String) async throws -> [DocumentRecord] {
        try await rows("\(unescaped: Self.selectReceipts) WHERE reference_uuid = \(uuid) AND reference_uuid <> '' ORDER BY issued_at", Self.receipt)
    }

    public func uuidsWithReturns(among uuids: [String]) async throws -> Set<String> {
        guard !uuids.isEmpty else { return [] }
        return Set(try await rows("SELECT DISTINCT reference_uuid FROM receipts WHERE reference_uuid = ANY(\(uuids)) AND reference_uuid <> ''") { try $0.decode(String.self) })
    }

    public func search(_ q: ReceiptQuery) async throws -> Page<DocumentRecord> {
        let (predicate, order, offset) = ReceiptPredicate.search(q, dialect: .postgres)
        return try await reading { c in
            let total = try await c.rows(Self.query("SELECT COUNT(*) FROM receipts r WHERE \(predicate.sql)", predicate.values), self.logger).first?.decode(Int64.self) ?? 0
            let rows = try await c.rows(Self.query("\(Self.selectReceipts) WHERE \(predicate.sql) ORDER BY \(order) LIMIT ? OFFSET ?",
                                                   predicate.values + [.integer(Int64(q.pageSize)), .integer(Int64(offset))]), self.logger)
            return Page(items: try rows.map(Self.receipt), totalCount: Int(total))
        }
    }
}
