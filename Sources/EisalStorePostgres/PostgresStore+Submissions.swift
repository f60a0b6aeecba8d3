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
            """, Self.submission).first
    }

    public func existingReceiptUUIDs(_ uuids: [String]) async throws -> Set<String> {
        guard !uuids.isEmpty else { return [] }
        return Set(try await rows("SELECT uuid FROM receipts WHERE uuid = ANY(\(uuids))") { try $0.decode(String.self) })
    }

    public func commitSubmission(_ s: SubmissionRecord, text: [UInt8], documents: [DocumentRecord], job: JobKind) async throws -> CommittedSubmission {
        for d in documents {
            precondition(d.textRange.lowerBound >= 0 && d.textRange.upperBound <= text.count, "a document's text lies in its submission text")
        }
        // ONE statement, committed on its own (one round trip): its parts run as one transaction.
        // Each seller's documents get the next numbers of its sequence in position order; the
        // sequence row stays locked until the commit, so the numbers follow commit order across
        // nodes, and the lock is held for this statement's run alone (sellers locked in one order:
        // no deadlock between two submissions). A document whose UUID is already stored (by any
        // node, also one committing at this moment: the insert waits for it) is left out; its
        // number is a gap, as on SQLite. The commit waits for the WAL flush when durability is full.
        let rows = try await prepared(CommitSubmission.self, Self.commitQuery(s, text: text, documents: documents, job: job, durability: settings.durability))
        var textID: Int64 = 0
        var sequences: [String: Int64] = [:]
        do {
            for row in rows {
                let (text, uuid, sequence) = try row.decode((Int64, String?, Int64?).self)
                textID = text
                if let uuid, let sequence { sequences[uuid] = sequence }
            }
        } catch {
            throw Self.storeError(error)
        }
        let duplicates = Set(documents.map(\.uuid).filter { sequences[$0] == nil })
        if sequences.isEmpty {
            // Nothing committed but the text: it goes too (a rare race; unsynced is enough). The
            // outcome is already decided (all duplicates): a failure here only leaves the text.
            do { try await unsyncedStatement("DELETE FROM submission_texts WHERE id = \(textID)") } catch {
                logger.warning("an unused submission text was left", metadata: ["text": "\(textID)", "error": "\(error)"])
            }
        }
        return CommittedSubmission(duplicates: duplicates, sellerSequences: documents.map { sequences[$0.uuid] ?? 0 })
    }

    static func commitQuery(_ s: SubmissionRecord, text: [UInt8], documents: [DocumentRecord], job: JobKind, durability: Durability) -> PostgresQuery {
        func column(_ value: (DocumentRecord) -> String) -> [String] { documents.map(value) }
        // Each document's place among its seller's documents of this submission (1, 2, …, in
        // position order) and that seller's count, counted here: the statement then numbers each
        // document from its seller's new sequence value alone, without sorting, grouping or
        // materializing the documents on the server.
        var counts: [String: Int64] = [:]
        let places = documents.map { d -> Int64 in
            counts[d.sellerRIN, default: 0] += 1
            return counts[d.sellerRIN]!
        }
        let sellers = counts.keys.sorted()
        return """
            WITH seq AS (
                INSERT INTO sequences (name, value) SELECT 'seller:' || c.seller, c.n FROM unnest(\(sellers)::text[], \(sellers.map { counts[$0]! })::int8[]) AS c(seller, n)
                ORDER BY c.seller
                ON CONFLICT (name) DO UPDATE SET value = sequences.value + excluded.value RETURNING name, value),
            text AS (
                INSERT INTO submission_texts (raw) SELECT \(ByteBuffer(bytes: text))
                FROM (SELECT set_config('synchronous_commit', \(durability == .full ? "on" : "off"), true)) AS durability RETURNING id),
            inserted AS (
                INSERT INTO receipts (uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                    buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                    date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, family, text_offset, text_length,
                    seller_seq, text_id)
                SELECT d.uuid, d.submission_uuid, d.long_id, d.receipt_number, d.position, d.seller_rin, d.seller_name, d.branch_code, d.pos_serial,
                    d.buyer_type, d.buyer_id, d.buyer_name, d.receipt_type, d.type_version, d.currency, d.total_amount, d.exchange_rate, d.payment_method,
                    d.date_time_issued, d.issued_at, d.received_at, d.previous_uuid, d.reference_uuid, d.status, d.errors, d.family, d.text_offset, d.text_length,
                    s.value - d.seller_count + d.place, t.id
                FROM unnest(\(column(\.uuid))::text[], \(column(\.submissionUUID))::text[], \(column(\.longId))::text[],
                    \(column(\.receiptNumber))::text[], \(documents.map { Int64($0.position) })::int8[], \(column(\.sellerRIN))::text[],
                    \(column(\.sellerName))::text[], \(column(\.branchCode))::text[], \(column(\.posSerial))::text[], \(column(\.buyerType))::text[],
                    \(column(\.buyerId))::text[], \(column(\.buyerName))::text[], \(column(\.receiptType))::text[], \(column(\.typeVersion))::text[],
                    \(column(\.currency))::text[], \(column(\.totalAmount))::text[], \(column(\.exchangeRate))::text[], \(column(\.paymentMethod))::text[],
                    \(column(\.dateTimeIssued))::text[], \(documents.map(\.issuedAt))::int8[], \(documents.map(\.receivedAt))::int8[],
                    \(column(\.previousUUID))::text[], \(column(\.referenceUUID))::text[], \(column(\.status.rawValue))::text[],
                    \(documents.map { StoredValues.errorsText($0.errors) })::text[], \(column(\.family))::text[],
                    \(documents.map { Int64($0.textRange.lowerBound) })::int8[], \(documents.map { Int64($0.textRange.count) })::int8[],
                    \(places)::int8[], \(documents.map { counts[$0.sellerRIN]! })::int8[])
                    WITH ORDINALITY AS d(uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                        buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                        date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, family, text_offset, text_length,
                        place, seller_count, ord)
                JOIN seq s ON s.name = 'seller:' || d.seller_rin CROSS JOIN text t
                ORDER BY d.ord
                ON CONFLICT (uuid) DO NOTHING
                RETURNING uuid, id, seller_seq),
            submission AS (
                INSERT INTO submissions (uuid, taxpayer_rin, client_id, pos_serial, submitter_name, channel, received_at, payload_hash, status,
                    receipt_count, invalid_count, signatures, first_receipt_id, last_receipt_id, family)
                SELECT \(s.uuid), \(s.taxpayerRIN), \(s.clientID), \(s.posSerial), \(s.submitterName), \(s.channel), \(s.receivedAt), \(s.payloadHash),
                    \(s.status.rawValue), count(*), \(Int64(s.invalidCount)), \(s.signatures), min(id), max(id), \(s.family)
                FROM inserted HAVING count(*) > 0),
            job AS (
                INSERT INTO jobs (kind, submission_uuid, created_at) SELECT \(job.rawValue), \(s.uuid), \(s.receivedAt) WHERE EXISTS (SELECT 1 FROM inserted))
            SELECT t.id, i.uuid, i.seller_seq FROM text t LEFT JOIN inserted i ON true
            """
    }

    enum CommitSubmission: PreparedShape {
        static let sql = PostgresStore.commitQuery(SubmissionRecord(uuid: "", taxpayerRIN: "", clientID: "", posSerial: nil, submitterName: "", channel: "", receivedAt: 0,
                                                                    payloadHash: "", receiptCount: 0),
                                                   text: [], documents: [], job: .validation, durability: .full).sql
    }

    public func submission(uuid: String) async throws -> SubmissionRecord? {
        try await rows("SELECT \(unescaped: Self.submissionColumns) FROM submissions WHERE uuid = \(uuid)", Self.submission).first
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
