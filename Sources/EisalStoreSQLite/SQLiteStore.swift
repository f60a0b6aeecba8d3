// The embedded default store: GRDB on a SQLite file in WAL mode. Every state change is one
// transaction; jobs are claimed by lease so a killed process loses no work. Every method throws
// only ``StoreError`` (GRDB's errors are translated here), and nothing outside this file relies on
// SQLite having a single writer: "earlier" is the per-seller sequence assigned at commit, and a
// submission's documents are found by its key.
//
// The store is split by concern: schema (SQLiteSchema.swift), registry, submissions, document
// texts, receipts and their rule queries, jobs; DirectBinding.swift binds intake's hot insert.

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

/// A ``PlatformStore`` on a SQLite file.
public final class SQLiteStore: PlatformStore {
    /// In which order new document keys (row ids) are given: ascending in commit order (the
    /// default), or descending. Nothing may depend on key order; the storage conformance suite runs
    /// every contract against both to prove it.
    public enum KeyOrder: Sendable {
        case ascending, descending
    }

    let pool: DatabasePool
    let durability: Durability
    let keyOrder: KeyOrder

    /// Opens (creating if needed) the database at `path` and migrates it. `busyTimeout`: how long
    /// a write waits for the file's lock before the call fails with ``StoreError/Code/unavailable``.
    public init(path: String, durability: Durability = .full, busyTimeout: Duration = .seconds(10), keyOrder: KeyOrder = .ascending) throws {
        self.durability = durability
        self.keyOrder = keyOrder
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA mmap_size = 1073741824")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets `synchronous = NORMAL` on the writer after `prepareDatabase` runs (its WAL
            // default), so the store's durability is set again here, on the writer connection.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            }
            try Self.migrator.migrate(pool)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// A ``StoreConfiguration/sqlite(path:durability:busyTimeout:)`` store.
    public convenience init(_ configuration: StoreConfiguration) throws {
        switch configuration {
        case let .sqlite(path, durability, busyTimeout):
            try self.init(path: path, durability: durability, busyTimeout: busyTimeout)
        case .postgres:
            throw StoreError.corrupt("a PostgreSQL configuration was given to the SQLite store")
        }
    }

    /// GRDB's error as the store reports it: a busy, locked, read-only or full database, or failed
    /// I/O, is ``StoreError/Code/unavailable`` (nothing was changed; try again); a constraint is
    /// ``StoreError/Code/conflict``; anything else means the data or the schema is not what this
    /// version wrote (``StoreError/Code/corrupt``).
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return .unavailable(String(describing: error)) }
        let message = "SQLite \(error.resultCode): \(error.message ?? "")"
        switch error.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_NOMEM, .SQLITE_INTERRUPT, .SQLITE_PROTOCOL, .SQLITE_NOLFS:
            return .unavailable(message)
        case .SQLITE_CONSTRAINT:
            return .conflict(message)
        default:
            return .corrupt(message)
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL, 1 is NORMAL).
    public func writerSynchronousSetting() async throws -> Int {
        do { return try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 } } catch { throw Self.storeError(error) }
    }

    /// A read transaction run on the calling thread. Reads never wait for the writer (WAL), so
    /// they block the caller only for the query itself; an asynchronous read costs ~55 µs of
    /// CPU in thread hops alone, more than the indexed queries of intake and processing.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw Self.storeError(error) }
    }

    /// A write transaction, synced as the store's durability says.
    func writing<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch { throw Self.storeError(error) }
    }

    /// A write transaction whose commit is not synced to disk (`synchronous=NORMAL` for this
    /// commit only). For job bookkeeping: the next synced commit (every intake commit) makes it
    /// durable, and losing it to a power cut loses nothing accepted: the job is claimed or
    /// validated again, its verdicts rolled back with it. A killed process loses nothing either way.
    func unsyncedWrite<T>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T where T: Sendable {
        let relax = durability == .full
        do {
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
        } catch {
            throw Self.storeError(error)
        }
    }

    static func json(_ list: [String]) -> String { StoredValues.json(list) }
    static func list(_ text: String) -> [String] { StoredValues.list(text) }

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

    static func offset(pageNo: Int, pageSize: Int) -> Int { StoredValues.offset(pageNo: pageNo, pageSize: pageSize) }

    // MARK: Rows

    /// The columns ``receipt(_:)`` reads, in its order (the text, when joined, comes after them).
    static let receiptColumns = StoredValues.documentColumns

    /// Receipts of the submission named by the next three arguments (its uuid three times): the
    /// key range its commit used (one writer makes it one range of consecutive keys), and the
    /// submission key itself, so the predicate stays right even if other rows fell in the range.
    static let ofSubmission = "r.id BETWEEN (SELECT first_receipt_id FROM submissions WHERE uuid = ?) AND (SELECT last_receipt_id FROM submissions WHERE uuid = ?) AND r.submission_uuid = ?"

    /// Document rows with where their texts are: a v2 body (column 28) or a place in a
    /// submission text (29–31); ``withTexts(_:_:)`` reads them.
    static let selectReceiptsWithText = "SELECT \(receiptColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")), b.raw, r.text_id, r.text_offset, r.text_length FROM receipts r LEFT JOIN receipt_bodies b ON b.id = r.id"
    /// Receipt rows without their texts (listings).
    static let selectReceipts = "SELECT \(receiptColumns) FROM receipts r"

    /// Columns in ``receiptColumns`` order, then the text when it was joined. Read by position:
    /// GRDB's by-name lookup is case-insensitive and costs more than the rest of the row.
    static func receipt(_ row: Row) -> DocumentRecord {
        let raw: Data = row.count > 28 ? (row[28] ?? Data()) : Data()
        return DocumentRecord(uuid: row[0], submissionUUID: row[1], longId: row[2], receiptNumber: row[3], position: row[4], sellerRIN: row[5],
                             sellerName: row[6], branchCode: row[7], posSerial: row[8], buyerType: row[9], buyerId: row[10], buyerName: row[11],
                             receiptType: row[12], typeVersion: row[13], currency: row[14], totalAmount: row[15], exchangeRate: row[16],
                             paymentMethod: row[17], dateTimeIssued: row[18], issuedAt: row[19], receivedAt: row[20], previousUUID: row[21],
                             referenceUUID: row[22], status: DocumentStatus(rawValue: row[23]) ?? .submitted, errors: errors(row[24]), raw: [UInt8](raw), sellerSequence: row[26], family: row[27])
    }

    static func errorsText(_ errors: [ETAError]) -> String { StoredValues.errorsText(errors) }
    static func errors(_ text: String) -> [ETAError] { StoredValues.errors(text) }
}
