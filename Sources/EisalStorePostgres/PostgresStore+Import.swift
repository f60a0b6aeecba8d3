// A whole database copied into an empty PostgreSQL database (`eisal migrate --from FILE.sqlite`),
// in one transaction, each cell converted to its column's type, in statements of many rows.

import EisalStore
import NIOCore
import PostgresNIO

extension PostgresStore: TableImport {
    public func importAll(from source: some TableExport, progress: @Sendable (String, Int) -> Void) async throws -> [(table: String, rows: Int)] {
        let tables = try await source.exportedTables()
        return try await writing { c in
            for (table, _) in tables {
                let taken = try await c.rows(PostgresQuery(unsafeSQL: "SELECT EXISTS (SELECT 1 FROM \"\(table)\")"), self.logger).first?.decode(Bool.self) ?? false
                if taken { throw StoreError.conflict("the PostgreSQL database already holds data (table \(table)): a database is copied into an empty one only") }
            }
            var counts: [(table: String, rows: Int)] = []
            for (table, columns) in tables {
                let types = try await self.columnTypes(c, of: table)
                guard !types.isEmpty else { throw StoreError.corrupt("table \(table) does not exist in the PostgreSQL schema") }
                for column in columns where types[column] == nil { throw StoreError.corrupt("column \(table).\(column) does not exist in the PostgreSQL schema") }
                var after: Int64?, copied = 0
                while true {
                    let (rows, last) = try await source.exportRows(of: table, columns: columns, after: after, limit: 2_000)
                    guard !rows.isEmpty else { break }
                    try await self.insert(c, rows, into: table, columns: columns, types: types)
                    copied += rows.count
                    after = last
                }
                let stored = Int(try await c.rows(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \"\(table)\""), self.logger).first?.decode(Int64.self) ?? -1)
                guard stored == copied else { throw StoreError.corrupt("\(table): \(copied) rows copied but \(stored) stored") }
                counts.append((table, copied))
                progress(table, copied)
            }
            // Key sequences continue after the highest key copied.
            for table in ["submission_texts", "receipts", "jobs", "notifications"] {
                try await c.rows(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), GREATEST((SELECT MAX(id) FROM \(table)), 1), (SELECT MAX(id) FROM \(table)) IS NOT NULL)
                    """), self.logger)
            }
            return counts
        }
    }

    /// Each column's type in this database (`boolean`, `bigint`, `text`, `bytea`).
    func columnTypes(_ c: PostgresConnection, of table: String) async throws -> [String: String] {
        var types: [String: String] = [:]
        for row in try await c.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)", logger) {
            let (column, type) = try row.decode((String, String).self)
            types[column] = type
        }
        return types
    }

    /// Inserts `rows` (cells in `columns` order), at most 30,000 values a statement.
    func insert(_ c: PostgresConnection, _ rows: [[TableCell]], into table: String, columns: [String], types: [String: String]) async throws {
        let perStatement = max(1, 30_000 / max(1, columns.count))
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let part = rows[start ..< min(start + perStatement, rows.count)]
            var binds = PostgresBindings(capacity: part.count * columns.count)
            var values: [String] = []
            for row in part {
                guard row.count == columns.count else { throw StoreError.corrupt("a row of \(table) has \(row.count) cells for \(columns.count) columns") }
                var marks: [String] = []
                for (cell, column) in zip(row, columns) {
                    try Self.bind(cell, as: types[column] ?? "text", into: &binds, table: table, column: column)
                    marks.append("$\(binds.count)")
                }
                values.append("(" + marks.joined(separator: ", ") + ")")
            }
            try await c.rows(PostgresQuery(unsafeSQL: "INSERT INTO \"\(table)\" (\(list)) VALUES \(values.joined(separator: ", "))", binds: binds), logger)
        }
    }

    static func bind(_ cell: TableCell, as type: String, into binds: inout PostgresBindings, table: String, column: String) throws {
        switch (cell, type) {
        case (.null, _): binds.appendNull()
        case let (.integer(value), "boolean"): binds.append(value != 0)
        case let (.integer(value), "bigint"), let (.integer(value), "integer"): binds.append(value)
        case let (.real(value), "bigint"): binds.append(Int64(value))
        case let (.text(value), "text"): binds.append(value)
        case let (.integer(value), "text"): binds.append(String(value))
        case let (.blob(value), "bytea"): binds.append(ByteBuffer(bytes: value))
        case let (.text(value), "bytea"): binds.append(ByteBuffer(string: value))
        case let (.blob(value), "text"): binds.append(String(decoding: value, as: UTF8.self))
        default: throw StoreError.corrupt("\(table).\(column): a \(cell) cannot be written to a \(type) column")
        }
    }
}
