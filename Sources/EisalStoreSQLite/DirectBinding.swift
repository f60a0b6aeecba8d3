// Direct statement binding for the hot inserts (intake's documents, the notification outbox).

import GRDB
import GRDBSQLite

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

    /// Binds `text` as text; SQLite copies it (SQLITE_TRANSIENT), so nothing needs to outlive the call.
    mutating func bind(copying text: String) {
        index += 1
        var text = text
        text.withUTF8 { utf8 in
            let base = UnsafeRawPointer(utf8.baseAddress ?? StaticString("").utf8Start)
            _ = sqlite3_bind_text(statement, index, base.assumingMemoryBound(to: CChar.self), Int32(utf8.count), Self.transient)
        }
    }

    /// SQLite's "copy the value now" destructor.
    static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(statement, index, value)
    }

    mutating func bindNull() {
        index += 1
        sqlite3_bind_null(statement, index)
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
