// Submissions: duplicate detection, the one-transaction commit of a submission with its documents,
// its text and its job, and the documents of a submission, with their texts.

import EisalCore
import EisalStore
import NIOCore
import PostgresNIO

extension PostgresStore {
    static let submissionColumns = """
        uuid, family, taxpayer_rin, client_id, pos_serial, submitter_name, channel, received_at, payload_hash, status, receipt_count, invalid_count, signatures
        """

    static func submission(_ row: PostgresRow) throws -> SubmissionRecord {
        let c = row.makeRandomAccess()
        return SubmissionRecord(uuid: try c[0].decode(String.self), family: try c[1].decode(String.self), taxpayerRIN: try c[2].decode(String.self),
                                clientID: try c[3].decode(String.self), posSerial: try c[4].decode(String?.self), submitterName: try c[5].decode(String.self),
                                channel: try c[6].decode(String.self), receivedAt: try c[7].decode(Int64.self), payloadHash: try c[8].decode(String.self),
                                status: SubmissionStatus(rawValue: try c[9].decode(String.self)) ?? .inProgress, receiptCount: Int(try c[10].decode(Int64.self)),
                                invalidCount: Int(try c[11].decode(Int64.self)), signatures: try c[12].decode(String?.self))
    }

    public func recentSubmission(taxpayerRIN: String, payloadHash: String, since: Int64) async throws -> SubmissionRecord? {
        try await rows("""
            SELECT \(unescaped: Self.submissionColumns) FROM submissions WHERE taxpayer_rin = \(taxpayerRIN) AND payload_hash = \(payloadHash) AND received_at >= \(since)
            ORDER BY received_at DESC LIMIT 1
            """).first.map(Self.submission)
    }

    public func existingReceiptUUIDs(_ uuids: [String]) async throws -> Set<String> {
        guard !uuids.isEmpty else { return [] }
        return Set(try await rows("SELECT uuid FROM receipts WHERE uuid = ANY(\(uuids))").map { try $0.decode(String.self) })
    }

