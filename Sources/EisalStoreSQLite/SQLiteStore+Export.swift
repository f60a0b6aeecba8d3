// A SQLite database read table by table, to move it to another backend (`eisal migrate --from`).

import EisalStore
import Foundation
import GRDB

extension SQLiteStore: TableExport {
    public func exportedTables() async throws -> [(table: String, columns: [String])] {
        try reading { db in
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name
                """)
            return try tables.map { table in (table, try db.columns(in: table).map(\.name)) }
        }
    }

    public func exportRows(of table: String, columns: [String], after: Int64?, limit: Int) async throws -> (rows: [[TableCell]], last: Int64?) {
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return try reading { db in
            var rows: [[TableCell]] = []
            var last: Int64?
            let cursor = try Row.fetchCursor(db, sql: "SELECT rowid, \(list) FROM \"\(table)\" WHERE rowid > ? ORDER BY rowid LIMIT ?", arguments: [after ?? Int64.min, limit])
            while let row = try cursor.next() {
                last = row[0]
                rows.append((1 ... columns.count).map { index in
                    switch row[index] as DatabaseValue {
                    case let value where value.isNull: .null
                    case let value:
                        switch value.storage {
                        case let .int64(integer): .integer(integer)
                        case let .double(real): .real(real)
                        case let .string(text): .text(text)
                        case let .blob(data): .blob([UInt8](data))
                        case .null: .null
                        }
                    }
                })
            }
            return (rows, last)
        }
    }
}
