// Submissions: duplicate detection, the one-transaction commit of a submission with its documents,
// its text and its job, and the documents of a submission.

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    static func submission(_ row: Row) -> SubmissionRecord {
        SubmissionRecord(uuid: row["uuid"], family: row["family"], taxpayerRIN: row["taxpayer_rin"], clientID: row["client_id"], posSerial: row["pos_serial"],
                         submitterName: row["submitter_name"], channel: row["channel"], receivedAt: row["received_at"], payloadHash: row["payload_hash"],
                         status: SubmissionStatus(rawValue: row["status"]) ?? .inProgress, receiptCount: row["receipt_count"],
                         invalidCount: row["invalid_count"], signatures: row["signatures"])
    }

    public func recentSubmission(taxpayerRIN: String, payloadHash: String, since: Int64) async throws -> SubmissionRecord? {
        try reading { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM submissions WHERE taxpayer_rin = ? AND payload_hash = ? AND received_at >= ? ORDER BY received_at DESC LIMIT 1"),
                             arguments: [taxpayerRIN, payloadHash, since]).map(Self.submission)
        }
    }

    public func existingReceiptUUIDs(_ uuids: [String]) async throws -> Set<String> {
        guard !uuids.isEmpty else { return [] }
        return try reading { db in
            Set(try Self.inChunks(uuids) { marks, arguments in
                try String.fetchAll(db, sql: "SELECT uuid FROM receipts WHERE uuid IN (\(marks))", arguments: arguments)
            })
        }
    }

    public func commitSubmission(_ s: SubmissionRecord, text: [UInt8], documents receipts: [DocumentRecord], job: JobKind) async throws -> CommittedSubmission {
        let keyOrder = keyOrder
        return try await writing { db in
            // OR IGNORE: a document whose UUID is already stored is left out (reported back).
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO receipts (uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                    buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                    date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, family, text_id, text_offset, text_length,
                    seller_seq, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            // Descending keys (conformance runs): each new key below every key so far.
            var nextDescendingKey = keyOrder == .descending ? (try Int64.fetchOne(db, sql: "SELECT min(id) FROM receipts") ?? 0) - 1 : 0
            // Each seller's receipts get the next numbers of the seller's sequence, in position order.
            var nextSequence = try Self.reserveSequences(db, for: receipts)
            // The submission text first: the receipts point into it.
            var textRow = DirectBinding(try db.cachedStatement(sql: "INSERT INTO submission_texts (raw) VALUES (?)").sqliteStatement)
            try text.withUnsafeBytes { raw in
                textRow.bind(blob: raw)
                defer { sqlite3_clear_bindings(textRow.statement) }
                try textRow.step(db)
            }
            let textID = db.lastInsertedRowID
            // The lowest and highest key given: the submission's documents lie in between (a
            // single writer makes them one run of keys; the submission key in the lookup keeps it
            // right whatever else lies there).
            var firstID: Int64 = .max, lastID: Int64 = .min
            var duplicates: Set<String> = []
            var sequences = [Int64](repeating: 0, count: receipts.count)
            // The text columns of a row are staged in one reused buffer and bound in place
            // (no copy and no allocation per column inside SQLite).
            var staged: [UInt8] = []
            staged.reserveCapacity(2048)
            var spans: [Range<Int>] = []
            spans.reserveCapacity(23)
            func stage(_ column: String) {
                let start = staged.count
                staged.append(contentsOf: column.utf8)
                spans.append(start ..< staged.count)
            }
            // No pointer into `staged` outlives this commit in the cached statement.
            defer { sqlite3_clear_bindings(insert.sqliteStatement) }
            for (k, r) in receipts.enumerated() {
                staged.removeAll(keepingCapacity: true)
                spans.removeAll(keepingCapacity: true)
                stage(r.uuid); stage(r.submissionUUID); stage(r.longId); stage(r.receiptNumber)
                stage(r.sellerRIN); stage(r.sellerName); stage(r.branchCode); stage(r.posSerial); stage(r.buyerType); stage(r.buyerId); stage(r.buyerName)
                stage(r.receiptType); stage(r.typeVersion); stage(r.currency); stage(r.totalAmount); stage(r.exchangeRate); stage(r.paymentMethod)
                stage(r.dateTimeIssued)
                stage(r.previousUUID); stage(r.referenceUUID); stage(r.status.rawValue); stage(Self.errorsText(r.errors)); stage(r.family)
                // Bound directly: GRDB's argument arrays cost more than the insert itself here.
                var row = DirectBinding(insert.sqliteStatement)
                try staged.withUnsafeBufferPointer { columns in
                    for k in 0 ..< 4 { row.bind(borrowing: columns, spans[k]) }
                    row.bind(Int64(r.position))
                    for k in 4 ..< 18 { row.bind(borrowing: columns, spans[k]) }
                    row.bind(r.issuedAt)
                    row.bind(r.receivedAt)
                    for k in 18 ..< 23 { row.bind(borrowing: columns, spans[k]) }
                    precondition(r.textRange.lowerBound >= 0 && r.textRange.upperBound <= text.count, "a document's text lies in its submission text")
                    row.bind(textID)
                    row.bind(Int64(r.textRange.lowerBound))
                    row.bind(Int64(r.textRange.count))
                    row.bind(nextSequence[r.sellerRIN, default: 0])
                    if keyOrder == .descending { row.bind(nextDescendingKey) } else { row.bindNull() }
                    // The staged columns are read during this step only.
                    try row.step(db)
                }
                let sequence = nextSequence[r.sellerRIN, default: 0]
                nextSequence[r.sellerRIN] = sequence + 1
                guard db.changesCount == 1 else {
                    duplicates.insert(r.uuid)
                    continue
                }
                sequences[k] = sequence
                let id = db.lastInsertedRowID
                nextDescendingKey = id - 1
                firstID = min(firstID, id)
                lastID = max(lastID, id)
            }
            let committed = receipts.count - duplicates.count
            guard committed > 0 else {
                try db.cachedStatement(sql: "DELETE FROM submission_texts WHERE id = ?").execute(arguments: [textID])
                return CommittedSubmission(duplicates: duplicates, sellerSequences: sequences)
            }
            try db.cachedStatement(sql: """
                INSERT INTO submissions (uuid, taxpayer_rin, client_id, pos_serial, submitter_name, channel, received_at, payload_hash, status,
                    receipt_count, invalid_count, signatures, first_receipt_id, last_receipt_id, family)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [s.uuid, s.taxpayerRIN, s.clientID, s.posSerial, s.submitterName, s.channel, s.receivedAt, s.payloadHash,
                                 s.status.rawValue, committed, s.invalidCount, s.signatures, firstID, lastID, s.family])
            try db.cachedStatement(sql: "INSERT INTO jobs (kind, submission_uuid, created_at) VALUES (?, ?, ?)").execute(arguments: [job.rawValue, s.uuid, s.receivedAt])
            return CommittedSubmission(duplicates: duplicates, sellerSequences: sequences)
        }
    }

    /// Reserves, for each seller among `receipts`, as many numbers of its sequence as it has
    /// receipts, and returns the first of each. Inside the commit's transaction, so the numbers
    /// follow commit order (a receipt left out as a duplicate leaves a gap, which is harmless).
    static func reserveSequences(_ db: Database, for receipts: [DocumentRecord]) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for r in receipts { counts[r.sellerRIN, default: 0] += 1 }
        var first: [String: Int64] = [:]
        let reserve = try db.cachedStatement(sql: """
            INSERT INTO sequences (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value RETURNING value
            """)
        for (seller, count) in counts {
            let last = try Int64.fetchOne(reserve, arguments: ["seller:" + seller, count]) ?? count
            first[seller] = last - count + 1
        }
        return first
    }

    public func submission(uuid: String) async throws -> SubmissionRecord? {
        try reading { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM submissions WHERE uuid = ?"), arguments: [uuid]).map(Self.submission) }
    }

    public func receipts(ofSubmission uuid: String, matching filter: ReceiptFilter, sort: ReceiptSort?, pageNo: Int, pageSize: Int,
                         withText: Bool) async throws -> Page<DocumentRecord> {
        var predicate = ReceiptPredicate(Self.ofSubmission, [.text(uuid), .text(uuid), .text(uuid)], dialect: .sqlite)
        predicate.add(filter)
        let sendableArguments = Self.arguments(predicate.values)
        let condition = predicate.sql
        let order = sort.map(predicate.orderBy) ?? "position"
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receipts r WHERE \(condition)", arguments: sendableArguments) ?? 0
            let select = withText ? Self.selectReceiptsWithText : Self.selectReceipts
            let rows = try Row.fetchAll(db, sql: "\(select) WHERE \(condition) ORDER BY \(order) LIMIT ? OFFSET ?",
                                        arguments: sendableArguments + [pageSize, Self.offset(pageNo: pageNo, pageSize: pageSize)])
            return Page(items: withText ? try Self.withTexts(db, rows) : rows.map(Self.receipt), totalCount: total)
        }
    }
}