    public func commitSubmission(_ s: SubmissionRecord, text: [UInt8], documents: [DocumentRecord], job: JobKind) async throws -> CommittedSubmission {
        for d in documents {
            precondition(d.textRange.lowerBound >= 0 && d.textRange.upperBound <= text.count, "a document's text lies in its submission text")
        }
        let logger = logger
        return try await writing { c in
            let textID = try await c.rows("INSERT INTO submission_texts (raw) VALUES (\(ByteBuffer(bytes: text))) RETURNING id", logger).first?.decode(Int64.self) ?? 0
            // One statement for every document; a UUID already stored (by any node, also one
            // committing at this moment: the insert waits for it) is left out.
            func column(_ value: (DocumentRecord) -> String) -> [String] { documents.map(value) }
            let inserted = try await c.rows("""
                INSERT INTO receipts (uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                    buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                    date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, family, text_offset, text_length, seller_seq, text_id)
                SELECT u.*, \(textID) FROM unnest(\(column(\.uuid))::text[], \(column(\.submissionUUID))::text[], \(column(\.longId))::text[],
                    \(column(\.receiptNumber))::text[], \(documents.map { Int64($0.position) })::int8[], \(column(\.sellerRIN))::text[],
                    \(column(\.sellerName))::text[], \(column(\.branchCode))::text[], \(column(\.posSerial))::text[], \(column(\.buyerType))::text[],
                    \(column(\.buyerId))::text[], \(column(\.buyerName))::text[], \(column(\.receiptType))::text[], \(column(\.typeVersion))::text[],
                    \(column(\.currency))::text[], \(column(\.totalAmount))::text[], \(column(\.exchangeRate))::text[], \(column(\.paymentMethod))::text[],
                    \(column(\.dateTimeIssued))::text[], \(documents.map(\.issuedAt))::int8[], \(documents.map(\.receivedAt))::int8[],
                    \(column(\.previousUUID))::text[], \(column(\.referenceUUID))::text[], \(column(\.status.rawValue))::text[],
                    \(documents.map { StoredValues.errorsText($0.errors) })::text[], \(column(\.family))::text[],
                    \(documents.map { Int64($0.textRange.lowerBound) })::int8[], \(documents.map { Int64($0.textRange.count) })::int8[],
                    \([Int64](repeating: 0, count: documents.count))::int8[]) AS u
                ON CONFLICT (uuid) DO NOTHING
                RETURNING uuid, id
                """, logger)
            var insertedIDs: [String: Int64] = [:]
            for row in inserted {
                let (uuid, id) = try row.decode((String, Int64).self)
                insertedIDs[uuid] = id
            }
            let duplicates = Set(documents.map(\.uuid).filter { insertedIDs[$0] == nil })
            guard let first = insertedIDs.values.min(), let last = insertedIDs.values.max() else {
                try await c.rows("DELETE FROM submission_texts WHERE id = \(textID)", logger)
                return CommittedSubmission(duplicates: duplicates, sellerSequences: [Int64](repeating: 0, count: documents.count))
            }
            try await c.rows("""
                INSERT INTO submissions (uuid, taxpayer_rin, client_id, pos_serial, submitter_name, channel, received_at, payload_hash, status,
                    receipt_count, invalid_count, signatures, first_receipt_id, last_receipt_id, family)
                VALUES (\(s.uuid), \(s.taxpayerRIN), \(s.clientID), \(s.posSerial), \(s.submitterName), \(s.channel), \(s.receivedAt), \(s.payloadHash),
                    \(s.status.rawValue), \(Int64(insertedIDs.count)), \(Int64(s.invalidCount)), \(s.signatures), \(first), \(last), \(s.family))
                """, logger)
            try await c.rows("INSERT INTO jobs (kind, submission_uuid, created_at) VALUES (\(job.rawValue), \(s.uuid), \(s.receivedAt))", logger)
            // Last, just before the commit: each seller's committed documents get the next numbers
            // of its sequence, in position order. The sequence row stays locked until the commit,
            // so the numbers follow commit order across nodes, and it is held this briefly only
            // (sellers locked in one order: no deadlock between two submissions).
            var counts: [String: Int64] = [:]
            for d in documents where insertedIDs[d.uuid] != nil { counts[d.sellerRIN, default: 0] += 1 }
            var next: [String: Int64] = [:]
            for (seller, count) in counts.sorted(by: { $0.key < $1.key }) {
                let last = try await c.rows("""
                    INSERT INTO sequences (name, value) VALUES (\("seller:" + seller), \(count))
                    ON CONFLICT (name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value
                    """, logger).first?.decode(Int64.self) ?? count
                next[seller] = last - count + 1
            }
            var sequences = [Int64](repeating: 0, count: documents.count)
            var ids: [Int64] = [], numbers: [Int64] = []
            for (k, d) in documents.enumerated() {
                guard let id = insertedIDs[d.uuid] else { continue }
                let n = next[d.sellerRIN, default: 0]
                next[d.sellerRIN] = n + 1
                sequences[k] = n
                ids.append(id)
                numbers.append(n)
            }
            try await c.rows("""
                UPDATE receipts r SET seller_seq = v.seq FROM unnest(\(ids)::int8[], \(numbers)::int8[]) AS v(id, seq) WHERE r.id = v.id
                """, logger)
            return CommittedSubmission(duplicates: duplicates, sellerSequences: sequences)
        }
    }

    public func submission(uuid: String) async throws -> SubmissionRecord? {
        try await rows("SELECT \(unescaped: Self.submissionColumns) FROM submissions WHERE uuid = \(uuid)").first.map(Self.submission)
    }

    public func receipts(ofSubmission uuid: String, matching filter: ReceiptFilter, sort: ReceiptSort?, pageNo: Int, pageSize: Int,
                         withText: Bool) async throws -> Page<DocumentRecord> {
        var predicate = ReceiptPredicate("r.submission_uuid = ?", [.text(uuid)], dialect: .postgres)
        predicate.add(filter)
        let order = sort.map(predicate.orderBy) ?? "position"
        let offset = StoredValues.offset(pageNo: pageNo, pageSize: pageSize)
        return try await reading { c in
            let total = try await c.rows(Self.query("SELECT COUNT(*) FROM receipts r WHERE \(predicate.sql)", predicate.values), self.logger).first?.decode(Int64.self) ?? 0
            let select = withText ? Self.selectReceiptsWithText : Self.selectReceipts
            let rows = try await c.rows(Self.query("\(select) WHERE \(predicate.sql) ORDER BY \(order) LIMIT ? OFFSET ?",
                                                   predicate.values + [.integer(Int64(pageSize)), .integer(Int64(min(offset, Int(Int64.max))))]), self.logger)
            return Page(items: withText ? try await self.withTexts(c, rows) : try rows.map(Self.receipt), totalCount: Int(total))
        }
    }

