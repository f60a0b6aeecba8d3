// Document texts: a submission's text is stored once, as received; each document points into it
// (rows from schema v2 keep their own text in `receipt_bodies`).

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    /// Records of rows selected with ``selectReceiptsWithText``, texts filled in. A submission
    /// text that many of the rows point into (a listing) is read once, whole; otherwise each
    /// receipt's slice is read alone, so one receipt of a large submission costs its own bytes.
    static func withTexts(_ db: Database, _ rows: [Row]) throws -> [DocumentRecord] {
        var rowsPerText: [Int64: Int] = [:]
        for row in rows { if let id: Int64 = row[29] { rowsPerText[id, default: 0] += 1 } }
        var whole: [Int64: [UInt8]] = [:]
        let read = try db.cachedStatement(sql: "SELECT raw FROM submission_texts WHERE id = ?")
        return try rows.map { row in
            var record = receipt(row)
            guard let id: Int64 = row[29], let offset: Int = row[30], let length: Int = row[31] else { return record }
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
}
