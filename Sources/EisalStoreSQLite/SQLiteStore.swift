// The embedded default store: GRDB on a SQLite file in WAL mode. Every state change is one
// transaction; jobs are claimed by lease so a killed process loses no work.

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

/// A ``PlatformStore`` on a SQLite file.
public final class SQLiteStore: PlatformStore {
    /// How commits reach the disk.
    public enum Durability: String, Sendable {
        /// `synchronous=FULL`: the WAL is synced on every commit (survives power loss).
        case full
        /// `synchronous=NORMAL`: survives a killed process, may lose the last commits on power loss.
        case normal
    }

    let pool: DatabasePool
    let durability: Durability

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String, durability: Durability = .full) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        self.durability = durability
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets `synchronous = NORMAL` on the writer after `prepareDatabase` runs (its WAL
        // default), so the store's durability is set again here, on the writer connection.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        }
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE taxpayers (rin TEXT PRIMARY KEY, name TEXT NOT NULL, name_ar TEXT NOT NULL, b2c INTEGER NOT NULL,
                    branches TEXT NOT NULL, activities TEXT NOT NULL);
                CREATE TABLE clients (client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, taxpayer_rin TEXT NOT NULL,
                    represented TEXT NOT NULL, blocked INTEGER NOT NULL);
                CREATE TABLE pos (serial TEXT PRIMARY KEY, taxpayer_rin TEXT NOT NULL, branch TEXT NOT NULL, os_version TEXT NOT NULL,
                    model_framework TEXT NOT NULL, psk TEXT NOT NULL, activated INTEGER NOT NULL);
                CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE submissions (uuid TEXT PRIMARY KEY, taxpayer_rin TEXT NOT NULL, client_id TEXT NOT NULL, pos_serial TEXT,
                    submitter_name TEXT NOT NULL, channel TEXT NOT NULL, received_at INTEGER NOT NULL, payload_hash TEXT NOT NULL,
                    status TEXT NOT NULL, receipt_count INTEGER NOT NULL, invalid_count INTEGER NOT NULL, signatures TEXT);
                CREATE INDEX submissions_duplicates ON submissions (taxpayer_rin, payload_hash, received_at);
                CREATE TABLE receipts (uuid TEXT PRIMARY KEY, submission_uuid TEXT NOT NULL, long_id TEXT NOT NULL, receipt_number TEXT NOT NULL,
                    position INTEGER NOT NULL, seller_rin TEXT NOT NULL, seller_name TEXT NOT NULL, branch_code TEXT NOT NULL, pos_serial TEXT NOT NULL,
                    buyer_type TEXT NOT NULL, buyer_id TEXT NOT NULL, buyer_name TEXT NOT NULL, receipt_type TEXT NOT NULL, type_version TEXT NOT NULL,
                    currency TEXT NOT NULL, total_amount TEXT NOT NULL, exchange_rate TEXT NOT NULL, payment_method TEXT NOT NULL,
                    date_time_issued TEXT NOT NULL, issued_at INTEGER NOT NULL, received_at INTEGER NOT NULL, previous_uuid TEXT NOT NULL,
                    reference_uuid TEXT NOT NULL, status TEXT NOT NULL, errors TEXT NOT NULL, verdicts INTEGER NOT NULL DEFAULT 0, raw BLOB NOT NULL);
                CREATE INDEX receipts_submission ON receipts (submission_uuid, position);
                CREATE INDEX receipts_seller ON receipts (seller_rin, issued_at);
                CREATE INDEX receipts_buyer ON receipts (buyer_id, issued_at);
                CREATE INDEX receipts_pos ON receipts (pos_serial, received_at);
                CREATE INDEX receipts_reference ON receipts (reference_uuid);
                CREATE INDEX receipts_number ON receipts (seller_rin, branch_code, pos_serial, receipt_number);
                CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, submission_uuid TEXT NOT NULL, created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER);
                """)
        }
        migrator.registerMigration("v2-receipt-bodies") { db in
            // Receipt texts move to their own append-only table: verdict updates then rewrite
            // ~400-byte rows instead of pages full of 2 KB texts, and listings stop reading
            // texts they do not show. Receipts get a stable integer key (`VACUUM` may renumber an
            // implicit rowid). A submission's receipts are committed together, so their keys are
            // one range, kept on the submission instead of an index; the two mostly-empty
            // columns get partial indexes; the POS index folds into the receipt-number one.
            try db.execute(sql: """
                CREATE TABLE receipts_v2 (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, submission_uuid TEXT NOT NULL, long_id TEXT NOT NULL,
                    receipt_number TEXT NOT NULL, position INTEGER NOT NULL, seller_rin TEXT NOT NULL, seller_name TEXT NOT NULL, branch_code TEXT NOT NULL,
                    pos_serial TEXT NOT NULL, buyer_type TEXT NOT NULL, buyer_id TEXT NOT NULL, buyer_name TEXT NOT NULL, receipt_type TEXT NOT NULL,
                    type_version TEXT NOT NULL, currency TEXT NOT NULL, total_amount TEXT NOT NULL, exchange_rate TEXT NOT NULL, payment_method TEXT NOT NULL,
                    date_time_issued TEXT NOT NULL, issued_at INTEGER NOT NULL, received_at INTEGER NOT NULL, previous_uuid TEXT NOT NULL,
                    reference_uuid TEXT NOT NULL, status TEXT NOT NULL, errors TEXT NOT NULL, verdicts INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE receipt_bodies (id INTEGER PRIMARY KEY, raw BLOB NOT NULL);
                INSERT INTO receipts_v2 SELECT rowid, \(v1ReceiptColumns) FROM receipts ORDER BY rowid;
                INSERT INTO receipt_bodies SELECT rowid, raw FROM receipts ORDER BY rowid;
                DROP TABLE receipts;
                ALTER TABLE receipts_v2 RENAME TO receipts;
                CREATE INDEX receipts_seller ON receipts (seller_rin, issued_at);
                CREATE INDEX receipts_buyer ON receipts (buyer_id, issued_at) WHERE buyer_id <> '';
                CREATE INDEX receipts_reference ON receipts (reference_uuid) WHERE reference_uuid <> '';
                CREATE INDEX receipts_number ON receipts (seller_rin, pos_serial, branch_code, receipt_number);
                ALTER TABLE submissions ADD COLUMN first_receipt_id INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE submissions ADD COLUMN last_receipt_id INTEGER NOT NULL DEFAULT -1;
                UPDATE submissions SET
                    first_receipt_id = coalesce((SELECT min(id) FROM receipts WHERE submission_uuid = submissions.uuid), 0),
                    last_receipt_id = coalesce((SELECT max(id) FROM receipts WHERE submission_uuid = submissions.uuid), -1);
                """)
        }
        migrator.registerMigration("v3-submission-texts") { db in
            // A submission's text is stored once, as received, instead of one row per receipt
            // text: a 3 KB text filled a 4 KB page of its own, and each was one more insert.
            // Receipts point into it; rows from before keep their text in `receipt_bodies`.
            try db.execute(sql: """
                CREATE TABLE submission_texts (id INTEGER PRIMARY KEY, raw BLOB NOT NULL);
                ALTER TABLE receipts ADD COLUMN text_id INTEGER;
                ALTER TABLE receipts ADD COLUMN text_offset INTEGER;
                ALTER TABLE receipts ADD COLUMN text_length INTEGER;
                """)
        }
        migrator.registerMigration("v4-sequences-leases-pos-logins") { db in
            // "Earlier" for the chain, number and reference rules is an explicit per-seller
            // sequence assigned at commit (rows from before keep their id, which was their commit
            // order); jobs can be deferred and carry the node that leased them, so a restarted
            // node takes its own leases back at once; the last login of each POS is kept.
            try db.execute(sql: """
                ALTER TABLE receipts ADD COLUMN seller_seq INTEGER NOT NULL DEFAULT 0;
                UPDATE receipts SET seller_seq = id;
                CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO sequences SELECT 'seller:' || seller_rin, max(id) FROM receipts GROUP BY seller_rin;
                ALTER TABLE jobs ADD COLUMN not_before INTEGER;
                ALTER TABLE jobs ADD COLUMN lease_node TEXT;
                ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'validation';
                CREATE TABLE pos_logins (serial TEXT PRIMARY KEY, client_id TEXT NOT NULL, at INTEGER NOT NULL, os_version TEXT,
                    model_framework TEXT, psk TEXT NOT NULL);
                """)
        }
        return migrator
    }

    /// The receipt columns of schema v1, copied by migration v2.
    static let v1ReceiptColumns = """
        uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial, buyer_type, buyer_id, \
        buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method, date_time_issued, issued_at, received_at, \
        previous_uuid, reference_uuid, status, errors, verdicts
        """

    /// The columns ``receipt(_:)`` reads, in its order (the text, when joined, comes after them).
    static let receiptColumns = """
        uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial, buyer_type, buyer_id, \
        buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method, date_time_issued, issued_at, received_at, \
        previous_uuid, reference_uuid, status, errors, verdicts, seller_seq
        """

    /// Receipts of the submission named by the next three arguments (its uuid three times): the
    /// key range its commit used (one writer makes it one range of consecutive keys), and the
    /// submission key itself, so the predicate stays right even if other rows fell in the range.
    static let ofSubmission = "r.id BETWEEN (SELECT first_receipt_id FROM submissions WHERE uuid = ?) AND (SELECT last_receipt_id FROM submissions WHERE uuid = ?) AND r.submission_uuid = ?"

    /// Receipt rows with where their texts are: a v2 body (column 27) or a place in a
    /// submission text (28–30); ``withTexts(_:_:)`` reads them.
    static let selectReceiptsWithText = "SELECT \(receiptColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")), b.raw, r.text_id, r.text_offset, r.text_length FROM receipts r LEFT JOIN receipt_bodies b ON b.id = r.id"
    /// Receipt rows without their texts (listings).
    static let selectReceipts = "SELECT \(receiptColumns) FROM receipts r"

    // MARK: Registry

    static func json(_ list: [String]) -> String { JSONWriter().string(.array(list.map { .string($0) })) }
    static func list(_ text: String) -> [String] {
        (try? JSONParser().parse(text).root.elements.compactMap(\.string)) ?? []
    }

    public func upsertTaxpayer(_ t: TaxpayerRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO taxpayers VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [t.rin, t.name, t.nameArabic, t.b2c, Self.json(t.branches), Self.json(t.activityCodes)])
        }
    }

    static func taxpayer(_ row: Row) -> TaxpayerRecord {
        TaxpayerRecord(rin: row["rin"], name: row["name"], nameArabic: row["name_ar"], b2c: row["b2c"], branches: list(row["branches"]), activityCodes: list(row["activities"]))
    }

    public func taxpayer(rin: String) async throws -> TaxpayerRecord? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM taxpayers WHERE rin = ?", arguments: [rin]).map(Self.taxpayer) }
    }

    public func taxpayers() async throws -> [TaxpayerRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM taxpayers ORDER BY rin").map(Self.taxpayer) }
    }

    public func upsertClient(_ c: ClientRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO clients VALUES (?, ?, ?, ?, ?)",
                           arguments: [c.clientID, c.secretHash, c.taxpayerRIN, Self.json(c.representedRINs), c.blocked])
        }
    }

    static func client(_ row: Row) -> ClientRecord {
        ClientRecord(clientID: row["client_id"], secretHash: row["secret_hash"], taxpayerRIN: row["taxpayer_rin"], representedRINs: list(row["represented"]), blocked: row["blocked"])
    }

    public func client(id: String) async throws -> ClientRecord? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM clients WHERE client_id = ?", arguments: [id]).map(Self.client) }
    }

    public func clients() async throws -> [ClientRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM clients ORDER BY client_id").map(Self.client) }
    }

    public func upsertPOS(_ p: POSRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO pos VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [p.serial, p.taxpayerRIN, p.branchCode, p.osVersion, p.modelFramework, p.presharedKey, p.activated])
        }
    }

    static func pos(_ row: Row) -> POSRecord {
        POSRecord(serial: row["serial"], taxpayerRIN: row["taxpayer_rin"], branchCode: row["branch"], osVersion: row["os_version"], modelFramework: row["model_framework"], presharedKey: row["psk"], activated: row["activated"])
    }

    public func pos(serial: String) async throws -> POSRecord? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM pos WHERE serial = ?", arguments: [serial]).map(Self.pos) }
    }

    public func posDevices() async throws -> [POSRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM pos ORDER BY serial").map(Self.pos) }
    }

    public func recordPOSLogin(_ l: POSLoginRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO pos_logins VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [l.serial, l.clientID, l.at, l.osVersion, l.modelFramework, l.presharedKey.rawValue])
        }
    }

    public func posLogins() async throws -> [POSLoginRecord] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pos_logins ORDER BY serial").map { row in
                POSLoginRecord(serial: row["serial"], clientID: row["client_id"], at: row["at"], osVersion: row["os_version"], modelFramework: row["model_framework"],
                               presharedKey: POSLoginRecord.PresharedKeyState(rawValue: row["psk"]) ?? .differs)
            }
        }
    }

    public func secret(named name: String, create: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let fresh = Data(create())
        return try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO secrets VALUES (?, ?)", arguments: [name, fresh])
            let stored: Data = try Data.fetchOne(db, sql: "SELECT value FROM secrets WHERE name = ?", arguments: [name]) ?? fresh
            return [UInt8](stored)
        }
    }

    // MARK: Submissions

    static func submission(_ row: Row) -> SubmissionRecord {
        SubmissionRecord(uuid: row["uuid"], taxpayerRIN: row["taxpayer_rin"], clientID: row["client_id"], posSerial: row["pos_serial"],
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

    public func commitSubmission(_ s: SubmissionRecord, text: [UInt8], receipts: [ReceiptRecord]) async throws -> CommittedSubmission {
        try await pool.write { db in
            // OR IGNORE: a receipt whose UUID is already stored is left out (reported back).
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO receipts (uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                    buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                    date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, text_id, text_offset, text_length, seller_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
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
            // One writer and one transaction: the receipts' keys are consecutive.
            var firstID: Int64 = 0, lastID: Int64 = -1
            var duplicates: Set<String> = []
            var sequences = [Int64](repeating: 0, count: receipts.count)
            // The text columns of a row are staged in one reused buffer and bound in place
            // (no copy and no allocation per column inside SQLite).
            var staged: [UInt8] = []
            staged.reserveCapacity(2048)
            var spans: [Range<Int>] = []
            spans.reserveCapacity(22)
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
                stage(r.previousUUID); stage(r.referenceUUID); stage(r.status.rawValue); stage(r.errors)
                // Bound directly: GRDB's argument arrays cost more than the insert itself here.
                var row = DirectBinding(insert.sqliteStatement)
                try staged.withUnsafeBufferPointer { columns in
                    for k in 0 ..< 4 { row.bind(borrowing: columns, spans[k]) }
                    row.bind(Int64(r.position))
                    for k in 4 ..< 18 { row.bind(borrowing: columns, spans[k]) }
                    row.bind(r.issuedAt)
                    row.bind(r.receivedAt)
                    for k in 18 ..< 22 { row.bind(borrowing: columns, spans[k]) }
                    precondition(r.textRange.lowerBound >= 0 && r.textRange.upperBound <= text.count, "a receipt's text lies in its submission text")
                    row.bind(textID)
                    row.bind(Int64(r.textRange.lowerBound))
                    row.bind(Int64(r.textRange.count))
                    row.bind(nextSequence[r.sellerRIN, default: 0])
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
                if lastID < firstID { firstID = id }
                lastID = id
            }
            let committed = receipts.count - duplicates.count
            guard committed > 0 else {
                try db.cachedStatement(sql: "DELETE FROM submission_texts WHERE id = ?").execute(arguments: [textID])
                return CommittedSubmission(duplicates: duplicates, sellerSequences: sequences)
            }
            try db.cachedStatement(sql: """
                INSERT INTO submissions (uuid, taxpayer_rin, client_id, pos_serial, submitter_name, channel, received_at, payload_hash, status,
                    receipt_count, invalid_count, signatures, first_receipt_id, last_receipt_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [s.uuid, s.taxpayerRIN, s.clientID, s.posSerial, s.submitterName, s.channel, s.receivedAt, s.payloadHash,
                                 s.status.rawValue, committed, s.invalidCount, s.signatures, firstID, lastID])
            try db.cachedStatement(sql: "INSERT INTO jobs (kind, submission_uuid, created_at) VALUES (?, ?, ?)").execute(arguments: [JobKind.validation.rawValue, s.uuid, s.receivedAt])
            return CommittedSubmission(duplicates: duplicates, sellerSequences: sequences)
        }
    }

    /// Reserves, for each seller among `receipts`, as many numbers of its sequence as it has
    /// receipts, and returns the first of each. Inside the commit's transaction, so the numbers
    /// follow commit order (a receipt left out as a duplicate leaves a gap, which is harmless).
    static func reserveSequences(_ db: Database, for receipts: [ReceiptRecord]) throws -> [String: Int64] {
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

    /// Columns in ``receiptColumns`` order, then the text when it was joined. Read by position:
    /// GRDB's by-name lookup is case-insensitive and costs more than the rest of the row.
    static func receipt(_ row: Row) -> ReceiptRecord {
        let raw: Data = row.count > 27 ? (row[27] ?? Data()) : Data()
        return ReceiptRecord(uuid: row[0], submissionUUID: row[1], longId: row[2], receiptNumber: row[3], position: row[4], sellerRIN: row[5],
                             sellerName: row[6], branchCode: row[7], posSerial: row[8], buyerType: row[9], buyerId: row[10], buyerName: row[11],
                             receiptType: row[12], typeVersion: row[13], currency: row[14], totalAmount: row[15], exchangeRate: row[16],
                             paymentMethod: row[17], dateTimeIssued: row[18], issuedAt: row[19], receivedAt: row[20], previousUUID: row[21],
                             referenceUUID: row[22], status: ReceiptStatus(rawValue: row[23]) ?? .submitted, errors: row[24], raw: [UInt8](raw), sellerSequence: row[26])
    }

    /// Records of rows selected with ``selectReceiptsWithText``, texts filled in. A submission
    /// text that many of the rows point into (a listing) is read once, whole; otherwise each
    /// receipt's slice is read alone, so one receipt of a large submission costs its own bytes.
    static func withTexts(_ db: Database, _ rows: [Row]) throws -> [ReceiptRecord] {
        var rowsPerText: [Int64: Int] = [:]
        for row in rows { if let id: Int64 = row[28] { rowsPerText[id, default: 0] += 1 } }
        var whole: [Int64: [UInt8]] = [:]
        let read = try db.cachedStatement(sql: "SELECT raw FROM submission_texts WHERE id = ?")
        return try rows.map { row in
            var record = receipt(row)
            guard let id: Int64 = row[28], let offset: Int = row[29], let length: Int = row[30] else { return record }
            if rowsPerText[id, default: 0] >= wholeTextThreshold {
                if whole[id] == nil { whole[id] = [UInt8](try Data.fetchOne(read, arguments: [id]) ?? Data()) }
                let text = whole[id]!
                guard offset >= 0, length >= 0, offset + length <= text.count else { throw corruptText(record.uuid, id, offset, length) }
                record.raw = Array(text[offset ..< offset + length])
            } else {
                record.raw = try slice(db, text: id, offset: offset, length: length, receipt: record.uuid)
            }
            record.textRange = offset ..< offset + length
            return record
        }
    }

    /// Rows sharing one submission text from which the text is read whole.
    static let wholeTextThreshold = 16

    /// `length` bytes at `offset` of submission text `id`, read through SQLite's incremental
    /// blob I/O (only the pages that hold them).
    static func slice(_ db: Database, text id: Int64, offset: Int, length: Int, receipt: String) throws -> [UInt8] {
        var handle: OpaquePointer?
        let opened = sqlite3_blob_open(db.sqliteConnection, "main", "submission_texts", "raw", id, 0, &handle)
        guard opened == SQLITE_OK, let blob = handle else {
            if let handle { sqlite3_blob_close(handle) }
            throw DatabaseError(resultCode: ResultCode(rawValue: opened), message: "receipt \(receipt): submission text \(id) cannot be opened")
        }
        defer { sqlite3_blob_close(blob) }
        guard offset >= 0, length >= 0, offset + length <= Int(sqlite3_blob_bytes(blob)) else { throw corruptText(receipt, id, offset, length) }
        var bytes = [UInt8](repeating: 0, count: length)
        guard length > 0 else { return bytes }
        let code = bytes.withUnsafeMutableBytes { sqlite3_blob_read(blob, $0.baseAddress, Int32(length), Int32(offset)) }
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "receipt \(receipt): submission text \(id) cannot be read") }
        return bytes
    }

    static func corruptText(_ receipt: String, _ id: Int64, _ offset: Int, _ length: Int) -> DatabaseError {
        DatabaseError(resultCode: .SQLITE_CORRUPT, message: "receipt \(receipt): text range \(offset)+\(length) outside submission text \(id)")
    }

    /// The OFFSET of page `pageNo` (from 1), saturating: a page past any possible row is simply empty.
    static func offset(pageNo: Int, pageSize: Int) -> Int {
        let (offset, overflow) = max(0, pageNo - 1).multipliedReportingOverflow(by: max(0, pageSize))
        return overflow ? Int(Int64.max) : offset
    }

    public func receipts(ofSubmission uuid: String, matching filter: ReceiptFilter, sort: ReceiptSort?, pageNo: Int, pageSize: Int,
                         withText: Bool) async throws -> Page<ReceiptRecord> {
        var predicate = ReceiptPredicate(Self.ofSubmission, [uuid, uuid, uuid])
        predicate.add(filter)
        let sendableArguments = StatementArguments(predicate.arguments)
        let condition = predicate.sql
        let order = sort.map(ReceiptPredicate.orderBy) ?? "position"
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receipts r WHERE \(condition)", arguments: sendableArguments) ?? 0
            let select = withText ? Self.selectReceiptsWithText : Self.selectReceipts
            let rows = try Row.fetchAll(db, sql: "\(select) WHERE \(condition) ORDER BY \(order) LIMIT ? OFFSET ?",
                                        arguments: sendableArguments + [pageSize, Self.offset(pageNo: pageNo, pageSize: pageSize)])
            return Page(items: withText ? try Self.withTexts(db, rows) : rows.map(Self.receipt), totalCount: total)
        }
    }

    // MARK: Receipts

    /// Runs `query` for each chunk of at most 500 values (SQLite's variable limit) with the
    /// `?,?,…` placeholders and arguments of that chunk, and joins the results.
    static func inChunks<T>(_ values: [String], _ query: (String, StatementArguments) throws -> [T]) rethrows -> [T] {
        var result: [T] = []
        for start in stride(from: 0, to: values.count, by: 500) {
            let part = Array(values[start ..< min(start + 500, values.count)])
            result += try query(Array(repeating: "?", count: part.count).joined(separator: ","), StatementArguments(part))
        }
        return result
    }

    public func receipt(uuid: String) async throws -> ReceiptRecord? {
        try reading { db in try Self.withTexts(db, Row.fetchAll(db, sql: "\(Self.selectReceiptsWithText) WHERE uuid = ?", arguments: [uuid.lowercased()])).first }
    }

    public func receipts(uuids: [String]) async throws -> [ReceiptRecord] {
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
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.uuid, max(o.status <> 'Submitted') FROM receipts r JOIN receipts o
                    ON o.seller_rin = r.seller_rin AND o.pos_serial = r.pos_serial AND o.branch_code = r.branch_code
                    AND o.receipt_number = r.receipt_number AND o.seller_seq < r.seller_seq AND o.status <> 'Invalid'
                WHERE \(Self.ofSubmission) GROUP BY r.uuid
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

    public func returns(referencing uuid: String) async throws -> [ReceiptRecord] {
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

    public func search(_ q: ReceiptQuery) async throws -> Page<ReceiptRecord> {
        var predicate: ReceiptPredicate
        switch q.direction?.lowercased() {
        case "received":
            predicate = ReceiptPredicate("buyer_id = ? AND buyer_id <> ''", [q.taxpayerRIN])
        case "submitted", "issued", "sent":
            predicate = ReceiptPredicate("seller_rin = ?", [q.taxpayerRIN])
        default:
            predicate = ReceiptPredicate("(seller_rin = ? OR (buyer_id = ? AND buyer_id <> ''))", [q.taxpayerRIN, q.taxpayerRIN])
        }
        predicate.add(q.filter)
        let sendableArguments = StatementArguments(predicate.arguments)
        let condition = predicate.sql
        let order = q.sort.map(ReceiptPredicate.orderBy) ?? "issued_at DESC, uuid"
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receipts r WHERE \(condition)", arguments: sendableArguments) ?? 0
            let rows = try Row.fetchAll(db, sql: "\(Self.selectReceipts) WHERE \(condition) ORDER BY \(order) LIMIT ? OFFSET ?",
                                        arguments: sendableArguments + [q.pageSize, Self.offset(pageNo: q.pageNo, pageSize: q.pageSize)])
            return Page(items: rows.map(Self.receipt), totalCount: total)
        }
    }

    // MARK: Jobs

    /// The writer connection's `PRAGMA synchronous` (2 is FULL, 1 is NORMAL).
    public func writerSynchronousSetting() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// A read transaction run on the calling thread. Reads never wait for the writer (WAL), so
    /// they block the caller only for the query itself; an asynchronous read costs ~55 µs of
    /// CPU in thread hops alone, more than the indexed queries of intake and processing.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// A write transaction whose commit is not synced to disk (`synchronous=NORMAL` for this
    /// commit only). For job bookkeeping: the next synced commit (every intake commit) makes it
    /// durable, and losing it to a power cut loses nothing accepted: the job is claimed or
    /// validated again, its verdicts rolled back with it. A killed process loses nothing either way.
    func unsyncedWrite<T>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T where T: Sendable {
        let relax = durability == .full
        return try await pool.writeWithoutTransaction { db in
            if relax { try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute() }
            defer { if relax { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() } }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    public func claimJob(kind: JobKind, owner: LeaseOwner, now: Int64, leaseSeconds: Int64) async throws -> ClaimedJob? {
        try await unsyncedWrite { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                UPDATE jobs SET lease_owner = ?, lease_node = ?, lease_until = ?, attempts = attempts + 1
                WHERE id = (SELECT id FROM jobs WHERE kind = ? AND (lease_until IS NULL OR lease_until < ?) AND (not_before IS NULL OR not_before <= ?)
                            ORDER BY id LIMIT 1)
                RETURNING id, submission_uuid, attempts, created_at
                """), arguments: [owner.description, owner.node, now + leaseSeconds, kind.rawValue, now, now]) else { return nil }
            return ClaimedJob(id: row[0], kind: kind, subject: row[1], attempts: row[2], owner: owner, createdAt: row[3])
        }
    }

    public func renewLease(_ job: ClaimedJob, until: Int64) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?").execute(arguments: [until, job.id, job.owner.description])
            return db.changesCount == 1
        }
    }

    public func deferJob(_ job: ClaimedJob, until: Int64) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: "UPDATE jobs SET lease_owner = NULL, lease_node = NULL, lease_until = NULL, not_before = ? WHERE id = ? AND lease_owner = ?")
                .execute(arguments: [until, job.id, job.owner.description])
            return db.changesCount == 1
        }
    }

    public func releaseLeases(node: String, kind: JobKind) async throws -> Int {
        try await unsyncedWrite { db in
            try db.execute(sql: "UPDATE jobs SET lease_owner = NULL, lease_node = NULL, lease_until = NULL WHERE lease_node = ? AND kind = ?", arguments: [node, kind.rawValue])
            return db.changesCount
        }
    }

    public func completeJob(_ job: ClaimedJob, verdicts: [ReceiptVerdict], status: SubmissionStatus, invalidCount: Int, now: Int64) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE id = ? AND lease_owner = ?").execute(arguments: [job.id, job.owner.description])
            guard db.changesCount == 1 else { return false }
            let range = try Row.fetchOne(db.cachedStatement(sql: "SELECT first_receipt_id, last_receipt_id FROM submissions WHERE uuid = ?"), arguments: [job.submissionUUID])
            let first: Int64 = range?[0] ?? 0, last: Int64 = range?[1] ?? -1
            if last - first + 1 == Int64(verdicts.count) {
                // A verdict for every receipt of the submission: one statement marks them all
                // valid (by key range), then the invalid ones get their status and errors.
                try db.cachedStatement(sql: "UPDATE receipts SET status = ?, errors = '[]', verdicts = verdicts + 1 WHERE id BETWEEN ? AND ?")
                    .execute(arguments: [ReceiptStatus.valid.rawValue, first, last])
                let update = try db.cachedStatement(sql: "UPDATE receipts SET status = ?, errors = ? WHERE uuid = ?")
                for v in verdicts where v.status != .valid { try update.execute(arguments: [v.status.rawValue, v.errors, v.uuid]) }
            } else {
                let update = try db.cachedStatement(sql: "UPDATE receipts SET status = ?, errors = ?, verdicts = verdicts + 1 WHERE uuid = ?")
                for v in verdicts { try update.execute(arguments: [v.status.rawValue, v.errors, v.uuid]) }
            }
            try db.cachedStatement(sql: "UPDATE submissions SET status = ?, invalid_count = ? WHERE uuid = ?").execute(arguments: [status.rawValue, invalidCount, job.submissionUUID])
            return true
        }
    }

    public func pendingJobCount() async throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs") ?? 0 }
    }

    public func leasedJobCount() async throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE lease_owner IS NOT NULL") ?? 0 }
    }

    public func verdictCounts(submissionUUID: String) async throws -> [String: Int] {
        try reading { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT uuid, verdicts FROM receipts r WHERE \(Self.ofSubmission)", arguments: [submissionUUID, submissionUUID, submissionUUID]) {
                counts[row["uuid"]] = row["verdicts"]
            }
            return counts
        }
    }
}

/// Binds the parameters of a prepared statement in order and runs it, without GRDB's argument
/// arrays (the intake's hot insert). Texts are copied by SQLite; blobs must outlive `step`.
struct DirectBinding {
    let statement: SQLiteStatement
    var index: Int32 = 0

    init(_ statement: SQLiteStatement) {
        self.statement = statement
        sqlite3_reset(statement)
    }

    /// Binds `span` of `columns` as text without a copy (SQLITE_STATIC): the caller keeps
    /// `columns` alive and unchanged until `step` returns.
    mutating func bind(borrowing columns: UnsafeBufferPointer<UInt8>, _ span: Range<Int>) {
        index += 1
        precondition(span.upperBound <= columns.count)
        // A non-nil pointer binds "" for an empty span (nil would bind NULL).
        let base = UnsafeRawPointer(columns.baseAddress.map { $0 + span.lowerBound } ?? StaticString("").utf8Start)
        _ = sqlite3_bind_text(statement, index, base.assumingMemoryBound(to: CChar.self), Int32(span.count), nil)
    }

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(statement, index, value)
    }

    mutating func bind(blob: UnsafeRawBufferPointer) {
        index += 1
        // SQLITE_STATIC: the caller keeps the bytes alive until `step` returns.
        _ = sqlite3_bind_blob(statement, index, blob.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(blob.count), nil)
    }

    func step(_ db: Database) throws {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}