    /// `sql` with its `?` placeholders numbered ($1, $2, …) and `values` bound to them.
    static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var numbered = ""
        numbered.reserveCapacity(sql.utf8.count + values.count * 2)
        var n = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?", !quoted {
                n += 1
                numbered += "$\(n)"
            } else {
                numbered.append(character)
            }
        }
        precondition(n == values.count, "one value per placeholder")
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case let .text(text): binds.append(text)
            case let .integer(integer): binds.append(integer)
            }
        }
        return PostgresQuery(unsafeSQL: numbered, binds: binds)
    }

    // MARK: Texts

    /// Records of rows selected with ``selectReceiptsWithText``, texts filled in. A submission
    /// text that many rows point into (a listing) is read once, whole; otherwise each document's
    /// slice is read alone (the column is stored uncompressed, so only its chunks are read).
    func withTexts(_ c: PostgresConnection, _ rows: [PostgresRow]) async throws -> [DocumentRecord] {
        var places: [(record: DocumentRecord, body: Int64?, text: Int64?, offset: Int64, length: Int64)] = []
        var rowsPerText: [Int64: Int] = [:]
        for row in rows {
            let cells = row.makeRandomAccess()
            let record = try Self.receipt(row)
            let body = try cells[28].decode(Int64?.self), text = try cells[29].decode(Int64?.self)
            let offset = try cells[30].decode(Int64?.self) ?? 0, length = try cells[31].decode(Int64?.self) ?? 0
            if let text { rowsPerText[text, default: 0] += 1 }
            places.append((record, body, text, offset, length))
        }
        var whole: [Int64: [UInt8]] = [:]
        var records: [DocumentRecord] = []
        records.reserveCapacity(places.count)
        for place in places {
            var record = place.record
            if let text = place.text {
                guard place.offset >= 0, place.length >= 0 else { throw Self.corruptText(record.uuid, text) }
                let bytes: [UInt8]
                if rowsPerText[text, default: 0] >= 16 {
                    if whole[text] == nil {
                        whole[text] = Self.bytes(try await c.rows("SELECT raw FROM submission_texts WHERE id = \(text)", logger).first?.decode(ByteBuffer.self))
                    }
                    let all = whole[text]!
                    guard place.offset + place.length <= Int64(all.count) else { throw Self.corruptText(record.uuid, text) }
                    bytes = Array(all[Int(place.offset) ..< Int(place.offset + place.length)])
                } else {
                    guard let row = try await c.rows("""
                        SELECT substring(raw FROM \(Int32(clamping: place.offset + 1)) FOR \(Int32(clamping: place.length))), octet_length(raw)::int8 FROM submission_texts WHERE id = \(text)
                        """, logger).first else { throw Self.corruptText(record.uuid, text) }
                    let (slice, total) = try row.decode((ByteBuffer, Int64).self)
                    guard place.offset + place.length <= total else { throw Self.corruptText(record.uuid, text) }
                    bytes = Self.bytes(slice)
                }
                record.raw = bytes
                record.textRange = Int(place.offset) ..< Int(place.offset + place.length)
            } else if let body = place.body {
                // A text kept by SQLite's schema v2 (a moved database).
                record.raw = Self.bytes(try await c.rows("SELECT raw FROM receipt_bodies WHERE id = \(body)", logger).first?.decode(ByteBuffer.self))
            }
            records.append(record)
        }
        return records
    }

    static func corruptText(_ receipt: String, _ id: Int64) -> StoreError {
        .corrupt("receipt \(receipt): its text range lies outside submission text \(id)")
    }
}
